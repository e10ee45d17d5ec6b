package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// TestRulesCoverEveryCommand: every command type the domain lists has an
// entry in the rules table, every type holding rules is a struct, and
// every field the table names exists in its struct (the validator skips a
// name it does not find, so a misspelt field would go unchecked).
func TestRulesCoverEveryCommand(t *testing.T) {
	seen := map[reflect.Type]bool{}
	for _, r := range rules {
		typ := reflect.TypeOf(r.of)
		if typ.Kind() != reflect.Struct {
			t.Errorf("rules for %s, which is not a struct", typ)
			continue
		}
		if seen[typ] {
			t.Errorf("%s has two entries; the validator keeps only the last", typ)
		}
		seen[typ] = true
		for name, rule := range r.fields {
			if _, ok := typ.FieldByName(name); !ok {
				t.Errorf("rules for %s.%s (%q): %s has no such field", typ.Name(), name, rule, typ.Name())
			}
		}
	}
	for _, typ := range domain.CommandTypes() {
		c, _ := domain.NewCommand(typ)
		if !seen[reflect.TypeOf(c)] {
			t.Errorf("command %s (%T) has no entry in the rules table", typ, c)
		}
	}
}

// TestAliasesWriteOutAsTheirRules: an alias stands for its rules in the
// error a person reads (the rule that failed inside it, with its limit)
// and in the list Rules gives the OpenAPI document. The limits are
// docs/commands.md's: amounts up to 100 000 000 000.00, years 1 to 50.
func TestAliasesWriteOutAsTheirRules(t *testing.T) {
	got := Rules(reflect.TypeOf(domain.RecordSpending{}), "Amount")
	want := []string{"gt=0", "lte=10000000000000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rules(RecordSpending.Amount) = %q, want %q", got, want)
	}
	got = Rules(reflect.TypeOf(domain.LineSpec{}), "Line")
	want = []string{"required", "max=64", "printascii", "excludesall= "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rules(LineSpec.Line) = %q, want %q", got, want)
	}
	if got := Rules(reflect.TypeOf(domain.Period{}), "From"); got != nil {
		t.Errorf("Rules of a type without an entry = %q, want none", got)
	}
	for _, c := range []struct {
		cmd  domain.Command
		says string
	}{
		{domain.PlanBudget{Ref: domain.Ref{Agreement: "A"}, Line: "l", Year: 1, Amount: domain.MaxMoney + 1}, "amount must be at most 100000000000.00"},
		{domain.RecordSpending{Ref: domain.Ref{Agreement: "A"}, Line: "l", Year: 51, Amount: 1, Date: domain.MustDate("2024-01-01"), Document: "d"}, "year must be at most 50"},
	} {
		var de *domain.Error
		if err := Validate(c.cmd); !errors.As(err, &de) || de.Message != c.says {
			t.Errorf("Validate(%T) = %v, want %q", c.cmd, err, c.says)
		}
	}
}
