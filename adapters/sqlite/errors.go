package sqlite

import (
	"errors"
	"strings"
	"syscall"

	"github.com/grantledger/grantledger/domain"
)

// classify turns the driver's read-only and disk-full errors into
// EUnavailable domain errors that say what happened; others pass through.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	m := err.Error()
	switch {
	case strings.Contains(m, "readonly database") || strings.Contains(m, "read-only file system") || strings.Contains(m, "SQLITE_READONLY"):
		return &domain.Error{Code: domain.EUnavailable, Message: "the event store file is read-only; nothing was written (" + m + ")", Err: err}
	case strings.Contains(m, "disk is full") || strings.Contains(m, "SQLITE_FULL") || strings.Contains(m, "no space left"):
		return &domain.Error{Code: domain.EUnavailable, Message: "the disk holding the event store is full; nothing was written (" + m + ")", Err: err}
	}
	return err
}

// isReadOnlyFS reports whether err is the file system refusing writes.
func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }
