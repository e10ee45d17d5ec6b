package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsProgramChecksAProof compiles the Go program shown in
// docs/PROOFS.md, which checks an inclusion proof with nothing but
// golang.org/x/mod's own note.Open and tlog.CheckRecord, and runs it on a
// proof made by 'grantledger prove' (it must accept it) and on the same
// proof with one byte of the leaf changed (it must refuse it).
func TestDocsProgramChecksAProof(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PROOFS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "<!-- checkproof -->\n```go\n")
	if !ok {
		t.Fatal("docs/PROOFS.md has no program after <!-- checkproof -->")
	}
	program, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("the program in docs/PROOFS.md is not closed")
	}
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	var modSum []string
	for _, l := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(l, "golang.org/x/mod ") {
			modSum = append(modSum, l)
		}
	}
	gomod, _ := os.ReadFile("../../go.mod")
	var version string
	for _, l := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "golang.org/x/mod" {
			version = f[1]
		}
	}
	if version == "" || len(modSum) == 0 {
		t.Fatal("golang.org/x/mod is not in go.mod and go.sum")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module checkproof\n\ngo 1.22\n\nrequire golang.org/x/mod "+version+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(modSum, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644)
	bin := filepath.Join(dir, "checkproof")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the program in docs/PROOFS.md does not build: %v\n%s", err, out)
	}

	db, _, vkey, cp := setupLedger(t)
	id := spendingID(t, db, "DEMO-1")
	proof, errs, code := runCLI(t, "", "prove", "--db", db, "--event", id.String(), "--checkpoint", cp)
	if code != 0 {
		t.Fatal(errs)
	}
	good := filepath.Join(dir, "proof.json")
	os.WriteFile(good, []byte(proof), 0o644)
	out, err := exec.Command(bin, good, vkey).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK: leaf") {
		t.Fatalf("the docs program refuses a good proof: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(proof, hexString("9250.40"), hexString("9250.41"), 1)), 0o644)
	if out, err := exec.Command(bin, bad, vkey).CombinedOutput(); err == nil {
		t.Fatalf("the docs program accepts a proof of an edited leaf:\n%s", out)
	}
}
