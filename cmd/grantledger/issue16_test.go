package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// Issue 16, items 3 and 5: one language for a run, one amount format per
// output, and the command line's rough edges. Figures: seed 004's summary
// (shared/seeds): year 1 leaves 1 213,47 (1 040,13 civil, 173,34
// minority), year 2 spends 49 000,00.

// demoDB loads the seeds into a ledger file kept for the test.
func demoDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	return db
}

func TestLangFromEnvironment(t *testing.T) {
	db := demoDB(t)
	t.Setenv("GRANTLEDGER_LANG", "lv")
	out, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "2")
	if code != 0 || !strings.Contains(out, "1 213,47") || !strings.Contains(out, "Atlikums") {
		t.Errorf("report with GRANTLEDGER_LANG=lv: exit %d, want Latvian labels and 1 213,47; stderr %s\n%s", code, errs, out)
	}
	out, _, code = runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "2", "--lang", "en")
	if code != 0 || !strings.Contains(out, "1,213.47") || strings.Contains(out, "Atlikums") {
		t.Errorf("--lang en overrides GRANTLEDGER_LANG: exit %d\n%s", code, out)
	}
	t.Setenv("GRANTLEDGER_LANG", "de")
	_, errs, code = runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "2")
	if code != exitUsage || !strings.Contains(errs, "GRANTLEDGER_LANG=de") {
		t.Errorf("GRANTLEDGER_LANG=de: exit %d, stderr %q; want 2 naming the variable", code, errs)
	}
}

// amountRe finds amounts in any of the three ways they were mixed:
// "1 213,47", "1,213.47", "1213.47".
var amountRe = regexp.MustCompile(`\d{1,3}(?:[  ]\d{3})+,\d\d|\d{1,3}(?:,\d{3})+\.\d\d|\b\d+[.,]\d\d\b`)

func TestDemoWritesAmountsOneWay(t *testing.T) {
	for _, c := range []struct {
		lang string
		ok   *regexp.Regexp // the one format of the output's amounts
		want []string
	}{
		{"en", regexp.MustCompile(`^\d{1,3}(,\d{3})*\.\d\d$`), []string{"1,213.47", "1,040.13", "49,000.00"}},
		{"lv", regexp.MustCompile(`^\d{1,3}([  ]\d{3})*,\d\d$`), []string{"1 213,47", "1 040,13", "49 000,00"}},
	} {
		out, errs, code := runCLI(t, "", "demo", "--lang", c.lang)
		if code != 0 {
			t.Fatalf("demo --lang %s: exit %d: %s", c.lang, code, errs)
		}
		norm := strings.ReplaceAll(out, "\u00a0", " ")
		for _, w := range c.want {
			if !strings.Contains(norm, w) {
				t.Errorf("demo --lang %s lacks %s", c.lang, w)
			}
		}
		// Dates such as 15.07.2023. are not amounts.
		dateless := regexp.MustCompile(`\d\d\.\d\d\.\d{4}\.?|\d{4}-\d\d-\d\d`).ReplaceAllString(norm, "DATE")
		for _, m := range amountRe.FindAllString(dateless, -1) {
			if !c.ok.MatchString(m) {
				t.Errorf("demo --lang %s writes the amount %q another way", c.lang, m)
			}
		}
	}
}

func TestDemoRemovesItsTemporaryLedger(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	_, errs, code := runCLI(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "grantledger-demo-*"))
	if len(left) != 0 {
		t.Errorf("demo left %v behind", left)
	}
	db := filepath.Join(t.TempDir(), "kept.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo --db: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("demo --db removed the ledger it was given: %v", err)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	file := filepath.Join(t.TempDir(), "walk.jsonl")
	if err := os.WriteFile(file, []byte(walkJSONL), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "", "apply", file, "--db", db, "--json")
	if code != 0 || !strings.Contains(out, "{") {
		t.Fatalf("apply FILE --db x --json: exit %d, stderr %q, out %q", code, errs, out)
	}
	out, _, code = runCLI(t, "", "history", "--agreement", "DEMO-1", "--db", db)
	if code != 0 || !strings.Contains(out, "SpendingRecorded") && !strings.Contains(out, "Spending") {
		t.Errorf("history after apply with trailing flags: exit %d\n%s", code, out)
	}
	// "--" ends the flags: what follows is an argument even if it starts with "-".
	_, errs, code = runCLI(t, "", "apply", "--db", db, "--", "--json")
	if code == 0 || !strings.Contains(errs, "--json") {
		t.Errorf("apply -- --json: exit %d, stderr %q; want the file --json not found", code, errs)
	}
	// An unknown flag is reported once.
	_, errs, code = runCLI(t, "", "apply", file, "--nosuch")
	if code != exitUsage || strings.Count(errs, "nosuch") != 1 {
		t.Errorf("unknown flag: exit %d, stderr %q; want exit 2 and the flag named once", code, errs)
	}
}

func TestNoArgumentsAndVersion(t *testing.T) {
	out, errs, code := runCLI(t, "")
	if code != exitUsage || out != "" || !strings.Contains(errs, "Usage: grantledger <command>") || strings.Count(errs, "\n") > 10 {
		t.Errorf("no arguments: exit %d, stdout %q, stderr %q; want exit 2 and a short help on stderr", code, out, errs)
	}
	out, _, code = runCLI(t, "", "version")
	if code != 0 || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, "commit ") {
		t.Errorf("version: exit %d\n%s", code, out)
	}
}

// openPTY opens a pseudo-terminal and returns its terminal side.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	_, s := openPTYPair(t)
	return s
}

// openPTYPair opens a pseudo-terminal: its controlling side (to read what
// was written to the terminal) and its terminal side.
func openPTYPair(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		envtest.Missing(t, "no pseudo-terminal (/dev/ptmx): %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestXLSXRefusedOnATerminal(t *testing.T) {
	db := demoDB(t)
	tty := openPTY(t)
	if !isTerminal(tty) {
		t.Fatal("the pseudo-terminal is not seen as a terminal")
	}
	var errb strings.Builder
	err := run(t.Context(), []string{"report", "--db", db, "--agreement", seeds.Seed004, "--year", "2", "--format", "xlsx"}, strings.NewReader(""), tty, &errb)
	code := report(err, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--out") {
		t.Errorf("xlsx to a terminal: exit %d, stderr %q; want 2 and a hint to use --out", code, errb.String())
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if _, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "2", "--format", "xlsx", "--out", out); code != 0 {
		t.Errorf("xlsx with --out: exit %d: %s", code, errs)
	}
}

func TestApplyShowsProgressOnATerminal(t *testing.T) {
	m, tty := openPTYPair(t)
	db := filepath.Join(t.TempDir(), "x.db")
	file := filepath.Join(t.TempDir(), "walk.jsonl")
	if err := os.WriteFile(file, []byte(walkJSONL), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(t.Context(), []string{"apply", "--db", db, file}, strings.NewReader(""), &out, tty)
	if code := report(err, tty); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	tty.Close()
	m.SetReadDeadline(time.Now().Add(5 * time.Second))
	var seen []byte
	buf := make([]byte, 4096)
	for len(seen) < 1<<16 {
		n, err := m.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil || strings.Contains(string(seen), "failed") {
			break
		}
	}
	// walkJSONL has six commands.
	if got := string(seen); !strings.Contains(got, "apply: 6 lines, done") || !strings.Contains(got, "applied 6 commands") {
		t.Errorf("terminal shows %q, want the running count ending in 'apply: 6 lines, done' and the summary", got)
	}
	// Into a pipe or a file it stays silent (the existing tests read
	// stderr as a buffer): no carriage return there.
	_, errs, _ := runCLI(t, "", "apply", "--db", db, file)
	if strings.Contains(errs, "\r") {
		t.Errorf("progress written to a non-terminal: %q", errs)
	}
}

// Each token subcommand explains itself and lists only its own flags:
// --role is create's, not list's or revoke's; revoke names its ID.
func TestTokenSubcommandsHaveTheirOwnHelp(t *testing.T) {
	helps := map[string]string{}
	for _, sub := range []string{"create", "list", "revoke"} {
		_, errs, code := runCLI(t, "", "token", sub, "--help")
		if code != 0 || !strings.Contains(errs, "Usage: grantledger token "+sub) {
			t.Fatalf("token %s --help: exit %d, %q", sub, code, errs)
		}
		helps[sub] = errs
	}
	if helps["create"] == helps["list"] || helps["list"] == helps["revoke"] || helps["create"] == helps["revoke"] {
		t.Errorf("token subcommands share one help text")
	}
	if !strings.Contains(helps["create"], "-role") || strings.Contains(helps["list"], "-role") || strings.Contains(helps["revoke"], "-role") {
		t.Errorf("--role should be listed for create only")
	}
	if !strings.Contains(helps["revoke"], "token revoke [flags] ID") {
		t.Errorf("revoke's usage does not name its ID argument:\n%s", helps["revoke"])
	}
}

// version names the commit the binary was built from, as git knows it.
// The Go toolchain stamps VCS information only when building inside a
// repository's own directory, so the test builds a fresh clone of this
// repository (its committed HEAD) with -buildvcs=true.
func TestVersionNamesTheCommit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		envtest.Missing(t, "no git: install Debian's git package")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		envtest.Missing(t, "no go command on PATH")
	}
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		envtest.Missing(t, "not in a git checkout (%v)", err)
	}
	clone := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command(git, "clone", "--quiet", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	head, err := exec.Command(git, "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "grantledger")
	build := exec.Command(gobin, "build", "-buildvcs=true", "-o", bin, "./cmd/grantledger")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("grantledger version: %v", err)
	}
	goVersion, _ := exec.Command(gobin, "env", "GOVERSION").Output()
	if !strings.Contains(string(out), "commit "+strings.TrimSpace(string(head))) || !strings.Contains(string(out), strings.TrimSpace(string(goVersion))) ||
		!strings.Contains(string(out), "github.com/grantledger/grantledger") {
		t.Errorf("version says %q; want the module, commit %s and %s", out, strings.TrimSpace(string(head)), strings.TrimSpace(string(goVersion)))
	}
}

// The Latvian summaries index names findings in words and its columns in
// Latvian: seed 004's year 2 leaves 1 213,47 unexplained (a finding).
func TestSummariesIndexInLatvian(t *testing.T) {
	db := demoDB(t)
	dir := filepath.Join(t.TempDir(), "out")
	_, errs, code := runCLI(t, "", "summaries", "--db", db, "--year", "2", "--out", dir, "--lang", "lv")
	if code != exitFindings {
		t.Fatalf("summaries: exit %d, want 4 (seed 004 year 2 has findings): %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index-year2.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`\]\([^)]*\)`).ReplaceAllString(string(b), "]") // file links are names, not words
	if m := regexp.MustCompile(`\b[a-z]+_[a-z_]+\b|\bFiles\b|Computed from`).FindAllString(text, -1); len(m) > 0 {
		t.Errorf("Latvian index has finding codes or English words %q:\n%s", m, text)
	}
	if !strings.Contains(text, seeds.Seed004) {
		t.Errorf("index does not list %s", seeds.Seed004)
	}
}
