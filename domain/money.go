package domain

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Money is an exact amount of euro, counted in whole cents. It is never a
// float: every sum, difference and comparison in grantledger is integer
// arithmetic on cents. A Money may be negative inside the ledger (a remainder
// after overspending), but ParseMoney only accepts amounts of zero or more.
type Money int64

// MaxMoney is the largest amount grantledger accepts as input: one hundred
// billion euro. It keeps every sum of accepted amounts far from int64 overflow.
const MaxMoney Money = 100_000_000_000_00

// Cents returns the amount as a whole number of cents.
func (m Money) Cents() int64 { return int64(m) }

// ParseMoney reads an amount of euro written the way accountants write it:
// "47786.53", "47 786,53", "47 786,53 euro", "19 998.58 EUR" or "49000".
// Spaces (also non-breaking and thin spaces) group thousands; the decimal
// separator is a point or a comma followed by one or two digits. Input such
// as "1.234" is refused because it could mean one euro or one thousand; so is
// more than one separator, a sign, an empty string or anything that is not a
// digit.
func ParseMoney(s string) (Money, error) {
	orig := s
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	for _, suffix := range []string{"euro", "eur", "€"} {
		if strings.HasSuffix(lower, suffix) {
			s = strings.TrimSpace(s[:len(s)-len(suffix)])
			break
		}
	}
	s = strings.TrimPrefix(s, "€")
	if s == "" {
		return 0, fmt.Errorf("amount %q: empty, expected a number of euro such as 47786.53 or 47 786,53", orig)
	}
	var b strings.Builder
	sepIdx := -1
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009':
			if sepIdx >= 0 {
				return 0, fmt.Errorf("amount %q: space after the decimal separator", orig)
			}
		case r == '.' || r == ',':
			if sepIdx >= 0 {
				return 0, fmt.Errorf("amount %q: more than one decimal separator; write thousands with spaces, as in 47 786,53", orig)
			}
			sepIdx = b.Len()
		case r == '-':
			return 0, fmt.Errorf("amount %q: negative amounts are not accepted; record a reversal or a return instead", orig)
		default:
			return 0, fmt.Errorf("amount %q: unexpected character %q; expected digits, spaces and one decimal separator", orig, r)
		}
	}
	digits := b.String()
	if err := checkGrouping(s, orig); err != nil {
		return 0, err
	}
	if digits == "" {
		return 0, fmt.Errorf("amount %q: no digits", orig)
	}
	whole, frac := digits, ""
	if sepIdx >= 0 {
		whole, frac = digits[:sepIdx], digits[sepIdx:]
		switch len(frac) {
		case 1:
			frac += "0"
		case 2:
		case 0:
			return 0, fmt.Errorf("amount %q: decimal separator without decimals", orig)
		default:
			return 0, fmt.Errorf("amount %q: %d digits after the separator is ambiguous (cents have two); write 1234.00 or 1 234,00", orig, len(frac))
		}
		if whole == "" {
			return 0, fmt.Errorf("amount %q: no digits before the decimal separator; write 0,50 or 0.50", orig)
		}
	} else {
		frac = "00"
	}
	if len(whole) > 12 {
		return 0, fmt.Errorf("amount %q: too large (at most %s)", orig, MaxMoney)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %v", orig, err)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	m := Money(w*100 + f)
	if m > MaxMoney {
		return 0, fmt.Errorf("amount %q: too large (at most %s)", orig, MaxMoney)
	}
	return m, nil
}

// checkGrouping refuses spaces that do not group thousands: in "47 786,53"
// every group after the first has exactly three digits, so "4 7786" (a
// typing slip) is not read as 47 786.
func checkGrouping(s, orig string) error {
	whole := s
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		whole = s[:i]
	}
	groups := strings.FieldsFunc(whole, func(r rune) bool {
		return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009'
	})
	for i, g := range groups {
		if (i == 0 && len(g) > 3 && len(groups) > 1) || (i > 0 && len(g) != 3) {
			return fmt.Errorf("amount %q: spaces must group thousands, as in 47 786,53", orig)
		}
	}
	return nil
}

// MustMoney parses s and panics on error. It is meant for tests and for
// figures written into the program, such as the seed scenarios.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// String formats the amount with a point and two decimals, no grouping:
// "47786.53", "-12.00". This is the form used in JSON and CSV.
func (m Money) String() string {
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v/100, 10) + "." + twoDigits(v%100)
	if neg {
		return "-" + s
	}
	return s
}

// Latvian formats the amount the way Latvian documents write it: a space
// groups thousands and a comma separates cents, as in "47 786,53".
func (m Money) Latvian() string { return m.Grouped(' ', ',') }

// Grouped formats the amount with the given thousands and decimal separators.
func (m Money) Grouped(thousands, decimal rune) string {
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune(thousands)
		}
		b.WriteRune(r)
	}
	b.WriteRune(decimal)
	b.WriteString(twoDigits(v % 100))
	return b.String()
}

func twoDigits(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

// MarshalJSON writes the amount as a decimal string with two decimals,
// "47786.53", so no JSON reader ever sees it as a float.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + m.String() + `"`), nil
}

// UnmarshalJSON reads a decimal string such as "47786.53" or "47 786,53".
// A bare JSON number is refused: it would invite float rounding upstream.
func (m *Money) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return fmt.Errorf("amount %s: write amounts as strings, e.g. \"47786.53\"", truncate(string(b), 40))
	}
	s, ok := plainJSONString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := parseSignedMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// parseSignedMoney accepts a leading minus for values the ledger itself
// wrote (remainders can be negative); user input goes through ParseMoney.
func parseSignedMoney(s string) (Money, error) {
	if strings.HasPrefix(s, "-") {
		v, err := ParseMoney(s[1:])
		return -v, err
	}
	return ParseMoney(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// plainJSONString returns the string of the JSON string b when b is one
// without escapes and of printable ASCII only, where the text between the
// quotes is the string itself (what json.Unmarshal would give, without
// its reflection); else false, and the caller asks encoding/json.
func plainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(in), true
}
