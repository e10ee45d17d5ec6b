package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 11, item 2: the signing key "is read from a path or
// GRANTLEDGER_SIGNING_KEY and is never stored inside the ledger file".
// After every command that signs with it (apply with automatic
// checkpoints, checkpoint, report, verify), neither the key's text nor
// its raw bytes are anywhere in the ledger's files.
func TestSigningKeyNeverStoredInTheLedger(t *testing.T) {
	dir := t.TempDir()
	db, key, cps := filepath.Join(dir, "l.db"), filepath.Join(dir, "signing.key"), filepath.Join(dir, "cps")
	if _, errs, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "ministry.example/grants"); code != 0 {
		t.Fatal(errs)
	}
	text, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	skey := strings.TrimSpace(string(text))
	// PRIVATE+KEY+<name>+<hash>+<base64 of the algorithm byte and the key>;
	// the base64 may itself hold '+', so split at the first four only.
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if !strings.HasPrefix(skey, "PRIVATE+KEY+") || err != nil || len(raw) < 33 {
		t.Fatalf("the key file does not hold a note signing key: %q (%v)", skey, err)
	}
	t.Setenv("GRANTLEDGER_SIGNING_KEY", key)
	t.Setenv("GRANTLEDGER_CHECKPOINT_DIR", cps)
	t.Setenv("GRANTLEDGER_CHECKPOINT_EVENTS", "1")
	for _, args := range [][]string{
		{"apply", "--db", db, "-"},
		{"checkpoint", "--db", db, "--signing-key", skey},
		{"report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", "json"},
		{"verify", "--db", db},
	} {
		stdin := ""
		if args[0] == "apply" {
			stdin = walkJSONL
		}
		if _, errs, code := runCLI(t, stdin, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, errs)
		}
	}
	files, _ := filepath.Glob(db + "*")
	if len(files) == 0 {
		t.Fatal("no ledger files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range [][]byte{[]byte(skey), []byte(parts[len(parts)-1]), raw[1:33]} {
			if bytes.Contains(b, secret) {
				t.Errorf("%s holds the signing key (%d bytes of it)", filepath.Base(f), len(secret))
			}
		}
	}
}
