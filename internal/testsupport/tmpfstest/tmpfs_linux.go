// Package tmpfstest gives tests a small file system of their own: a tmpfs
// that, filled up, returns a real ENOSPC and, remounted read-only, a real
// EROFS, which chmod cannot give a test that runs as root. Mounting needs
// root with CAP_SYS_ADMIN; without it the test is skipped and says why, or
// fails under CI=true (envtest.Missing).
package tmpfstest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// Mount mounts a tmpfs of size bytes on a fresh directory and returns it;
// it is unmounted when the test ends.
func Mount(t testing.TB, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)+",mode=0700"); err != nil {
		envtest.Missing(t, "cannot mount a small tmpfs (%v): this test needs root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Remount makes the tmpfs at dir read-only, or writable again.
func Remount(t testing.TB, dir string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, ""); err != nil {
		t.Fatalf("remount %s (read-only %v): %v", dir, readOnly, err)
	}
}

// Fill writes a file into dir until not one more byte fits, and returns
// its path; removing it frees the space again.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for n := 0; n < 100000; n++ { // bounded: 100 000 writes
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			if len(chunk) == 1 {
				return path
			}
			chunk = chunk[:len(chunk)/2]
		}
	}
	t.Fatalf("fill %s: still not full after 100 000 writes", dir)
	return ""
}
