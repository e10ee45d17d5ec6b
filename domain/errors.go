package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each error grantledger returns maps to one code, and the code
// alone decides the exit status of the command line and the HTTP status of
// the server (see adapters/httpapi and cmd/grantledger).
const (
	EInvalid     = "invalid"     // the command is malformed (field missing, wrong format)
	ERule        = "rule"        // the command is well formed but breaks a ledger rule
	ENotFound    = "not_found"   // the agreement, line, year or event does not exist
	EConflict    = "conflict"    // a concurrent change won, or a duplicate
	EDuplicate   = "duplicate"   // the thing already exists (agreement number, line)
	ETampered    = "tampered"    // a stored event fails its hash check
	EUnavailable = "unavailable" // the store cannot be reached
	EInternal    = "internal"
)

// Sentinel errors for the common cases; test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConcurrency = errors.New("concurrent change: the stream moved on since it was read")
	ErrDuplicate   = errors.New("already exists")
)

// Error is a domain error with a code and a message that says what was wrong
// and, where it helps, what was kept.
type Error struct {
	Code    string
	Field   string // the command field at fault, if any (JSON name)
	Message string
	Err     error // wrapped cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Err != nil && e.Message == "" {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EInvalid error about one field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// RuleError is returned when a command would break a ledger invariant. It
// names the rule and carries the figures that broke it, so a person can see
// at once what is wrong.
type RuleError struct {
	Rule    string // stable rule name, e.g. "carry-over-exceeds-remainder"
	Message string
	Figures map[string]Money // the numbers involved, by name
}

func (e *RuleError) Error() string { return "rule " + e.Rule + ": " + e.Message }

// ConcurrencyError is returned by a store when the expected revision does not
// match; Actual is the stream's revision as the store saw it (-1: no stream).
type ConcurrencyError struct {
	Stream   string
	Expected ExpectedRevision
	Actual   int64
	// AfterFailed is set when the append was refused because an earlier
	// append to the same stream in the same batch failed or was answered as
	// a retry (its expected revision may even have matched).
	AfterFailed bool
}

func (e *ConcurrencyError) Error() string {
	if e.AfterFailed {
		return fmt.Sprintf("append to %s: an earlier append to this stream in the same batch was not written as sent (it failed, or its events were already there), so this one (expected revision %s, stream is at %d) was not written", e.Stream, e.Expected, e.Actual)
	}
	return fmt.Sprintf("append to %s: expected revision %s, stream is at %d", e.Stream, e.Expected, e.Actual)
}

func (e *ConcurrencyError) Is(target error) bool { return target == ErrConcurrency }

// ErrorCode returns the code of err: the Code of an *Error, ERule for a
// *RuleError, EConflict for concurrency, ENotFound for ErrNotFound,
// EInternal otherwise.
func ErrorCode(err error) string {
	var de *Error
	var re *RuleError
	var te *TamperError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &de):
		return de.Code
	case errors.As(err, &re):
		return ERule
	case errors.As(err, &te):
		return ETampered
	case errors.Is(err, ErrConcurrency):
		return EConflict
	case errors.Is(err, ErrNotFound):
		return ENotFound
	case errors.Is(err, ErrDuplicate):
		return EDuplicate
	}
	return EInternal
}
