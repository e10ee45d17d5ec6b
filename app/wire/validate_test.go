package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

func TestValidateCommand(t *testing.T) {
	good := registerCmd()
	tests := []struct {
		name  string
		cmd   domain.Command
		field string   // the first bad field, as the *Error names it
		says  []string // every message part expected, in words
	}{
		{"register with nothing", domain.RegisterAgreement{}, "agreement", []string{
			"agreement is required", "kind is required", "title is required", "grantee is required",
			"funder is required", "period is required", "years is required"}},
		{"register with a bad kind", func() domain.Command { c := good; c.Kind = "loan"; return c }(), "kind",
			[]string{`kind must be one of delegation, grant, memorandum, not "loan"`}},
		{"register with a bad support intensity", func() domain.Command { c := good; c.SupportIntensity = "all"; return c }(), "support_intensity",
			[]string{"support_intensity must be a percentage"}},
		{"register with year 0", func() domain.Command {
			c := good
			c.Years = []domain.YearSpec{{Year: 0, From: year1.From, To: year1.To}}
			return c
		}(), "years[0].year", []string{"years[0].year must be at least 1"}},
		{"register with no years", func() domain.Command { c := good; c.Years = []domain.YearSpec{}; return c }(), "years",
			[]string{"years needs at least 1 entries"}},
		{"register with a line code with a space", func() domain.Command {
			c := good
			c.Lines = []domain.LineSpec{{Line: "civil society"}}
			return c
		}(), "lines[0].line", []string{"lines[0].line must be a short code", "without spaces"}},
		{"register with a long title", func() domain.Command { c := good; c.Title = strings.Repeat("x", 501); return c }(), "title",
			[]string{"title is longer than 500 characters"}},
		{"add a line without a code", domain.AddBudgetLine{Ref: ref}, "line", []string{"line is required"}},
		{"plan a negative amount", domain.PlanBudget{Ref: ref, Line: civil, Year: 1, Amount: -100}, "amount",
			[]string{"amount must be at least 0.00"}},
		{"plan above the maximum", domain.PlanBudget{Ref: ref, Line: civil, Year: 1, Amount: domain.MaxMoney + 1}, "amount",
			[]string{"amount must be at most 100000000000.00"}},
		{"plan year 0", domain.PlanBudget{Ref: ref, Line: civil, Amount: 1}, "year", []string{"year must be at least 1"}},
		{"plan year 51", domain.PlanBudget{Ref: ref, Line: civil, Year: 51, Amount: 1}, "year", []string{"year must be at most 50"}},
		{"plan without agreement", domain.PlanBudget{Line: civil, Year: 1, Amount: 1}, "agreement", []string{"agreement is required"}},
		{"amend without effective date", domain.AmendBudget{Ref: ref, Line: civil, Year: 1, Amount: 1}, "effective_date",
			[]string{"effective_date is required"}},
		{"spend zero", domain.RecordSpending{Ref: ref, Line: civil, Year: 1, Date: d("2023-01-01"), Document: "x"}, "amount",
			[]string{"amount must be more than 0.00"}},
		{"spend negative", domain.RecordSpending{Ref: ref, Line: civil, Year: 1, Amount: -1, Date: d("2023-01-01"), Document: "x"}, "amount",
			[]string{"amount must be more than 0.00"}},
		{"spend without date and document", domain.RecordSpending{Ref: ref, Line: civil, Year: 1, Amount: 1}, "date",
			[]string{"date is required", "document is required"}},
		{"reverse without spending id", domain.ReverseSpending{Ref: ref, Date: d("2023-01-01")}, "spending",
			[]string{"spending is required"}},
		{"carry over from year 50", domain.CarryOver{Ref: ref, Line: civil, FromYear: 50, Date: d("2023-01-01")}, "from_year",
			[]string{"from_year must be at most 49"}},
		{"carry over a negative amount", domain.CarryOver{Ref: ref, Line: civil, FromYear: 1, Amount: -1, Date: d("2023-01-01")}, "amount",
			[]string{"amount must be at least 0.00"}},
		{"return without date", domain.ReturnUnspent{Ref: ref, Line: civil, Year: 1}, "date", []string{"date is required"}},
		{"ineligible zero without description", domain.DeclareIneligible{Ref: ref, Line: civil, Year: 1, Date: d("2023-01-01")}, "amount",
			[]string{"amount must be more than 0.00", "description is required"}},
		{"recovery of zero", domain.RecordRecovery{Ref: ref, Ineligible: uuid.New(), Date: d("2023-01-01")}, "amount",
			[]string{"amount must be more than 0.00"}},
		{"indicator with a bad aggregation", domain.DefineIndicator{Ref: ref, Indicator: "ngos", Name: "n", Unit: "u", Aggregation: "average"}, "aggregation",
			[]string{`aggregation must be one of sum, distinct, latest, not "average"`}},
		{"indicator code with a space", domain.DefineIndicator{Ref: ref, Indicator: "unique ngos", Name: "n", Unit: "u", Aggregation: "sum"}, "indicator",
			[]string{"indicator must be a short code"}},
		{"indicator with a negative target", domain.DefineIndicator{Ref: ref, Indicator: "x", Name: "n", Unit: "u", Aggregation: "sum",
			Targets: []domain.IndicatorTarget{{Year: 1, Target: -1}}}, "targets[0].target", []string{"targets[0].target must be at least 0"}},
		{"delivery with an empty identifier", domain.RecordDelivery{Ref: ref, Indicator: "x", Year: 1, Identifiers: []string{"a", ""}, Date: d("2023-01-01")},
			"identifiers[1]", []string{"identifiers[1] is required"}},
		{"delivery with a negative quantity", domain.RecordDelivery{Ref: ref, Indicator: "x", Year: 1, Quantity: -3, Date: d("2023-01-01")},
			"quantity", []string{"quantity must be at least 0"}},
		{"close year 0", domain.CloseYear{Ref: ref, Date: d("2023-01-01")}, "year", []string{"year must be at least 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wire.Validate(tt.cmd)
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error", tt.cmd)
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
			}
			if de.Code != domain.EInvalid {
				t.Errorf("code = %q, want %q", de.Code, domain.EInvalid)
			}
			if de.Field != tt.field {
				t.Errorf("field = %q, want %q (error: %v)", de.Field, tt.field, err)
			}
			for _, s := range tt.says {
				if !strings.Contains(de.Message, s) {
					t.Errorf("message %q does not say %q", de.Message, s)
				}
			}
			for _, goName := range []string{"RegisterAgreement.", "Ref.", "LineSpec.", "Amount", "FromYear"} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("message %q names the Go field %q instead of the JSON field", err, goName)
				}
			}
		})
	}

	t.Run("valid commands pass", func(t *testing.T) {
		id := uuid.New()
		for _, c := range []domain.Command{
			good, plan(civil, 1, "0"), amend(civil, 1, "1"), spend(civil, 1, "0.01", "2023-01-01"), reverse(id),
			carry(civil, 1, ""), giveBack(civil, 1, ""), ineligible(civil, 1, "1"), recovery(id, "1"),
			indicator("ngos", "distinct", domain.IndicatorTarget{Year: 1, Target: 50}), deliver("ngos", 1, 0, "2023-01-01", "A"), closeYear(1),
			domain.AddBudgetLine{Ref: ref, LineSpec: domain.LineSpec{Line: "travel"}},
		} {
			if err := wire.Validate(c); err != nil {
				t.Errorf("Validate(%s) = %v, want nil", c.CommandType(), err)
			}
		}
	})
}

// docs/commands.md, register_agreement: support_intensity is "a percentage
// from 0 to 100 with at most two decimals, e.g. "100", "85,5"; anything
// else is refused (invalid, naming support_intensity)". "85,5" was refused
// by the shape check (a number with a point only) before the rule saw it.
func TestSupportIntensityAsDocumented(t *testing.T) {
	base := domain.RegisterAgreement{Ref: domain.Ref{Agreement: "INT-1"}, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
		Period: domain.Period{From: domain.MustDate("2024-01-01"), To: domain.MustDate("2024-12-31")},
		Years:  []domain.YearSpec{{Year: 1, From: domain.MustDate("2024-01-01"), To: domain.MustDate("2024-12-31")}}}
	for _, ok := range []string{"100", "85,5", "85.5", "0", "62,50"} {
		c := base
		c.SupportIntensity = ok
		if err := wire.Validate(c); err != nil {
			t.Errorf("support_intensity %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"150", "all", "85,555", "-5", "1e2", "85,5,5", "85,", "85."} {
		c := base
		c.SupportIntensity = bad
		err := wire.Validate(c)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EInvalid || de.Field != "support_intensity" {
			t.Errorf("support_intensity %q: %v, want invalid naming support_intensity", bad, err)
		}
	}
}
