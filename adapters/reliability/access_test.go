package reliability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesAreOwnerOnly runs the programs as an operator would and checks
// that the files they create hold no permission for group or others: the
// ledger database written by 'grantledger apply' and the one
// 'grantledger token create' starts to keep tokens in (0600). The store's and the token
// set's own tests check the same at the package level
// (adapters/sqlite TestFilePermissions, adapters/httpapi TestTokensFile);
// this one checks that the programs do not bypass them.
func TestFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	t.Run("database from apply", func(t *testing.T) {
		db := filepath.Join(dir, "ledger.db")
		if _, errs, code := runCLI(t, jsonl(t, Setup()...), "apply", "--db", db, "-"); code != 0 {
			t.Fatalf("apply: exit %d: %s", code, errs)
		}
		st, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %04o, want 0600", filepath.Base(db), got)
		}
	})
	t.Run("ledger from token create", func(t *testing.T) {
		// Tokens live in the ledger (issue 12): token create may start one.
		path := filepath.Join(dir, "tokens.db")
		out, errs, code := runCLI(t, nil, "token", "create", "--db", path, "--tokens", filepath.Join(dir, "none.json"), "--role", "auditor", "--name", "auditor")
		if code != 0 {
			t.Fatalf("token create: exit %d: %s", code, errs)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %04o, want 0600", filepath.Base(path), got)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wal, _ := os.ReadFile(path + "-wal")
		raw = append(raw, wal...)
		for _, f := range strings.Fields(out) {
			if strings.HasPrefix(f, "glt_") && strings.Contains(string(raw), f) {
				t.Errorf("the token printed by token create is in the ledger file; only its hash may be")
			}
		}
		if !strings.Contains(out, "glt_") {
			t.Errorf("token create printed no token: %q", out)
		}
	})
}
