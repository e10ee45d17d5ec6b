package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
)

// TestApplyAcrossBatchesAnswersEveryLine applies a file of three batches
// (applyBatch lines each share one commit, the next batch being decided
// while one is written): spendings on two agreements, lines that resend a
// command of the batch before (a retry: "already applied"), a reversal of a
// spending of the batch before and a second reversal of it (refused by the
// domain, rule already-reversed), a line of bad JSON and a spending on an
// agreement that does not exist. docs/cli.md: each line is answered once,
// in order; a refused line is named on stderr with its number; the others
// are applied once.
func TestApplyAcrossBatchesAnswersEveryLine(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	d := domain.MustDate
	var lines []string
	emit := func(env domain.Envelope) string {
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
		return string(b)
	}
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	for _, ag := range []string{"BAT-A", "BAT-B"} {
		ref := domain.Ref{Agreement: ag}
		emit(domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
			Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}))
		emit(domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 100_000_000}))
	}
	want := map[string]domain.Money{}
	type expect struct {
		dup  bool
		code string
	}
	expects := map[int]expect{} // by line number (1-based)
	var firstSpend uuid.UUID
	n := 3 * applyBatch
	for i := len(lines); i < n; i++ {
		no := len(lines) + 1
		switch {
		case i == applyBatch+10 || i == 2*applyBatch+10:
			// A retry of a command of the batch before (line i-14, a
			// spending: no other case falls there).
			lines = append(lines, lines[i-15])
			expects[no] = expect{dup: true}
		case i == applyBatch+20:
			emit(domain.NewEnvelope(uuid.New(), "t", "entered twice", domain.ReverseSpending{Ref: domain.Ref{Agreement: "BAT-A"}, Spending: command.EventID(firstSpend, 0), Date: d("2024-03-02")}))
			want["BAT-A"] -= 100
		case i == 2*applyBatch+20:
			emit(domain.NewEnvelope(uuid.New(), "t", "entered twice", domain.ReverseSpending{Ref: domain.Ref{Agreement: "BAT-A"}, Spending: command.EventID(firstSpend, 0), Date: d("2024-03-02")}))
			expects[no] = expect{code: domain.ERule}
		case i == applyBatch+30:
			lines = append(lines, `{"type":"record_spending",`)
			expects[no] = expect{code: domain.EInvalid}
		case i == 2*applyBatch-1:
			emit(domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "BAT-NONE"}, Line: "l", Year: 1, Amount: 100, Date: d("2024-03-01"), Document: "D"}))
			expects[no] = expect{code: domain.ENotFound}
		default:
			ag := []string{"BAT-A", "BAT-B"}[i%2]
			env := domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: ag}, Line: "l", Year: 1, Amount: 100, Date: d("2024-03-01"), Document: fmt.Sprint("D", i)})
			if firstSpend == uuid.Nil && ag == "BAT-A" {
				firstSpend = env.CommandID
			}
			emit(env)
			want[ag] += 100
		}
	}
	file := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "", "apply", "--db", db, "--json", file)
	if code != exitFailure {
		t.Fatalf("exit code %d, want %d (some lines refused); stderr:\n%s", code, exitFailure, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	no := 0
	for sc.Scan() {
		no++
		var r struct {
			Line   int `json:"line"`
			Result *struct {
				Duplicate bool `json:"duplicate"`
			} `json:"result"`
			Code string `json:"code"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Line != no {
			t.Fatalf("answer %d is for line %d: out of order", no, r.Line)
		}
		e := expects[no]
		switch {
		case e.code != "":
			if r.Code != e.code {
				t.Errorf("line %d: code %q, want %q", no, r.Code, e.code)
			}
			if !strings.Contains(errs, fmt.Sprintf("line %d: ", no)) {
				t.Errorf("line %d refused but not named on stderr:\n%s", no, errs)
			}
		case r.Code != "" || r.Result == nil:
			t.Errorf("line %d: refused with %q, want applied", no, r.Code)
		case r.Result.Duplicate != e.dup:
			t.Errorf("line %d: duplicate %v, want %v", no, r.Result.Duplicate, e.dup)
		}
	}
	if no != len(lines) {
		t.Fatalf("%d answers, want one per line (%d)", no, len(lines))
	}
	refused := 0
	for _, e := range expects {
		if e.code != "" {
			refused++
		}
	}
	if want := fmt.Sprintf("%d failed", refused); !strings.Contains(errs, want) {
		t.Errorf("stderr does not say %q:\n%s", want, errs)
	}
	s, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := command.New(s, command.Options{})
	for ag, m := range want {
		err := svc.View(context.Background(), ag, func(a *domain.Agreement) error {
			if got := a.Cell("l", 1).Actual; got != m {
				t.Errorf("%s: actual %s, want %s (each spending once)", ag, got, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
