//go:build !unix

package sqlite

// onReadOnlyFS cannot tell on this platform; false keeps the store from
// ever opening a file as immutable.
func onReadOnlyFS(string) bool { return false }

// mayWrite cannot tell on this platform.
func mayWrite(string) error { return nil }

func isNoSpace(error) bool { return false }
