package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseDate checks that ParseDate never panics, that every date it
// accepts lies in 1900–2200, and that both written forms of an accepted
// date read back as the same day.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2022-07-15", "15.07.2022.", "15.07.2022", "2024-02-29", "2023-02-29",
		"31.12.2200.", "01.01.1899.", "", "....", "2022-7-15", "15.7.2022.", " 2022-07-15 ", "9999-99-99", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "date ") {
				t.Fatalf("ParseDate(%q): error %q does not say it is about a date", s, err)
			}
			return
		}
		if y := d.Time().Year(); y < 1900 || y > 2200 {
			t.Fatalf("ParseDate(%q) = %s: year outside 1900–2200 accepted", s, d)
		}
		for _, form := range []string{d.String(), d.Latvian()} {
			back, err := ParseDate(form)
			if err != nil || back != d {
				t.Fatalf("ParseDate(%q) = %s, but its form %q reads back as %s, %v", s, d, form, back, err)
			}
		}
	})
}

// FuzzPeriodJSON decodes a period (as in an implementation year) from
// JSON: no panic, and an accepted period marshals and decodes to itself.
func FuzzPeriodJSON(f *testing.F) {
	for _, s := range []string{`{"from":"2022-07-15","to":"2023-07-14"}`, `{"from":"15.07.2022.","to":"14.07.2023."}`,
		`{"from":20220715,"to":null}`, `{"from":"2023-07-14","to":"2022-07-15"}`, `{}`, `[]`, `{"from":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Period
		if err := json.Unmarshal(b, &p); err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %+v: %v", p, err)
		}
		var q Period
		if err := json.Unmarshal(out, &q); err != nil || q != p {
			t.Fatalf("period %s marshals as %s, which reads back as %s, %v", p, out, q, err)
		}
		if p.From <= p.To && !p.Contains(p.From) {
			t.Fatalf("period %s does not contain its first day", p)
		}
	})
}
