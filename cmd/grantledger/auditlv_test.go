package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestAuditForPeopleAndForMachines: the audit trail for people (text; the
// workbook takes the same cells) says when each event was recorded as its language writes
// a date and time, and the event's type in words, as the web audit page
// does (issue 16, "Audit page": times raw and event types as code names
// were the complaint); the CSV, for machines, keeps RFC 3339 times and
// the event type codes that docs/REPORTS.md's audit columns name.
func TestAuditForPeopleAndForMachines(t *testing.T) {
	db := demoDB(t)
	rfc3339 := regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`)
	code := regexp.MustCompile(`\b(AgreementRegistered|BudgetPlanned|SpendingRecorded|RemainderCarriedOver|UnspentReturned|IndicatorDefined|IndicatorDelivered)\b`)
	for _, lang := range []string{"lv", "en"} {
		for _, format := range []string{"text"} {
			out, errs, code_ := runCLI(t, "", "audit", "--db", db, "--lang", lang, "--format", format)
			if code_ != 0 {
				t.Fatalf("audit --lang %s --format %s: exit %d: %s", lang, format, code_, errs)
			}
			if m := rfc3339.FindString(out); m != "" {
				t.Errorf("audit --lang %s --format %s shows a raw RFC 3339 time %q", lang, format, m)
			}
			if m := code.FindString(out); m != "" {
				t.Errorf("audit --lang %s --format %s shows the event code %q instead of its words", lang, format, m)
			}
		}
		if lang == "lv" {
			out, _, _ := runCLI(t, "", "audit", "--db", db, "--lang", lang, "--format", "text")
			if !regexp.MustCompile(`\d{2}\.\d{2}\.\d{4}\. \d{2}:\d{2}:\d{2}`).MatchString(out) {
				t.Errorf("Latvian audit text has no time written as dd.mm.yyyy. hh:mm:ss:\n%s", firstLines(out, 12))
			}
		}
		out, errs, c := runCLI(t, "", "audit", "--db", db, "--lang", lang, "--format", "csv")
		if c != 0 {
			t.Fatalf("audit csv: exit %d: %s", c, errs)
		}
		if !rfc3339.MatchString(out) || !strings.Contains(out, "SpendingRecorded") {
			t.Errorf("audit --lang %s --format csv lost its RFC 3339 times or event codes:\n%s", lang, firstLines(out, 4))
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
