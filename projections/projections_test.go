package projections_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

func seed004(t *testing.T) (*memstore.Store, *projections.Ledger) {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	if err := projtest.RecordSeed004(ctx, svc, clock); err != nil {
		t.Fatal(err)
	}
	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return store, l
}

var today = domain.MustDate("2025-11-23")

func TestSeed004YearReports(t *testing.T) {
	_, l := seed004(t)
	m := domain.MustMoney
	type want struct {
		planned, carriedIn, actual, carriedOver, returned, remainder string
	}
	check := func(t *testing.T, what string, got projections.Figures, w want) {
		t.Helper()
		for _, c := range []struct {
			field string
			got   domain.Money
			want  string
		}{{"planned", got.Planned, w.planned}, {"carried_in", got.CarriedIn, w.carriedIn}, {"actual", got.Actual, w.actual},
			{"carried_over", got.CarriedOver, w.carriedOver}, {"returned", got.Returned, w.returned}, {"remainder", got.Remainder, w.remainder}} {
			if c.got != m(c.want) {
				t.Errorf("%s %s = %s, want %s", what, c.field, c.got, c.want)
			}
		}
		if got.Overspend != 0 {
			t.Errorf("%s overspend = %s, want 0", what, got.Overspend)
		}
	}
	t.Run("year 1", func(t *testing.T) {
		r, err := l.YearReport(projtest.Seed004, 1, today)
		if err != nil {
			t.Fatal(err)
		}
		if r.Period.From != domain.MustDate("2022-07-15") || r.Period.To != domain.MustDate("2023-07-14") {
			t.Errorf("period = %s, want 2022-07-15..2023-07-14", r.Period)
		}
		if !r.Closed {
			t.Error("year 1 closed = false, want true")
		}
		check(t, "civil", r.Lines[0], want{"30000.00", "0", "28959.87", "1040.13", "0", "0"})
		check(t, "minority", r.Lines[1], want{"19000.00", "0", "18826.66", "173.34", "0", "0"})
		check(t, "total", r.Total, want{"49000.00", "0", "47786.53", "1213.47", "0", "0"})
		if len(r.Findings) != 0 {
			t.Errorf("findings = %+v, want none", r.Findings)
		}
		if len(r.Indicators) != 5 {
			t.Fatalf("indicators = %d, want 5", len(r.Indicators))
		}
		ngos := r.Indicators[4]
		if ngos.Delivered != 50 || *ngos.Target != 50 || ngos.Achievement.String() != "100.00" || ngos.Behind {
			t.Errorf("unique NGOs = %d of %d (%s, behind %v), want 50 of 50 (100.00, false)", ngos.Delivered, *ngos.Target, ngos.Achievement, ngos.Behind)
		}
	})
	t.Run("year 2 has the unexplained remainder", func(t *testing.T) {
		r, err := l.YearReport(projtest.Seed004, 2, today)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "civil", r.Lines[0], want{"30000.00", "1040.13", "30000.00", "0", "0", "1040.13"})
		check(t, "minority", r.Lines[1], want{"19000.00", "173.34", "19000.00", "0", "0", "173.34"})
		check(t, "total", r.Total, want{"49000.00", "1213.47", "49000.00", "0", "0", "1213.47"})
		if r.Closed {
			t.Error("year 2 closed = true, want false")
		}
		codes := map[string]projections.Finding{}
		for _, f := range r.Findings {
			codes[f.Code] = f
		}
		f, ok := codes[projections.FindingUnexplainedRemainder]
		if !ok {
			t.Fatalf("findings %+v lack %s", r.Findings, projections.FindingUnexplainedRemainder)
		}
		if *f.Amount != m("1213.47") || *f.CarriedIn != m("1213.47") || len(f.Lines) != 2 {
			t.Errorf("unexplained remainder = %s (carried in %s, %d lines), want 1213.47 (1213.47, 2 lines)", f.Amount, f.CarriedIn, len(f.Lines))
		}
		if _, ok := codes[projections.FindingOpenPastEnd]; !ok {
			t.Errorf("findings %+v lack %s", r.Findings, projections.FindingOpenPastEnd)
		}
		if len(r.CarriedInFrom) != 2 || r.CarriedInFrom[0].FromYear != 1 {
			t.Errorf("carried in from = %+v, want two rows from year 1", r.CarriedInFrom)
		}
	})
	t.Run("year 2 before its end has no finding", func(t *testing.T) {
		r, _ := l.YearReport(projtest.Seed004, 2, domain.MustDate("2024-07-14"))
		if len(r.Findings) != 0 {
			t.Errorf("findings on the last day of year 2 = %+v, want none", r.Findings)
		}
	})
	t.Run("year 3 returned to the ministry", func(t *testing.T) {
		r, _ := l.YearReport(projtest.Seed004, 3, today)
		check(t, "total", r.Total, want{"49000.00", "0", "48871.72", "0", "128.28", "0"})
		if len(r.ReturnedTo) != 1 || r.ReturnedTo[0].To != "ministry budget" || r.ReturnedTo[0].Amount != m("128.28") {
			t.Errorf("returned to = %+v, want 128.28 to ministry budget", r.ReturnedTo)
		}
		if len(r.Findings) != 0 {
			t.Errorf("findings = %+v, want none", r.Findings)
		}
	})
	t.Run("json contract", func(t *testing.T) {
		r, _ := l.YearReport(projtest.Seed004, 2, today)
		b, _ := json.Marshal(r)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"agreement", "year", "period", "lines", "total", "closed", "findings"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("JSON lacks top-level %q", k)
			}
		}
		total := doc["total"].(map[string]any)
		for k, w := range map[string]string{"planned": "49000.00", "carried_in": "1213.47", "actual": "49000.00", "carried_over": "0.00", "returned": "0.00", "remainder": "1213.47", "overspend": "0.00"} {
			if total[k] != w {
				t.Errorf("total.%s = %v, want %q", k, total[k], w)
			}
		}
		line := doc["lines"].([]any)[0].(map[string]any)
		if line["line"] != "civil" {
			t.Errorf("lines[0].line = %v, want civil", line["line"])
		}
		per := doc["period"].(map[string]any)
		if per["from"] != "2023-07-15" || per["to"] != "2024-07-14" {
			t.Errorf("period = %v, want 2023-07-15..2024-07-14", per)
		}
		f := doc["findings"].([]any)[0].(map[string]any)
		if f["code"] != "unexplained_remainder" || f["amount"] != "1213.47" || f["message"] == "" {
			t.Errorf("findings[0] = %v, want code unexplained_remainder amount 1213.47 and a message", f)
		}
	})
}

func TestDecoderFastEqualsSlow(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 123456789, time.UTC)).Now})
	projtest.Random(ctx, svc, rand.New(rand.NewPCG(1, 2)), 5, 400)
	// An escaped and a non-ASCII document name go through the fallback.
	_, _ = projtest.Cmd(ctx, svc, "žanis \"quoted\"", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: "X/1"}, Kind: "grant", Title: "t", Grantee: "g", Funder: "f",
		Period: domain.Period{From: domain.MustDate("2022-01-01"), To: domain.MustDate("2022-12-31")}, Years: []domain.YearSpec{{Year: 1, From: domain.MustDate("2022-01-01"), To: domain.MustDate("2022-12-31")}},
		Lines: []domain.LineSpec{{Line: "a"}}})
	_, _ = projtest.Cmd(ctx, svc, "anna", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "X/1"}, Line: "a", Year: 1, Amount: 1, Date: domain.MustDate("2022-02-02"), Document: "Rēķins \"7\"\n<b>", Description: "ok"})
	evs, err := store.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fast, slow := codec.NewDecoder(nil), codec.NewDecoder(nil)
	slow.Slow = true
	for _, e := range evs {
		a, err1 := fast.Decode(e)
		b, err2 := slow.Decode(e)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s %d: errors %v / %v", e.Type, e.Position.Commit, err1, err2)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s at %s: fast %+v\n slow %+v", e.Type, e.Position, a, b)
		}
	}
	t.Run("malformed input falls back and fails the same way", func(t *testing.T) {
		e := evs[len(evs)-1]
		for _, data := range []string{`{"line":"a","year":1,"amount":12.5}`, `{"line":"a","year":"1"}`, `{"line":"a"`, `{"amount":"1.234"}`} {
			e.Data = []byte(data)
			_, err1 := fast.Decode(e)
			_, err2 := slow.Decode(e)
			if (err1 == nil) != (err2 == nil) {
				t.Errorf("%s: fast error %v, slow error %v", data, err1, err2)
			}
		}
	})
}

// TestUpcast shows an old event shape projecting after its schema changed:
// version 1 of SpendingRecorded named the document "doc"; version 2 (the
// registry below) calls it "document". Events stored as version 1 are
// upcast on read and fold exactly like new ones.
func TestUpcast(t *testing.T) {
	reg := domain.NewEventRegistry()
	reg.Register(domain.TypeSpendingRecorded, 2, func() domain.Event { return &domain.SpendingRecorded{} })
	reg.AddUpcaster(domain.TypeSpendingRecorded, 1, func(data []byte) ([]byte, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		if doc, ok := m["doc"]; ok {
			m["document"] = doc
			delete(m, "doc")
		}
		return json.Marshal(m)
	})
	reg2 := reg
	dec := codec.NewDecoder(reg2)
	l := projections.NewLedger(time.Time{})
	at := time.Date(2022, 8, 1, 10, 0, 0, 0, time.UTC)
	meta := func(v int) []byte {
		b, _ := json.Marshal(domain.Metadata{EventID: uuid.New(), Actor: "old-system", RecordedAt: at, SchemaVersion: v})
		return b
	}
	reg1, _ := json.Marshal(domain.AgreementRegistered{Number: "OLD/1", Kind: "grant", Title: "t", Grantee: "g", Funder: "f",
		Period: domain.Period{From: domain.MustDate("2022-01-01"), To: domain.MustDate("2022-12-31")},
		Years:  []domain.YearSpec{{Year: 1, From: domain.MustDate("2022-01-01"), To: domain.MustDate("2022-12-31")}}, Lines: []domain.LineSpec{{Line: "a"}}})
	stored := []domain.RecordedEvent{
		{Stream: "s", Revision: 0, Position: domain.Position{Commit: 1, Prepare: 1}, ID: uuid.New(), Type: domain.TypeAgreementRegistered, Data: reg1, Metadata: meta(1)},
		{Stream: "s", Revision: 1, Position: domain.Position{Commit: 2, Prepare: 2}, ID: uuid.New(), Type: domain.TypeSpendingRecorded,
			Data: []byte(`{"line":"a","year":1,"amount":"120.50","date":"2022-03-01","doc":"OLD-INV-7"}`), Metadata: meta(1)},
		{Stream: "s", Revision: 2, Position: domain.Position{Commit: 3, Prepare: 3}, ID: uuid.New(), Type: domain.TypeSpendingRecorded,
			Data: []byte(`{"line":"a","year":1,"amount":"10.00","date":"2022-03-02","document":"NEW-INV-8"}`), Metadata: meta(2)},
	}
	for _, e := range stored {
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatalf("decode %s v%s: %v", e.Type, e.Metadata, err)
		}
		l.Apply(pe)
	}
	v, err := l.Agreement("OLD/1")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(v.Spendings); got != 2 {
		t.Fatalf("spendings = %d, want 2", got)
	}
	if got := v.Spendings[0].Document; got != "OLD-INV-7" {
		t.Errorf("document of the version-1 event = %q, want OLD-INV-7", got)
	}
	if got := v.Spendings[1].Document; got != "NEW-INV-8" {
		t.Errorf("document of the version-2 event = %q, want NEW-INV-8", got)
	}
	r, _ := l.YearReport("OLD/1", 1, domain.MustDate("2022-06-01"))
	if r.Total.Actual != domain.MustMoney("130.50") {
		t.Errorf("actual = %s, want 130.50", r.Total.Actual)
	}
}

func TestAsOfBeforeAndAfterCorrection(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	if err := projtest.RecordSeed004(ctx, svc, clock); err != nil {
		t.Fatal(err)
	}
	// On 31 January 2026 the 30 000,00 of year 2 civil is found to be a
	// wrong document and reversed, then recorded again as 28 959,87.
	var wrong uuid.UUID
	for _, r := range mustFold(t, store, time.Time{}).AuditRows() {
		if r.Type == domain.TypeSpendingRecorded && r.Year == 2 && r.Line == "civil" {
			v, _ := mustFold(t, store, time.Time{}).Agreement(projtest.Seed004)
			for _, s := range v.Spendings {
				if s.Year == 2 && s.Line == "civil" {
					wrong = s.ID
				}
			}
		}
	}
	before := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	clock.Set(before.Add(time.Hour))
	ref := domain.Ref{Agreement: projtest.Seed004}
	if _, err := projtest.Cmd(ctx, svc, "auditor", "wrong invoice", domain.ReverseSpending{Ref: ref, Spending: wrong, Date: domain.MustDate("2024-07-01")}); err != nil {
		t.Fatal(err)
	}
	if _, err := projtest.Cmd(ctx, svc, "auditor", "", domain.RecordSpending{Ref: ref, Line: "civil", Year: 2, Amount: domain.MustMoney("28959.87"), Date: domain.MustDate("2024-07-01"), Document: "KNVOC-2024-019b"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		asOf   time.Time
		actual string
	}{{"before the correction", before, "30000.00"}, {"after the correction", before.Add(2 * time.Hour), "28959.87"}, {"now", time.Time{}, "28959.87"}} {
		t.Run(c.name, func(t *testing.T) {
			l := mustFold(t, store, c.asOf)
			r, err := l.YearReport(projtest.Seed004, 2, today)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Lines[0].Actual; got != domain.MustMoney(c.actual) {
				t.Errorf("civil year 2 actual = %s, want %s", got, c.actual)
			}
			if !c.asOf.IsZero() && (r.AsOf == nil || !r.AsOf.Equal(c.asOf)) {
				t.Errorf("as_of = %v, want %v", r.AsOf, c.asOf)
			}
		})
	}
	t.Run("before registration the agreement is unknown", func(t *testing.T) {
		l := mustFold(t, store, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))
		if _, err := l.YearReport(projtest.Seed004, 1, today); domain.ErrorCode(err) != domain.ENotFound {
			t.Errorf("error = %v, want not found", err)
		}
	})
}

func mustFold(t *testing.T, store domain.EventStore, asOf time.Time) *projections.Ledger {
	t.Helper()
	l, err := projtest.Fold(context.Background(), store, asOf)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestReconciliationEqualsSumOfYearReports(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run("seed "+string(rune('0'+seed)), func(t *testing.T) {
			store := memstore.New()
			svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
			projtest.Random(ctx, svc, rand.New(rand.NewPCG(seed, 99)), 8, 600)
			l := mustFold(t, store, time.Time{})
			for year := 1; year <= 3; year++ {
				rec, err := l.Reconcile(projections.Scope{}, projections.Window{Year: year})
				if err != nil {
					t.Fatal(err)
				}
				var sum projections.Figures
				for _, v := range l.Agreements() {
					if r, err := v.YearReport(year, today); err == nil {
						sum = sum.Add(r.Total)
					}
				}
				sum.Line, sum.Name = "", ""
				if !reflect.DeepEqual(rec.Total.Figures, sum) {
					t.Errorf("year %d: reconciliation total %+v\n != sum of yearly reports %+v", year, rec.Total.Figures, sum)
				}
				if rec.Total.Variance != sum.Planned+sum.CarriedIn-sum.Actual {
					t.Errorf("year %d: variance %s != available - actual", year, rec.Total.Variance)
				}
			}
			// Calendar years: actual is the spending dated in the year, and
			// over all calendar years it adds up to all spending.
			var all, byCal domain.Money
			for _, v := range l.Agreements() {
				for _, s := range v.Spendings {
					if !s.Reversed {
						all += s.Amount
					}
				}
			}
			for y := 2020; y <= 2026; y++ {
				rec, err := l.Reconcile(projections.Scope{}, projections.CalendarYear(y))
				if err != nil {
					t.Fatal(err)
				}
				byCal += rec.Total.Actual
				for _, row := range rec.Rows {
					if row.Planned+row.CarriedIn != row.Actual+row.CarriedOver+row.Returned+row.Remainder {
						t.Errorf("%s %s %d: identity broken: %+v", row.Agreement, row.Line, y, row.Figures)
					}
				}
			}
			if byCal != all {
				t.Errorf("actual summed over calendar years = %s, want all spending %s", byCal, all)
			}
		})
	}
}

func TestScopeAndMultiYear(t *testing.T) {
	_, l := seed004(t)
	rec, _ := l.Reconcile(projections.Scope{Funder: "Ministrija"}, projections.Window{Year: 1})
	if rec.Agreements != 1 || len(rec.Rows) != 2 {
		t.Fatalf("funder scope: %d agreements, %d rows; want 1, 2", rec.Agreements, len(rec.Rows))
	}
	if got := rec.Total.Utilisation.String(); got != "97.52" {
		t.Errorf("utilisation year 1 = %s, want 97.52 (47786.53 / 49000.00)", got)
	}
	if rec.Total.Variance != domain.MustMoney("1213.47") {
		t.Errorf("variance year 1 = %s, want 1213.47", rec.Total.Variance)
	}
	none, _ := l.Reconcile(projections.Scope{Funder: "nobody"}, projections.Window{Year: 1})
	if len(none.Rows) != 0 {
		t.Errorf("unknown funder: %d rows, want 0", len(none.Rows))
	}
	cal, _ := l.Reconcile(projections.Scope{}, projections.CalendarYear(2023))
	// 2023 overlaps years 1 and 2; spending dated 2023: 13959.87 + 18826.66.
	if cal.Total.Actual != domain.MustMoney("32786.53") || cal.Total.Planned != domain.MustMoney("98000.00") {
		t.Errorf("calendar 2023: actual %s planned %s, want 32786.53 and 98000.00", cal.Total.Actual, cal.Total.Planned)
	}
	my := l.MultiYear(projections.Scope{})
	if my.Years != 3 || len(my.Rows) != 2 {
		t.Fatalf("multi-year: %d years %d rows, want 3 and 2", my.Years, len(my.Rows))
	}
	if my.Totals[2].Actual != domain.MustMoney("48871.72") || my.Rows[0].Cells[1].CarriedIn != domain.MustMoney("1040.13") {
		t.Errorf("multi-year: year 3 actual %s, civil year 2 carried in %s", my.Totals[2].Actual, my.Rows[0].Cells[1].CarriedIn)
	}
	ind := l.Indicators(projections.Scope{}, 1, today)
	if len(ind.Rows) != 5 || len(ind.Rows[1].DeliveriesList) != 2 || ind.Rows[1].DeliveriesList[0].Evidence != "report-sessions-1.pdf" {
		t.Errorf("indicators: %d rows, sessions deliveries %+v", len(ind.Rows), ind.Rows[1].DeliveriesList)
	}
	aud := l.Audit(projections.AuditFilter{Types: []string{"YearClosed"}})
	if len(aud.Rows) != 2 {
		t.Errorf("audit YearClosed rows = %d, want 2", len(aud.Rows))
	}
	aud = l.Audit(projections.AuditFilter{Actor: "nobody"})
	if len(aud.Rows) != 0 {
		t.Errorf("audit by unknown actor = %d rows, want 0", len(aud.Rows))
	}
}

func TestPercentRounding(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        string
	}{{1, 3, "33.33"}, {2, 3, "66.67"}, {4778653, 4900000, "97.52"}, {0, 5, "0.00"}, {7, 5, "140.00"}} {
		p, _ := projections.PercentOf(c.part, c.whole)
		if p.String() != c.want {
			t.Errorf("%d/%d = %s, want %s", c.part, c.whole, p, c.want)
		}
	}
	if _, ok := projections.PercentOf(1, 0); ok {
		t.Error("PercentOf(1, 0) ok = true, want false")
	}
}
