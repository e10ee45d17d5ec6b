package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// createOutputTemp creates a new temporary file in dir, named prefix
// followed by random hex, to be renamed over an output file once complete.
// Unlike os.CreateTemp (always 0600), it asks for mode 0666, so the file
// ends up with the mode the umask gives every other file the user creates
// (0644 under the usual 022): reports and exports are meant to be shared.
// The ledger and key files are created elsewhere, 0600.
func createOutputTemp(dir, prefix string) (*os.File, error) {
	for try := 0; try < 100; try++ {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}
