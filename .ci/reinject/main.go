// Command reinject puts back, one at a time, each of the bugs that issue 19
// found the tests missed, into a fresh copy of the committed tree (git
// archive HEAD; the work tree is never touched), runs the tests of the
// packages concerned and prints whether they failed, as they must. It exits
// 1 when a bug survives (the tests passed with it) or can no longer be put
// in (the code it edits changed: update the table below).
//
//	go run ./.ci/reinject            # every bug
//	go run ./.ci/reinject 3 7        # bugs 3 and 7
//
// docs/RELIABILITY.md, "Deliberate bugs put back", has the last results.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type bug struct {
	what     string
	file     string
	old, new string
	pkgs     []string
}

var bugs = []bug{
	{"event hash: two input fields swapped (command type and command hash)", "domain/chain.go",
		"\tfield([]byte(m.CommandType))\n\tfield([]byte(m.CommandHash))\n",
		"\tfield([]byte(m.CommandHash))\n\tfield([]byte(m.CommandType))\n", []string{"./domain"}},
	{"record_recovery allowed to the grantee role", "app/access/access.go",
		"domain.CmdRecordRecovery:    RoleFunder,", "domain.CmdRecordRecovery:    RoleGrantee,", []string{"./adapters/httpapi", "./app/access"}},
	{"close_year allowed to the grantee role", "app/access/access.go",
		"domain.CmdCloseYear:         RoleFunder,", "domain.CmdCloseYear:         RoleGrantee,", []string{"./adapters/httpapi", "./app/access"}},
	{"register_agreement no longer checks the token's funder", "adapters/httpapi/commands.go",
		"if !access.MayAct(p, env.Type, access.Parties{Funder: reg.Funder, Grantee: reg.Grantee}) {",
		"if false && !access.MayAct(p, env.Type, access.Parties{Funder: reg.Funder, Grantee: reg.Grantee}) {", []string{"./adapters/httpapi"}},
	{"organisations matched by substring", "domain/orgs.go",
		"return ca != \"\" && ca == cb",
		"return ca != \"\" && strings.Contains(ca, cb)", []string{"./adapters/httpapi", "./app/access"}},
	{"organisations matched ignoring case", "domain/orgs.go",
		"return ca != \"\" && ca == cb",
		"return ca != \"\" && strings.EqualFold(ca, cb)", []string{"./adapters/httpapi", "./app/access"}},
	{"money: a first thousands group of more than three digits accepted", "domain/money.go",
		"if (i == 0 && len(g) > 3 && len(groups) > 1) || (i > 0 && len(g) != 3) {",
		"if i > 0 && len(g) != 3 {", []string{"./domain"}},
	{"percent rounding half down", "projections/figures.go",
		"p := int64((q + 1) / 2)",
		"p := int64(q / 2)", []string{"./projections"}},
	{"hledger export: recovery posted with its sign reversed", "adapters/hledger/hledger.go",
		"{account: acc.recovered(ev.Line), amount: ev.Amount},\n\t\t\t\t\t{account: acc.due(ev.Line), amount: -ev.Amount},",
		"{account: acc.recovered(ev.Line), amount: -ev.Amount},\n\t\t\t\t\t{account: acc.due(ev.Line), amount: ev.Amount},", []string{"./adapters/hledger"}},
	{"--max-batch 413 removed", "adapters/httpapi/commands.go",
		"if len(raws) > s.cfg.MaxBatch {", "if false && len(raws) > s.cfg.MaxBatch {", []string{"./adapters/httpapi"}},
}

func main() {
	want := map[int]bool{}
	for _, a := range os.Args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 || n > len(bugs) {
			fmt.Fprintf(os.Stderr, "reinject: %q is not a bug number 1..%d\n", a, len(bugs))
			os.Exit(2)
		}
		want[n] = true
	}
	root, err := os.MkdirTemp("", "reinject-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(root)
	bad := 0
	fmt.Println("| # | bug put back | tests run | result |")
	fmt.Println("| --- | --- | --- | --- |")
	for i, b := range bugs {
		if len(want) > 0 && !want[i+1] {
			continue
		}
		result := try(root, i, b)
		if !strings.HasPrefix(result, "caught") {
			bad++
		}
		fmt.Printf("| %d | %s (`%s`) | `go test %s` | %s |\n", i+1, b.what, b.file, strings.Join(b.pkgs, " "), result)
	}
	if bad > 0 {
		fmt.Printf("%d bug(s) not caught or not applied\n", bad)
		os.Exit(1)
	}
}

func try(root string, i int, b bug) string {
	dir := filepath.Join(root, strconv.Itoa(i+1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	arch := exec.Command("sh", "-c", "git archive --format=tar HEAD | tar -x -C "+dir)
	if out, err := arch.CombinedOutput(); err != nil {
		fail(fmt.Errorf("git archive: %v\n%s", err, out))
	}
	path := filepath.Join(dir, b.file)
	src, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	if n := bytes.Count(src, []byte(b.old)); n != 1 {
		return fmt.Sprintf("NOT APPLIED: the text to change occurs %d times in %s (the code changed; update .ci/reinject)", n, b.file)
	}
	if err := os.WriteFile(path, bytes.Replace(src, []byte(b.old), []byte(b.new), 1), 0o644); err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-count=1"}, b.pkgs...)...)
	cmd.Dir = dir
	// Without CI=true: a test whose environment is missing skips, so a
	// bug it alone would catch shows as surviving rather than as caught.
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CI=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil {
		return "**SURVIVED**: the tests passed"
	}
	var failing []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "--- FAIL: ") && !strings.Contains(l, "/") {
			failing = append(failing, strings.Fields(strings.TrimPrefix(l, "--- FAIL: "))[0])
		}
	}
	if len(failing) == 0 {
		return "failed without a failing test (build error?): " + firstLines(string(out), 3)
	}
	return "caught by " + strings.Join(failing, ", ")
}

func firstLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, " / ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reinject:", err)
	os.Exit(1)
}
