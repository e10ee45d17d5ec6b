package command_test

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

type docExample struct {
	line int // in docs/commands.md
	text string
}

// docExamples returns the lines inside ```jsonl fences of docs/commands.md.
func docExamples(t *testing.T) []docExample {
	t.Helper()
	f, err := os.Open("../../docs/commands.md")
	if err != nil {
		t.Fatalf("open docs/commands.md: %v", err)
	}
	defer f.Close()
	var out []docExample
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```jsonl"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in && strings.TrimSpace(l) != "":
			out = append(out, docExample{n, l})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocsCommandExamples applies every JSONL example of docs/commands.md,
// in order, and checks that each succeeds and that the story ends where the
// page says it does.
func TestDocsCommandExamples(t *testing.T) {
	ctx := context.Background()
	examples := docExamples(t)
	svc := command.New(memstore.New(), command.Options{Clock: propClock})
	seen := map[string]bool{}
	for _, ex := range examples {
		env, err := wire.DecodeEnvelope([]byte(ex.text))
		if err != nil {
			t.Fatalf("docs/commands.md:%d: %v", ex.line, err)
		}
		res, err := commandtest.Handle(ctx, svc, env)
		if err != nil {
			t.Fatalf("docs/commands.md:%d (%s): %v", ex.line, env.Type, err)
		}
		if res.Duplicate || len(res.Events) != 1 {
			t.Fatalf("docs/commands.md:%d (%s): duplicate=%v, %d events; want one new event", ex.line, env.Type, res.Duplicate, len(res.Events))
		}
		seen[env.Type] = true
	}
	for _, typ := range domain.CommandTypes() {
		if !seen[typ] {
			t.Errorf("docs/commands.md has no working example of %s", typ)
		}
	}
	m := domain.MustMoney
	err := svc.View(ctx, "DEMO/2024/7", func(a *domain.Agreement) error {
		c := a.Cell("civil", 1)
		got := []domain.Money{c.Original, c.Planned, c.Actual, c.Ineligible, c.Recovered, c.CarriedOver, c.Returned, c.Remainder(), a.Cell("civil", 2).CarriedIn}
		want := []domain.Money{m("1000"), m("1200"), m("900"), m("50"), m("50"), m("200"), m("100"), 0, m("200")}
		names := []string{"original", "planned", "actual", "ineligible", "recovered", "carried over", "returned", "remainder", "year 2 carried in"}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("civil year 1 %s = %s, want %s as the page says", names[i], got[i], want[i])
			}
		}
		if !a.Year(1).Closed || !a.Year(2).Closed {
			t.Errorf("closed = %v, %v; want years 1 and 2 closed", a.Year(1).Closed, a.Year(2).Closed)
		}
		// "Year 2 then reads, restated: civil carried in 200,00, actual
		// 0,00, returned 200,00, remainder 0,00, closed, with two
		// post-closure adjustments; as closed it read actual 200,00,
		// returned 0,00."
		c2 := a.Cell("civil", 2)
		closed2, _ := a.ClosedFigures("civil", 2)
		if c2.CarriedIn != m("200") || c2.Actual != 0 || c2.Returned != m("200") || c2.Remainder() != 0 || a.Adjusted(2) != 2 ||
			closed2.Actual != m("200") || closed2.Returned != 0 {
			t.Errorf("civil year 2 restated %+v (%d adjustments), as closed %+v; want as the page says", c2, a.Adjusted(2), closed2)
		}
		// "Year 1's cash then reads: 1 200,00 disbursed ... = 200,00 held".
		if a.Cash().Disbursed[1] != m("1200") || a.EligibleSpent(1) != m("850") || a.Cash().Refunded[1] != m("150") || a.Held(1) != m("200") {
			t.Errorf("year 1 cash: disbursed %s, eligible spent %s, refunded %s, held %s; want 1200.00, 850.00, 150.00, 200.00 as the page says",
				a.Cash().Disbursed[1], a.EligibleSpent(1), a.Cash().Refunded[1], a.Held(1))
		}
		if v := a.Indicators()["ngos-consulted"].Value(1); v != 3 {
			t.Errorf("ngos-consulted year 1 = %d, want 3", v)
		}
		// "info-days of year 2 reads 2 delivered (the 20 reversed) ...;
		// ngos-consulted has a target of 55 in year 2 (60 as first
		// defined); the interim report of 2025 was submitted twice
		// (returned once) and accepted."
		if v := a.Indicators()["info-days"].Value(2); v != 2 {
			t.Errorf("info-days year 2 = %d, want 2 as the page says", v)
		}
		if tg, _ := a.Indicators()["ngos-consulted"].Target(2); tg.Target != 55 || a.Indicators()["ngos-consulted"].OriginalTargets()[1].Target != 60 {
			t.Errorf("ngos-consulted year 2 target %d (first defined %+v), want 55 (60)", tg.Target, a.Indicators()["ngos-consulted"].OriginalTargets())
		}
		if o := a.Work().Obligations["interim-2025"]; o == nil || o.Submissions != 2 || o.Status != domain.ObligationAccepted {
			t.Errorf("interim-2025: %+v, want submitted twice and accepted", o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDocsCommandsComplete checks that docs/commands.md has a section for
// every command type and names every rule and error code.
func TestDocsCommandsComplete(t *testing.T) {
	doc, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, typ := range domain.CommandTypes() {
		if !strings.Contains(text, "\n## "+typ+"\n") {
			t.Errorf("docs/commands.md has no section \"## %s\"", typ)
		}
	}
	src, err := os.ReadFile("../../domain/decide.go")
	if err != nil {
		t.Fatal(err)
	}
	rules := regexp.MustCompile(`rule\("([a-z-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(rules) < 10 {
		t.Fatalf("found only %d rule names in domain/decide.go; has the code changed shape?", len(rules))
	}
	names := []string{"nothing-to-carry-over", "nothing-to-return", "carry-over-exceeds-remainder", "return-exceeds-remainder"}
	for _, r := range rules {
		if !strings.HasSuffix(r[1], "-") { // "nothing-to-"+what is listed above
			names = append(names, r[1])
		}
	}
	for _, r := range names {
		if !strings.Contains(text, "`"+r+"`") {
			t.Errorf("docs/commands.md does not document rule %s", r)
		}
	}
	for _, code := range []string{domain.EInvalid, domain.ERule, domain.ENotFound, domain.EConflict, domain.EDuplicate, domain.ETampered, domain.EUnavailable, domain.EInternal} {
		if !strings.Contains(text, "| `"+code+"` |") {
			t.Errorf("docs/commands.md does not document error code %s", code)
		}
	}
}
