package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

func TestParseMoneyAccepts(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		cents int64
	}{
		{"point decimals", "47786.53", 4778653},
		{"latvian grouping", "47 786,53", 4778653},
		{"latvian with euro", "47 786,53 euro", 4778653},
		{"whole euro", "49000", 4900000},
		{"grouped point with EUR", "19 998.58 EUR", 1999858},
		{"comma with EUR", "6460,64 EUR", 646064},
		{"non-breaking space", "47\u00a0786,53", 4778653},
		{"narrow no-break space", "47\u202f786,53", 4778653},
		{"thin space", "1\u2009000,00", 100000},
		{"one decimal comma", "12,3", 1230},
		{"one decimal point", "12.3", 1230},
		{"zero", "0", 0},
		{"zero cents", "0,00", 0},
		{"leading and trailing space", "  128,28  ", 12828},
		{"euro sign suffix", "128,28 €", 12828},
		{"euro sign prefix", "€128.28", 12828},
		{"lower-case eur", "10 eur", 1000},
		{"upper-case EURO", "10 EURO", 1000},
		{"largest accepted", "100 000 000 000,00", int64(domain.MaxMoney)},
		{"seed 004 year 1 remainder", "1 213,47", 121347},
		{"three groups", "1 234 567,89", 123456789},
		{"first group of three", "478 653,00", 47865300},
		{"first group of one, no decimals", "1 000", 100000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseMoney(tt.in)
			if err != nil {
				t.Fatalf("ParseMoney(%q): unexpected error %v", tt.in, err)
			}
			if got.Cents() != tt.cents {
				t.Errorf("ParseMoney(%q) = %d cents, want %d", tt.in, got.Cents(), tt.cents)
			}
		})
	}
}

func TestParseMoneyRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		why  string // a word the message must contain
	}{
		{"three decimals is ambiguous", "1.234", "ambiguous"},
		{"two separators", "12,3,4", "more than one decimal separator"},
		{"space not grouping thousands", "4 7786", "group thousands"},
		{"group of two", "47 78,00", "group thousands"},
		{"first group of four", "4778 653,00", "group thousands"},
		{"first group of five, point", "47786 530.00", "group thousands"},
		{"first group of four, no decimals", "1234 567", "group thousands"},
		{"last group of four", "1 2345", "group thousands"},
		{"no whole part", ",5", "no digits before the decimal separator"},
		{"point then comma", "1.234,56", "more than one decimal separator"},
		{"empty", "", "empty"},
		{"only spaces", "   ", "empty"},
		{"only currency", "EUR", "empty"},
		{"NaN", "NaN", "unexpected character"},
		{"Inf", "Inf", "unexpected character"},
		{"negative", "-5", "negative"},
		{"negative latvian", "-47 786,53", "negative"},
		{"exponent", "1e5", "unexpected character"},
		{"separator without decimals", "12.", "without decimals"},
		{"letters", "abc", "unexpected character"},
		{"letters after digits", "12abc", "unexpected character"},
		{"plus sign", "+5", "unexpected character"},
		{"space after separator", "12, 34", "space after the decimal separator"},
		{"only a separator", ",", "no digits"},
		{"just above the maximum", "100 000 000 000,01", "too large"},
		{"thirteen whole digits", "1000000000000", "too large"},
		{"far too large for int64", "99999999999999999999999", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseMoney(tt.in)
			if err == nil {
				t.Fatalf("ParseMoney(%q) = %s, want an error", tt.in, got)
			}
			msg := err.Error()
			quoted, _ := json.Marshal(tt.in) // %q of a plain string matches its JSON form
			if !strings.Contains(msg, string(quoted)) {
				t.Errorf("ParseMoney(%q) error %q does not name the input", tt.in, msg)
			}
			if !strings.Contains(msg, tt.why) {
				t.Errorf("ParseMoney(%q) error %q does not say %q", tt.in, msg, tt.why)
			}
		})
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		cents   int64
		str     string
		latvian string
	}{
		{0, "0.00", "0,00"},
		{5, "0.05", "0,05"},
		{50, "0.50", "0,50"},
		{100, "1.00", "1,00"},
		{99999, "999.99", "999,99"},
		{100000, "1000.00", "1 000,00"},
		{4778653, "47786.53", "47 786,53"},
		{4900000, "49000.00", "49 000,00"},
		{123456789012, "1234567890.12", "1 234 567 890,12"},
		{-12828, "-128.28", "-128,28"},
		{-121347, "-1213.47", "-1 213,47"},
		{-5, "-0.05", "-0,05"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			m := domain.Money(tt.cents)
			if got := m.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := m.Latvian(); got != tt.latvian {
				t.Errorf("Latvian() = %q, want %q", got, tt.latvian)
			}
		})
	}
	t.Run("grouped with custom separators", func(t *testing.T) {
		if got, want := domain.Money(4778653).Grouped(',', '.'), "47,786.53"; got != want {
			t.Errorf("Grouped(',', '.') = %q, want %q", got, want)
		}
	})
}

func TestMoneyJSON(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		for _, cents := range []int64{0, 1, 4778653, -12828, int64(domain.MaxMoney)} {
			in := struct {
				A domain.Money `json:"a"`
			}{domain.Money(cents)}
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatalf("marshal %d: %v", cents, err)
			}
			want := `{"a":"` + domain.Money(cents).String() + `"}`
			if string(b) != want {
				t.Errorf("marshal %d = %s, want %s", cents, b, want)
			}
			var out struct {
				A domain.Money `json:"a"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			if out.A != in.A {
				t.Errorf("round trip of %d cents gave %d", cents, out.A)
			}
		}
	})
	t.Run("latvian string accepted", func(t *testing.T) {
		var m domain.Money
		if err := json.Unmarshal([]byte(`"47 786,53"`), &m); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		if m != 4778653 {
			t.Errorf("got %d cents, want 4778653", m)
		}
	})
	refused := []struct {
		name, in, want string
	}{
		{"bare number", `47786.53`, "write amounts as strings"},
		{"bare integer", `49000`, "write amounts as strings"},
		{"null", `null`, "write amounts as strings"},
		{"boolean", `true`, "write amounts as strings"},
		{"bad string", `"12,3,4"`, "more than one decimal separator"},
		{"empty string", `""`, "empty"},
		{"lone minus", `"-"`, "empty"},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			var m domain.Money
			err := json.Unmarshal([]byte(tt.in), &m)
			if err == nil {
				t.Fatalf("unmarshal %s = %s, want an error", tt.in, m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("unmarshal %s: error %q does not say %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestMustMoneyPanicsOnBadInput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustMoney(\"1.234\") did not panic")
		}
	}()
	domain.MustMoney("1.234")
}

// FuzzParseMoney checks that ParseMoney never panics, and that every amount
// it accepts is within range and survives formatting and parsing again in
// both the point and the Latvian form. Run longer with
// go test ./domain -run '^$' -fuzz FuzzParseMoney -fuzztime 30s.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"47786.53", "47 786,53 euro", "49000", "12,3", "1.234", "-5", "", "€1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := domain.ParseMoney(s)
		if err != nil {
			if !strings.Contains(err.Error(), "amount ") {
				t.Errorf("ParseMoney(%q): error %q does not say it is about an amount", s, err)
			}
			return
		}
		if m < 0 || m > domain.MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d cents, outside 0..MaxMoney", s, m)
		}
		for _, form := range []string{m.String(), m.Latvian(), m.Latvian() + " euro"} {
			back, err := domain.ParseMoney(form)
			if err != nil {
				t.Fatalf("ParseMoney(%q) = %d, but its form %q does not parse: %v", s, m, form, err)
			}
			if back != m {
				t.Fatalf("ParseMoney(%q) = %d, but %q parses to %d", s, m, form, back)
			}
		}
	})
}
