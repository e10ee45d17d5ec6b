package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar day with no time of day and no zone, stored as the
// number of days since 1970-01-01. The zero Date is 1970-01-01; use IsZero
// only where "no date" has been agreed as meaning that.
type Date int32

// NewDate returns the Date for a year, month and day. It panics on a day
// that does not exist, so use ParseDate for input.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != m {
		panic(fmt.Sprintf("no such day %04d-%02d-%02d", y, m, d))
	}
	return Date(t.Unix() / 86400)
}

// DateOf returns the calendar day of t in UTC.
func DateOf(t time.Time) Date {
	t = t.UTC()
	return NewDate(t.Year(), t.Month(), t.Day())
}

// ParseDate reads "2022-07-15" (ISO 8601) or the Latvian "15.07.2022." (the
// final point is optional).
func ParseDate(s string) (Date, error) {
	in := strings.TrimSpace(s)
	var layout string
	switch {
	case len(in) == 10 && in[4] == '-':
		layout = "2006-01-02"
	case strings.Count(in, ".") >= 2:
		in = strings.TrimSuffix(in, ".")
		layout = "02.01.2006"
	default:
		return 0, fmt.Errorf("date %q: expected YYYY-MM-DD or DD.MM.YYYY.", s)
	}
	t, err := time.Parse(layout, in)
	if err != nil {
		return 0, fmt.Errorf("date %q: not a calendar day (expected YYYY-MM-DD or DD.MM.YYYY.)", s)
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return 0, fmt.Errorf("date %q: year %d is outside 1900–2200", s, t.Year())
	}
	return DateOf(t), nil
}

// MustDate parses s and panics on error; for tests and built-in scenarios.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Time returns midnight UTC at the start of the day.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns the ISO form "2022-07-15".
func (d Date) String() string { return d.Time().Format("2006-01-02") }

// Latvian returns the Latvian form "15.07.2022.".
func (d Date) Latvian() string { return d.Time().Format("02.01.2006.") }

// AddDays returns the day n days later (or earlier, for negative n).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// MarshalJSON writes "2022-07-15".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "2022-07-15" or "15.07.2022.".
func (d *Date) UnmarshalJSON(b []byte) error {
	s, ok := plainJSONString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("date %s: write dates as strings, e.g. \"2022-07-15\"", truncate(string(b), 40))
		}
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Period is an inclusive range of days, such as an implementation year
// 2022-07-15 … 2023-07-14.
type Period struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Contains reports whether d lies within the period, both ends included.
func (p Period) Contains(d Date) bool { return d >= p.From && d <= p.To }

// Overlaps reports whether the two periods share at least one day.
func (p Period) Overlaps(q Period) bool { return p.From <= q.To && q.From <= p.To }

// String returns "2022-07-15..2023-07-14".
func (p Period) String() string { return p.From.String() + ".." + p.To.String() }

// Latvian returns "15.07.2022. – 14.07.2023.".
func (p Period) Latvian() string { return p.From.Latvian() + " – " + p.To.Latvian() }
