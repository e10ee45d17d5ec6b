package projections_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// The organisations of seed 000's work plan ("Atbildīgā organizācija").
const (
	kultura    = "Aizkraukles novada kultūras pārvalde"
	partneriba = "Aizkraukles rajona partnerība"
	novads     = "Aizkraukles novada pašvaldība"
)

const memo = "AIZK-MEMO-2023/2024"

type workplan struct {
	store *memstore.Store
	svc   *command.Service
	ids   map[string]uuid.UUID // event ids of deliveries by a name of the test's
}

// recordSeed000 records seed 000's work plan 2023/2024 task by task as a
// memorandum of two implementation years (2023 and 2024), with the
// deadlines of the seed: "Līdz 2023. gada beigām" is 2023-12-31, "2024.
// gada I cet." is 2024-03-31, "2 x gadā" is two targets a year (the first
// by the end of June, the second by the end of the year: the seed does not
// say when in the year, this test's reading), "1 x gadā" one by the year's
// end; tasks "pēc vajadzības", "regulāri" and "pasākumu rīkotāja laikā"
// have no target. The deliveries are this test's own story.
func recordSeed000(t *testing.T) *workplan {
	t.Helper()
	ctx := context.Background()
	w := &workplan{store: memstore.New(), ids: map[string]uuid.UUID{}}
	clock := projtest.NewClock(time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC))
	w.svc = command.New(w.store, command.Options{Clock: clock.Now})
	r := domain.Ref{Agreement: memo}
	d := domain.MustDate
	dp := func(s string) *domain.Date { x := d(s); return &x }
	once := func(year int, due string) []domain.IndicatorTarget {
		return []domain.IndicatorTarget{{Year: year, Target: 1, Due: dp(due)}}
	}
	twice := func(years ...int) []domain.IndicatorTarget {
		var out []domain.IndicatorTarget
		for _, y := range years {
			cy := 2022 + y
			out = append(out, domain.IndicatorTarget{Year: y, Target: 1, Due: dp(fmt.Sprintf("%d-06-30", cy))}, domain.IndicatorTarget{Year: y, Target: 2, Due: dp(fmt.Sprintf("%d-12-31", cy))})
		}
		return out
	}
	task := func(code, name, place string, targets []domain.IndicatorTarget, who ...string) domain.Command {
		return domain.DefineIndicator{Ref: r, Indicator: code, Name: name, Unit: "times", Aggregation: domain.AggSum, Targets: targets, Place: place, Responsible: who}
	}
	cmds := []domain.Command{
		domain.RegisterAgreement{Ref: r, Kind: domain.KindMemorandum, Title: "Sadarbības memorands: darba plāns 2023./2024. gadam",
			Grantee: "Aizkraukles novada nevalstiskās organizācijas", Funder: novads,
			Period: domain.Period{From: d("2023-01-01"), To: d("2024-12-31")},
			Years:  []domain.YearSpec{{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}, {Year: 2, From: d("2024-01-01"), To: d("2024-12-31")}}},
		task("t01", "Izveidot darba grupu aktuālu jautājumu izskatīšanai", "NVO konference 03.11.2023., Aizkraukles vēstures un mākslas muzejs", once(1, "2023-12-31"), kultura),
		task("t02", "Veikt NVO aptauju par problēmjautājumiem", "E-vidē", once(2, "2024-03-31"), partneriba),
		task("t03", "Apzināt organizāciju sarakstu", "E-vidē", once(2, "2024-03-31"), kultura),
		task("t04", "Rīkot neformālus pasākumus", "1x Daugavas labajā, 1x kreisajā krastā", twice(1, 2), "NVO"),
		task("t05", "Piedalīšanās Sēlijas NVO forumos", "Pasākumu rīkotāja vietā", nil, kultura, partneriba),
		task("t06", "Organizēt izglītošanas, apmācības pasākumus", "Aizkraukles rajona partnerības darbības teritorijā", twice(1, 2), partneriba),
		task("t07", "Tikšanās ar pašvaldību speciālistiem", "Aizkraukles novadā", twice(1, 2), novads),
		task("t08", "Iedzīvotāju iesaiste padomēs", "Aizkraukles novadā", nil, novads),
		task("t09", "Publicēt informāciju mājas lapās par aktīvajām NVO", "www.aizkraukle.lv, www.aizkrauklespartneriba.lv", once(1, "2023-12-31"), kultura, partneriba),
		task("t10", "Organizēt NVO/iedzīvotāju konferenci; atskaite par memoranda īstenošanu", "NVO konference 03.11.2023.",
			[]domain.IndicatorTarget{{Year: 1, Target: 1}, {Year: 2, Target: 1}}, kultura, partneriba),
		task("t11", "Informēt par NVO aktivitātēm", "Sociālie tīkli, mājas lapas, “Aizkraukles Novada Vēstis”", nil, kultura, partneriba),
		task("t12", "Popularizēt līdzdalības iespējas iedzīvotājiem", "Sociālie tīkli, mājas lapas", nil, kultura, partneriba),
	}
	for _, c := range cmds {
		if _, err := projtest.Cmd(ctx, w.svc, "officer@aizkraukle.lv", "", c); err != nil {
			t.Fatal(err)
		}
	}
	w.deliver(t, "t01", 1, "2023-11-03", 1)
	w.deliver(t, "t04", 1, "2023-05-20", 1)
	w.deliver(t, "t04", 1, "2023-10-12", 1)
	w.deliver(t, "t06", 1, "2023-09-15", 1)
	w.deliver(t, "t06", 1, "2023-11-20", 1)
	w.deliver(t, "t07", 1, "2023-04-10", 1)
	w.deliver(t, "t10", 1, "2023-11-03", 1)
	w.deliver(t, "t02", 2, "2024-04-15", 1)
	w.deliver(t, "t03", 2, "2024-03-20", 1)
	return w
}

func (w *workplan) deliver(t *testing.T, code string, year int, date string, qty int64) uuid.UUID {
	t.Helper()
	res, err := projtest.Cmd(context.Background(), w.svc, "coordinator@partneriba.lv", "", domain.RecordDelivery{Ref: domain.Ref{Agreement: memo},
		Indicator: code, Year: year, Quantity: qty, Date: domain.MustDate(date)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Events[0].ID
}

// overdueOn returns "code/year" of every overdue row on day, sorted.
func overdueOn(l *projections.Ledger, day string) []string {
	var out []string
	for _, r := range l.Indicators(projections.Scope{}, 0, domain.MustDate(day)).Rows {
		if r.Overdue {
			out = append(out, fmt.Sprintf("%s/%d", r.Indicator, r.Year))
		}
	}
	sort.Strings(out)
	return out
}

// TestSeed000WorkPlanOverdueOnAnyDay: the overdue list of seed 000's work
// plan on given days, worked out by hand from the deadlines above and the
// deliveries of recordSeed000; a delivery dated after the day does not
// count.
func TestSeed000WorkPlanOverdueOnAnyDay(t *testing.T) {
	w := recordSeed000(t)
	l := mustFold(t, w.store, time.Time{})
	cases := []struct {
		day  string
		want []string
	}{
		// t06's first target (1 by 2023-06-30) has no delivery until
		// 2023-09-15; t04 and t07 delivered before the end of June.
		{"2023-07-01", []string{"t06/1"}},
		// t06 reached 1 on 2023-09-15: late, no longer overdue.
		{"2023-10-01", nil},
		// The year's last day: nothing is past due yet.
		{"2023-12-31", nil},
		// t07 delivered once of twice; t09 never.
		{"2024-01-01", []string{"t07/1", "t09/1"}},
		// t02's survey is due 2024-03-31: on that day it is not overdue.
		{"2024-03-31", []string{"t07/1", "t09/1"}},
		// The next day it is: the survey of 2024-04-15 does not count yet.
		{"2024-04-01", []string{"t02/2", "t07/1", "t09/1"}},
		// Delivered on 2024-04-15, late: off the overdue list.
		{"2024-05-01", []string{"t07/1", "t09/1"}},
		// Year 2's first targets of t04, t06, t07 (by 2024-06-30) unmet.
		{"2024-07-01", []string{"t04/2", "t06/2", "t07/1", "t07/2", "t09/1"}},
	}
	for _, c := range cases {
		if got := overdueOn(l, c.day); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("overdue on %s: %v, want %v", c.day, got, c.want)
		}
	}
	// Grouped by responsible organisation on 2024-04-01 (t09 has two).
	var rows []projections.IndicatorRow
	for _, r := range l.Indicators(projections.Scope{}, 0, domain.MustDate("2024-04-01")).Rows {
		if r.Overdue {
			rows = append(rows, r)
		}
	}
	groups := projections.ByResponsible(rows, l.Grantee)
	got := map[string][]string{}
	for _, g := range groups {
		for _, r := range g.Rows {
			got[g.Organisation] = append(got[g.Organisation], fmt.Sprintf("%s/%d", r.Indicator, r.Year))
		}
	}
	want := map[string][]string{novads: {"t07/1"}, kultura: {"t09/1"}, partneriba: {"t02/2", "t09/1"}} // in the report's row order
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("overdue by responsible organisation on 2024-04-01: %v, want %v", got, want)
	}
	// Late targets are findings of their year: t06's first of 2023
	// (met 2023-09-15, due 2023-06-30) and t02 (met 2024-04-15, due 2024-03-31).
	for _, c := range []struct {
		year          int
		code, due, on string
	}{{1, "t06", "2023-06-30", "2023-09-15"}, {2, "t02", "2024-03-31", "2024-04-15"}} {
		yr, err := l.YearReport(memo, c.year, domain.MustDate("2024-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		var late []string
		for _, f := range yr.Findings {
			if f.Code == projections.FindingIndicatorLate {
				late = append(late, fmt.Sprintf("%s due %s met %s", f.Indicator, f.Date, f.MetOn))
			}
		}
		if w := fmt.Sprintf("%s due %s met %s", c.code, c.due, c.on); len(late) != 1 || late[0] != w {
			t.Errorf("year %d late findings %v, want [%s]", c.year, late, w)
		}
	}
}

// TestMemorandumHasNoMoney: a memorandum records tasks, and every money
// command is refused (docs/commands.md, register_agreement); its year
// report has no lines and no money findings.
func TestMemorandumHasNoMoney(t *testing.T) {
	w := recordSeed000(t)
	r := domain.Ref{Agreement: memo}
	for _, c := range []domain.Command{
		domain.AddBudgetLine{Ref: r, LineSpec: domain.LineSpec{Line: "x"}},
		domain.RecordDisbursement{Ref: r, Year: 1, Amount: domain.MustMoney("1"), Date: domain.MustDate("2023-02-01"), Reference: "x"},
	} {
		_, err := projtest.Cmd(context.Background(), w.svc, "officer", "", c)
		var re *domain.RuleError
		if !asRule(err, &re) || re.Rule != "memorandum-without-money" {
			t.Errorf("%s on a memorandum: %v, want rule memorandum-without-money", c.CommandType(), err)
		}
	}
	l := mustFold(t, w.store, time.Time{})
	yr, err := l.YearReport(memo, 1, domain.MustDate("2024-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	if len(yr.Lines) != 0 || yr.Total.Planned != 0 || yr.Total.Actual != 0 {
		t.Errorf("memorandum year 1: %d lines, total %+v; want none", len(yr.Lines), yr.Total)
	}
	for _, f := range yr.Findings {
		if f.Amount != nil {
			t.Errorf("memorandum year 1 has a money finding %+v", f)
		}
	}
}

// TestDeliveryEnteredWrongIsReversed: issue 15's "a delivery typed as 20
// instead of 2 stays at 1 000 % for ever". Reversed (with a reason) and
// recorded again, the year shows the right figure; the reversed delivery
// stays listed, marked.
func TestDeliveryEnteredWrongIsReversed(t *testing.T) {
	w := recordSeed000(t)
	ctx := context.Background()
	wrong := w.deliver(t, "t04", 2, "2024-02-14", 20)
	if _, err := projtest.Cmd(ctx, w.svc, "coordinator", "", domain.ReverseDelivery{Ref: domain.Ref{Agreement: memo}, Delivery: wrong, Date: domain.MustDate("2024-02-20")}); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("reversal without a reason: %v, want invalid", err)
	}
	if _, err := projtest.Cmd(ctx, w.svc, "coordinator", "typed 20 for 2", domain.ReverseDelivery{Ref: domain.Ref{Agreement: memo}, Delivery: wrong, Date: domain.MustDate("2024-02-20")}); err != nil {
		t.Fatal(err)
	}
	_, err := projtest.Cmd(ctx, w.svc, "coordinator", "again", domain.ReverseDelivery{Ref: domain.Ref{Agreement: memo}, Delivery: wrong, Date: domain.MustDate("2024-02-21")})
	var re *domain.RuleError
	if !asRule(err, &re) || re.Rule != "delivery-already-reversed" {
		t.Errorf("second reversal: %v, want rule delivery-already-reversed", err)
	}
	w.deliver(t, "t04", 2, "2024-02-14", 2)
	l := mustFold(t, w.store, time.Time{})
	rep := l.Indicators(projections.Scope{}, 2, domain.MustDate("2024-12-31"))
	for _, row := range rep.Rows {
		if row.Indicator != "t04" {
			continue
		}
		// Target 2 by 2024-12-31 (the year's last): 2 of 2 = 100,00 %.
		if row.Delivered != 2 || row.Achievement == nil || *row.Achievement != 10000 || row.Deliveries != 1 {
			t.Errorf("t04 year 2: delivered %d, achievement %v, %d deliveries; want 2, 100.00 %%, 1", row.Delivered, row.Achievement, row.Deliveries)
		}
		if len(row.DeliveriesList) != 2 || !row.DeliveriesList[0].Reversed || row.DeliveriesList[1].Reversed {
			t.Errorf("t04 year 2 deliveries %+v: want the reversed 20 and the 2", row.DeliveriesList)
		}
		// The aggregate (what IATI exports) agrees.
		if v := l.Agreements()[0].Agg.Indicators()["t04"].Value(2); v != 2 {
			t.Errorf("aggregate value of t04 in year 2 = %d, want 2", v)
		}
		return
	}
	t.Fatal("no row for t04 in year 2")
}

// TestAmendTargetKeepsOriginal: amend_target replaces a year's targets,
// with a reason; the original stays in IndicatorDefined and the
// amendment lists the previous targets (docs/commands.md, amend_target).
func TestAmendTargetKeepsOriginal(t *testing.T) {
	w := recordSeed000(t)
	ctx := context.Background()
	r := domain.Ref{Agreement: memo}
	due := domain.MustDate("2024-09-30")
	amend := domain.AmendTarget{Ref: r, Indicator: "t02", Year: 2, Targets: []domain.ScheduledTarget{{Target: 2, Due: &due}}, Date: domain.MustDate("2024-03-01")}
	if _, err := projtest.Cmd(ctx, w.svc, "officer", "", amend); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("amendment without a reason: %v, want invalid", err)
	}
	if _, err := projtest.Cmd(ctx, w.svc, "officer", "a second survey in autumn", amend); err != nil {
		t.Fatal(err)
	}
	_, err := projtest.Cmd(ctx, w.svc, "officer", "same again", amend)
	var re *domain.RuleError
	if !asRule(err, &re) || re.Rule != "targets-change-nothing" {
		t.Errorf("same amendment again: %v, want rule targets-change-nothing", err)
	}
	l := mustFold(t, w.store, time.Time{})
	v := l.Agreements()[0]
	if len(v.TargetAmendments) != 1 || len(v.TargetAmendments[0].Previous) != 1 || v.TargetAmendments[0].Previous[0].Target != 1 || v.TargetAmendments[0].Previous[0].Due.String() != "2024-03-31" {
		t.Errorf("target amendments %+v: want one, previous target 1 due 2024-03-31", v.TargetAmendments)
	}
	// On 2024-05-01 the survey of 2024-04-15 is 1 of 2, due 2024-09-30: not overdue.
	for _, row := range l.Indicators(projections.Scope{}, 2, domain.MustDate("2024-05-01")).Rows {
		if row.Indicator == "t02" && (row.Overdue || row.Target == nil || *row.Target != 2 || row.Delivered != 1) {
			t.Errorf("t02 after the amendment on 2024-05-01: %+v", row.IndicatorFigures)
		}
	}
}

func asRule(err error, re **domain.RuleError) bool {
	for e := err; e != nil; {
		if r, ok := e.(*domain.RuleError); ok {
			*re = r
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}
