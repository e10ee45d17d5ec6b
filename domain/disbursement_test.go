package domain_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// ruleOf returns the rule name of a refusal, failing when err is not one.
func ruleOf(t *testing.T, err error) (string, map[string]domain.Money) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("want a rule refusal, got %v", err)
	}
	return re.Rule, re.Figures
}

func refuse(t *testing.T, f *fixture, c domain.Command, reason string) error {
	t.Helper()
	evs, err := domain.Decide(f.a, c, reason)
	if err == nil {
		t.Fatalf("%s accepted (%v), want a refusal", c.CommandType(), evs)
	}
	return err
}

func disburse(year int, amount, date string) domain.RecordDisbursement {
	return domain.RecordDisbursement{Ref: ref, Year: year, Amount: m(amount), Date: d(date), Reference: "PU-" + date}
}

// Seed 004, year 3: 48 871,72 spent of 49 000,00, "the remainder of 128,28
// returned to the ministry budget". The return is due until a refund pays
// it; the refund is then on record against it.
func TestRefundPaysTheReturnOfSeed004(t *testing.T) {
	f := newFixture(t)
	f.do(registerCmd())
	f.do(plan(civil, 3, "30 000,00"))
	f.do(plan(minority, 3, "19 000,00"))
	f.do(disburse(3, "49 000,00", "2024-07-20"))
	f.do(spend(civil, 3, "29 871,72", "2025-06-30"))
	f.do(spend(minority, 3, "19 000,00", "2025-06-30"))
	f.named("return", domain.ReturnUnspent{Ref: ref, Line: civil, Year: 3, Date: d("2025-07-14")})
	due := f.a.Cash().Dues[f.ids["return"]]
	if due == nil || due.Amount != m("128,28") || due.Outstanding() != m("128,28") || due.Kind != domain.DueReturn {
		t.Fatalf("the return should be due in full: %+v", due)
	}
	// Cash: 49 000,00 received − 48 871,72 eligible spent = 128,28 held, owed back.
	if got := f.a.Held(3); got != m("128,28") {
		t.Errorf("held before the refund: %s, want 128.28", got)
	}
	// More than is due is refused, and names what is due.
	err := refuse(t, f, domain.RecordRefund{Ref: ref, For: f.ids["return"], Amount: m("128,29"), Date: d("2025-08-01"), Reference: "MK-1"}, "")
	if r, figs := ruleOf(t, err); r != "refund-exceeds-due" || figs["outstanding"] != m("128,28") {
		t.Errorf("refund above the due: rule %s %v", r, figs)
	}
	f.do(domain.RecordRefund{Ref: ref, For: f.ids["return"], Amount: m("128,28"), Date: d("2025-08-01"), Reference: "MK-1"})
	if due.Refunded != m("128,28") || due.Outstanding() != 0 {
		t.Errorf("after the refund: %+v", due)
	}
	if got := f.a.Held(3); got != 0 {
		t.Errorf("held after the refund: %s, want 0", got)
	}
	// Nothing more can be refunded against it.
	err = refuse(t, f, domain.RecordRefund{Ref: ref, For: f.ids["return"], Amount: m("0,01"), Date: d("2025-08-02"), Reference: "MK-2"}, "")
	if r, _ := ruleOf(t, err); r != "refund-exceeds-due" {
		t.Errorf("second refund: rule %s", r)
	}
	// A refund must name a return or a recovery of this agreement.
	err = refuse(t, f, domain.RecordRefund{Ref: ref, For: uuid.New(), Amount: m("1"), Date: d("2025-08-02"), Reference: "MK-3"}, "")
	if domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("refund for nothing: %v", err)
	}
}

// A recovery is due like a return; the ineligible part is not eligible
// spending, so the grantee holds it until refunded.
func TestRefundOfARecovery(t *testing.T) {
	f := registered(t)
	f.do(disburse(1, "1000", "2022-08-01"))
	f.named("spend", spend(civil, 1, "1000", "2022-10-01"))
	f.named("inel", ineligible(civil, 1, "100"))
	if got := f.a.Held(1); got != m("100") {
		t.Errorf("held with 100 ineligible: %s, want 100.00", got)
	}
	f.named("recovery", recovery(f.ids["inel"], "100"))
	f.do(domain.RecordRefund{Ref: ref, For: f.ids["recovery"], Amount: m("60"), Date: d("2023-04-01"), Reference: "R-1"})
	if due := f.a.Cash().Dues[f.ids["recovery"]]; due.Kind != domain.DueRecovery || due.Outstanding() != m("40") {
		t.Errorf("recovery due: %+v", due)
	}
	if got := f.a.Held(1); got != m("40") {
		t.Errorf("held: %s, want 40.00", got)
	}
}

// The agreement's total funding is a ceiling on plans, the payment
// schedule and payments (issue 14: plans of 5 000,00 against 1 000,00
// raised nothing).
func TestCeiling(t *testing.T) {
	f := newFixture(t)
	reg := registerCmd()
	reg.TotalFunding = m("1 000,00")
	f.do(reg)
	err := refuse(t, f, plan(civil, 1, "5 000,00"), "")
	if r, figs := ruleOf(t, err); r != "plan-exceeds-ceiling" || figs["ceiling"] != m("1000") || figs["amount"] != m("5000") {
		t.Errorf("plan above the ceiling: %s %v", r, figs)
	}
	f.do(plan(civil, 1, "600"))
	f.do(plan(minority, 1, "400"))
	err = refuse(t, f, plan(civil, 2, "0,01"), "")
	if r, figs := ruleOf(t, err); r != "plan-exceeds-ceiling" || figs["planned"] != m("1000") {
		t.Errorf("plan one cent above the ceiling: %s %v", r, figs)
	}
	// Amending down frees room; amending up past it is refused.
	f.do(amend(civil, 1, "500"))
	f.do(plan(civil, 2, "100"))
	err = refuse(t, f, amend(minority, 1, "400,01"), "r")
	if r, _ := ruleOf(t, err); r != "plan-exceeds-ceiling" {
		t.Errorf("amendment above the ceiling: %s", r)
	}
	// The schedule and the payments.
	f.do(domain.PlanDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("500"), Date: d("2022-07-20")})
	err = refuse(t, f, domain.PlanDisbursement{Ref: ref, Kind: domain.PayFinal, Year: 3, Amount: m("500,01"), Date: d("2025-08-01")}, "")
	if r, figs := ruleOf(t, err); r != "schedule-exceeds-ceiling" || figs["scheduled"] != m("500") {
		t.Errorf("schedule above the ceiling: %s %v", r, figs)
	}
	f.do(disburse(1, "999,99", "2022-07-20"))
	err = refuse(t, f, disburse(2, "0,02", "2023-07-20"), "")
	if r, figs := ruleOf(t, err); r != "disbursement-exceeds-ceiling" || figs["disbursed"] != m("999,99") {
		t.Errorf("payment above the ceiling: %s %v", r, figs)
	}
	f.do(disburse(2, "0,01", "2023-07-20"))
}

// Without a total funding no ceiling applies (stored agreements registered
// without one keep working).
func TestNoCeilingWithoutTotalFunding(t *testing.T) {
	f := registered(t)
	f.do(plan(minority, 2, "99 999 999,00"))
	f.do(disburse(1, "99 999 999,00", "2022-08-01"))
}

func TestDisbursementReversal(t *testing.T) {
	f := registered(t)
	f.named("pay", disburse(1, "700", "2022-08-01"))
	if _, err := domain.Decide(f.a, domain.ReverseDisbursement{Ref: ref, Disbursement: f.ids["pay"], Date: d("2022-08-02")}, ""); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("reversal without a reason: %v", err)
	}
	f.do(domain.ReverseDisbursement{Ref: ref, Disbursement: f.ids["pay"], Date: d("2022-08-02")})
	if got := f.a.TotalDisbursed(); got != 0 {
		t.Errorf("disbursed after the reversal: %s", got)
	}
	err := refuse(t, f, domain.ReverseDisbursement{Ref: ref, Disbursement: f.ids["pay"], Date: d("2022-08-03")}, "twice")
	if r, figs := ruleOf(t, err); r != "disbursement-already-reversed" || figs["amount"] != m("700") {
		t.Errorf("second reversal: %s %v", r, figs)
	}
	err = refuse(t, f, disburse(9, "1", "2022-08-01"), "")
	if domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("payment for year 9: %v", err)
	}
}

// A final payment after the year's closing is normal practice: a closed
// year still takes disbursements and refunds.
func TestClosedYearTakesPaymentsAndRefunds(t *testing.T) {
	f := registered(t)
	f.do(spend(civil, 1, "900", "2023-01-05"))
	f.do(spend(minority, 1, "500", "2023-01-05"))
	f.named("return", giveBack(civil, 1, ""))
	f.do(closeYear(1))
	f.do(disburse(1, "1500", "2023-08-01"))
	f.do(domain.RecordRefund{Ref: ref, For: f.ids["return"], Amount: m("100"), Date: d("2023-08-02"), Reference: "x"})
	if got := f.a.Held(1); got != 0 {
		t.Errorf("held: %s, want 0", got)
	}
}

func TestSupportIntensity(t *testing.T) {
	for s, want := range map[string]int64{"100": 10000, "0": 0, "85": 8500, "62.5": 6250, "62,50": 6250, "100.00": 10000} {
		if got, err := domain.ParseIntensity(s); err != nil || got != want {
			t.Errorf("ParseIntensity(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"150", "100.01", "-1", "1.234", "", "abc", "+5"} {
		if _, err := domain.ParseIntensity(s); err == nil {
			t.Errorf("ParseIntensity(%q) accepted", s)
		}
	}
	// Issue 14: support intensity "150" was accepted.
	reg := registerCmd()
	reg.SupportIntensity = "150"
	_, err := domain.Decide(domain.NewAgreement(), reg, "")
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != "support_intensity" {
		t.Errorf("intensity 150: %v", err)
	}
}

// Sums of payments are checked: a schedule or payments whose total would
// pass the largest figure the ledger keeps are refused with rule
// amount-overflow, as every other figure (issue 12, docs/commands.md), and
// nothing is recorded (the state is set up directly, as a long history
// would leave it).
func TestCashTotalsOverflowChecked(t *testing.T) {
	f := registered(t)
	long := f.a.State()
	long.Cash.Schedule = append(long.Cash.Schedule, domain.DisbursementPlanned{Year: 1, Amount: domain.Money(1<<63 - 1 - 5)})
	a, err := domain.RestoreAgreement(long)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := domain.Decide(a, domain.PlanDisbursement{Ref: ref, Kind: domain.PayTranche, Year: 1, Amount: 10, Date: d("2022-08-01")}, "")
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "amount-overflow" || len(evs) != 0 {
		t.Errorf("schedule past int64: %v (%d events), want rule amount-overflow and no event", err, len(evs))
	}
	long = registered(t).a.State()
	long.Cash.Disbursed[1] = domain.Money(1<<63 - 1 - 5)
	if a, err = domain.RestoreAgreement(long); err != nil {
		t.Fatal(err)
	}
	evs, err = domain.Decide(a, disburse(2, "0,10", "2023-08-01"), "")
	if !errors.As(err, &re) || re.Rule != "amount-overflow" || len(evs) != 0 {
		t.Errorf("payments past int64: %v (%d events), want rule amount-overflow and no event", err, len(evs))
	}
}
