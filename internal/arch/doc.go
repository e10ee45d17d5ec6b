// Package arch has no code: its test checks the import rules of
// docs/ARCHITECTURE.md against the packages as they are (go list), so that
// an arrow the wrong way fails CI rather than waiting for a reviewer.
package arch
