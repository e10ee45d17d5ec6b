package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/domain"
)

func TestParseDateAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want domain.Date
	}{
		{"iso", "2022-07-15", domain.NewDate(2022, time.July, 15)},
		{"latvian with final point", "15.07.2022.", domain.NewDate(2022, time.July, 15)},
		{"latvian without final point", "14.07.2025", domain.NewDate(2025, time.July, 14)},
		{"surrounding space", " 2023-07-14 ", domain.NewDate(2023, time.July, 14)},
		{"leap day", "29.02.2024.", domain.NewDate(2024, time.February, 29)},
		{"first day of 1970", "1970-01-01", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseDate(tt.in)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateRejects(t *testing.T) {
	for _, in := range []string{
		"", "2022-02-30", "2023-02-29", "31.04.2022.", "32.01.2022.", "2022-13-01",
		"15/07/2022", "2022-7-15", "yesterday", "15.07.22.", "1899-12-31", "2201-01-01",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := domain.ParseDate(in)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %s, want an error", in, got)
			}
			if !strings.Contains(err.Error(), `"`+in+`"`) {
				t.Errorf("ParseDate(%q) error %q does not name the input", in, err)
			}
		})
	}
}

func TestNewDatePanicsOnMissingDay(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewDate(2023, February, 29) did not panic")
		}
	}()
	domain.NewDate(2023, time.February, 29)
}

func TestDateFormats(t *testing.T) {
	d := domain.MustDate("15.07.2022.")
	if got, want := d.String(), "2022-07-15"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := d.Latvian(), "15.07.2022."; got != want {
		t.Errorf("Latvian() = %q, want %q", got, want)
	}
	if got, want := d.AddDays(365).String(), "2023-07-15"; got != want {
		t.Errorf("AddDays(365) = %q, want %q", got, want)
	}
	if got, want := d.AddDays(-15).String(), "2022-06-30"; got != want {
		t.Errorf("AddDays(-15) = %q, want %q", got, want)
	}
	if got := domain.DateOf(time.Date(2022, 7, 15, 23, 59, 0, 0, time.UTC)); got != d {
		t.Errorf("DateOf(late on 15 July) = %s, want %s", got, d)
	}
}

func TestDateJSON(t *testing.T) {
	d := domain.MustDate("2022-07-15")
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `"2022-07-15"` {
		t.Errorf("marshal = %s, want \"2022-07-15\"", b)
	}
	for _, in := range []string{`"2022-07-15"`, `"15.07.2022."`} {
		var got domain.Date
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("unmarshal %s: %v", in, err)
		}
		if got != d {
			t.Errorf("unmarshal %s = %s, want %s", in, got, d)
		}
	}
	for _, in := range []string{`20220715`, `"2022-02-30"`, `null`} {
		var got domain.Date
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("unmarshal %s = %s, want an error", in, got)
		}
	}
}

func TestPeriod(t *testing.T) {
	y1 := domain.Period{From: domain.MustDate("15.07.2022."), To: domain.MustDate("14.07.2023.")}
	y2 := domain.Period{From: domain.MustDate("15.07.2023."), To: domain.MustDate("14.07.2024.")}
	contains := []struct {
		day  string
		want bool
	}{
		{"2022-07-14", false},
		{"2022-07-15", true},
		{"2022-12-31", true},
		{"2023-07-14", true},
		{"2023-07-15", false},
	}
	for _, c := range contains {
		t.Run("contains "+c.day, func(t *testing.T) {
			if got := y1.Contains(domain.MustDate(c.day)); got != c.want {
				t.Errorf("%s.Contains(%s) = %v, want %v", y1, c.day, got, c.want)
			}
		})
	}
	t.Run("overlaps", func(t *testing.T) {
		if y1.Overlaps(y2) || y2.Overlaps(y1) {
			t.Errorf("consecutive years %s and %s overlap", y1, y2)
		}
		shared := domain.Period{From: y1.To, To: y2.From}
		if !y1.Overlaps(shared) || !shared.Overlaps(y2) {
			t.Errorf("%s should overlap both %s and %s", shared, y1, y2)
		}
	})
	t.Run("formats", func(t *testing.T) {
		if got, want := y1.String(), "2022-07-15..2023-07-14"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if got, want := y1.Latvian(), "15.07.2022. – 14.07.2023."; got != want {
			t.Errorf("Latvian() = %q, want %q", got, want)
		}
	})
}
