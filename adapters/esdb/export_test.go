package esdb

import "time"

// CallTimeout exposes the timeout of one call to the tests.
func (s *Store) CallTimeout() time.Duration { return s.callTimeout() }

// ClientDeadline exposes the deadline the official client applies to a
// non-streaming call (0: its built-in 10 s).
func (s *Store) ClientDeadline() time.Duration {
	if s.conf.DefaultDeadline == nil {
		return 0
	}
	return *s.conf.DefaultDeadline
}

// SnapshotPath exposes the snapshot file of a name to the tests.
func (s *Store) SnapshotPath(name string) string { return s.snapshotPath(name) }

// FailAfterReserve makes the appends of AppendGuarded fail with f's error
// after their reservations are written and before their events are, as a
// dropped connection or a dead process would; it returns the undo.
func FailAfterReserve(f func(stream string) error) func() {
	old := afterReserve
	afterReserve = f
	return func() { afterReserve = old }
}
