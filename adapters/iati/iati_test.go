package iati

import (
	"bytes"
	"context"
	"encoding/xml"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
	"github.com/grantledger/grantledger/internal/testsupport/randomledger"
)

// schemaPath finds the IATI 2.03 schema: $GRANTLEDGER_IATI_SCHEMA, or the
// copy kept in testdata (testdata/iati-2.03/README.md says its licence).
func schemaPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("GRANTLEDGER_IATI_SCHEMA")
	if p == "" {
		p = filepath.Join("testdata", "iati-2.03", "iati-activities-schema.xsd")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("IATI 2.03 schema not found at %s (set GRANTLEDGER_IATI_SCHEMA): %v", p, err)
	}
	return p
}

// validate runs xmllint --schema on doc in a subtest of its own, so that
// the content assertions run whether or not xmllint is there. Without
// xmllint the subtest skips, or fails under CI=true.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	t.Run("valid against the IATI 2.03 schema", func(t *testing.T) { validateNow(t, doc) })
}

func validateNow(t *testing.T, doc []byte) {
	t.Helper()
	xsd := schemaPath(t)
	lint, err := exec.LookPath("xmllint")
	if err != nil {
		envtest.Missing(t, "xmllint is not on PATH (install it with: apt-get install -y libxml2-utils); the XML is not validated against the schema")
	}
	file := filepath.Join(t.TempDir(), "activities.xml")
	if err := os.WriteFile(file, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, lint, "--noout", "--schema", xsd, file).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint --schema: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "validates") {
		t.Errorf("xmllint printed %q, want \"… validates\"", out)
	}
}

func seedStore(t *testing.T) *memstore.Store {
	t.Helper()
	store := memstore.New()
	clock := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	svc := command.New(store, command.Options{Clock: func() time.Time { return clock }})
	for i, r := range commandtest.HandleBatch(context.Background(), svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	return store
}

func TestIdentifier(t *testing.T) {
	tests := []struct{ name, number, want string }{
		{"plain number", "KNVOC-2022-2025", "LV-X-KNVOC-2022-2025"},
		{"slashes replaced and hashed", "AIF/2022/KAPAC2/104", "LV-X-AIF-2022-KAPAC2-104-" + hash8("AIF/2022/KAPAC2/104")},
		{"points kept", "2021.LV", "LV-X-2021.LV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Identifier("LV-X", tt.number); got != tt.want {
				t.Errorf("Identifier(%q) = %q, want %q", tt.number, got, tt.want)
			}
		})
	}
	t.Run("numbers that differ only in punctuation stay apart", func(t *testing.T) {
		if a, b := Identifier("X", "A/1"), Identifier("X", "A-1"); a == b {
			t.Errorf("both give %q", a)
		}
	})
}

func TestExportSeed(t *testing.T) {
	store := seedStore(t)
	var buf bytes.Buffer
	if err := Export(context.Background(), store, &buf, Options{OrgRef: "LV-RUR-90000000000"}); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	validate(t, doc)

	var got activities
	if err := xml.Unmarshal(doc, &got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(got.Activities) != 3 {
		t.Fatalf("activities = %d, want 3", len(got.Activities))
	}
	a := got.Activities[0]
	t.Run("identifier and organisations", func(t *testing.T) {
		if want := "LV-RUR-90000000000-KNVOC-2022-2025"; a.Identifier != want {
			t.Errorf("iati-identifier = %q, want %q", a.Identifier, want)
		}
		if len(a.Participating) != 2 || a.Participating[0].Role != "1" || a.Participating[1].Role != "4" ||
			a.Participating[1].Narratives[0].Text != "Biedrība „Kurzemes NVO centrs”" {
			t.Errorf("participating-org = %+v, want funder (role 1) and the grantee (role 4)", a.Participating)
		}
		if len(a.Title.Narratives) != 2 || a.Title.Narratives[0].Lang != "lv" || a.Title.Narratives[1].Lang != "en" {
			t.Errorf("title narratives = %+v, want lv and en", a.Title.Narratives)
		}
	})
	t.Run("budgets per year", func(t *testing.T) {
		if len(a.Budgets) != 3 {
			t.Fatalf("budgets = %d, want 3", len(a.Budgets))
		}
		for i, b := range a.Budgets {
			if b.Value.Amount != "49000.00" || b.Type != "1" {
				t.Errorf("budget %d = type %s value %s, want original 49000.00", i+1, b.Type, b.Value.Amount)
			}
		}
		if b := a.Budgets[0]; b.Start.Date != "2022-07-15" || b.End.Date != "2023-07-14" {
			t.Errorf("year 1 budget period = %s..%s, want 2022-07-15..2023-07-14", b.Start.Date, b.End.Date)
		}
	})
	t.Run("expenditure transactions add up to actual spending", func(t *testing.T) {
		var sum domain.Money
		for _, tx := range a.Transactions {
			if tx.Type.Code == "4" {
				sum += mustAmount(t, tx.Value.Amount)
			}
		}
		if want := domain.MustMoney("145658.25"); sum != want {
			t.Errorf("expenditure total = %s, want %s (47 786,53 + 49 000,00 + 48 871,72)", sum, want)
		}
	})
	t.Run("indicator target and actual", func(t *testing.T) {
		if len(a.Results) != 1 {
			t.Fatalf("results = %d, want 1", len(a.Results))
		}
		var found bool
		for _, in := range a.Results[0].Indicators {
			if strings.HasPrefix(in.Title.Narratives[0].Text, "Konsultētas unikālās Kurzemes NVO") {
				found = true
				p := in.Periods[0]
				if p.Target.Value != "50" || p.Actual.Value != "50" || p.Start.Date != "2022-07-15" {
					t.Errorf("unique NGOs period = %+v, want target 50, actual 50 from 2022-07-15", p)
				}
			}
		}
		if !found {
			t.Error("indicator of unique NGOs consulted not exported")
		}
	})
	t.Run("one agreement only", func(t *testing.T) {
		var one bytes.Buffer
		if err := Export(context.Background(), store, &one, Options{Agreements: []string{seeds.Seed003}}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(one.String(), "<iati-activity "); n != 1 {
			t.Errorf("activities = %d, want 1", n)
		}
		if !strings.Contains(one.String(), ">AIF/2022/KAPAC2/104<") && !strings.Contains(one.String(), `ref="AIF/2022/KAPAC2/104"`) {
			t.Error("the agreement number is not kept as other-identifier")
		}
		validate(t, one.Bytes())
	})
}

func mustAmount(t *testing.T, s string) domain.Money {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	m, err := domain.ParseMoney(strings.TrimPrefix(s, "-"))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		return -m
	}
	return m
}

// TestExportRandomAgreements validates random agreements against the
// schema and checks that the budgets, expenditure and indicator values
// read back equal the ledger's figures.
func TestExportRandomAgreements(t *testing.T) {
	n := 80
	if testing.Short() {
		n = 20
	}
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	if _, err := randomledger.Build(ctx, svc, rand.New(rand.NewPCG(7, 2003)), n); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got activities
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	hs, err := load(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Activities) != len(hs) {
		t.Fatalf("activities = %d, want %d", len(got.Activities), len(hs))
	}
	for i, h := range hs {
		a, act := h.Agg, got.Activities[i]
		t.Run(a.AgreementNumber(), func(t *testing.T) {
			if act.OtherIDs[0].Ref != a.AgreementNumber() {
				t.Errorf("other-identifier = %q, want %q", act.OtherIDs[0].Ref, a.AgreementNumber())
			}
			budgets := map[string]domain.Money{} // type/start -> value
			for _, b := range act.Budgets {
				budgets[b.Type+"/"+b.Start.Date] = mustAmount(t, b.Value.Amount)
			}
			var actual domain.Money
			for _, y := range a.Years() {
				tot := a.YearTotal(y.Year)
				actual += tot.Actual
				if !tot.IsPlanned {
					continue
				}
				if got := budgets["1/"+y.From.String()]; got != tot.Original {
					t.Errorf("year %d original budget = %s, want %s", y.Year, got, tot.Original)
				}
				if tot.Amendments > 0 {
					if got := budgets["2/"+y.From.String()]; got != tot.Planned {
						t.Errorf("year %d revised budget = %s, want %s", y.Year, got, tot.Planned)
					}
				}
			}
			var spent domain.Money
			for _, tx := range act.Transactions {
				if tx.Type.Code == "4" {
					spent += mustAmount(t, tx.Value.Amount)
				}
			}
			if spent != actual {
				t.Errorf("expenditure total = %s, want actual %s", spent, actual)
			}
			// Disbursements (issue 14, cash.go): the net payments, less
			// the returns and the refunds of recoveries.
			var disbursed, want domain.Money
			for _, tx := range act.Transactions {
				if tx.Type.Code == "3" {
					disbursed += mustAmount(t, tx.Value.Amount)
				}
			}
			want = a.TotalDisbursed()
			for _, d := range a.Cash().Dues {
				if d.Kind == domain.DueReturn {
					want -= d.Amount
				} else {
					want -= d.Refunded
				}
			}
			if disbursed != want {
				t.Errorf("disbursement total = %s, want %s (paid %s less returns and refunded recoveries)", disbursed, want, a.TotalDisbursed())
			}
		})
	}
}
