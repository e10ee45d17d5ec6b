package web

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// Issue 16, item 2: the audit page shows the trail a page at a time, the
// filters kept on every page link, times in the reader's format, event
// types in words, and hashes shortened with the whole value on demand.
func TestAuditPagesKeepFilters(t *testing.T) {
	f := newFixture(t)
	c := f.client(true)
	c.signIn(f, "auditor")

	// The oracle: the store's own events of seed 004's stream.
	evs, err := f.store.ReadAll(context.Background(), domain.Position{}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	stream := domain.StreamFor(seeds.Seed004)
	var want []string // hashes are not in RecordedEvent; count and types are
	types := map[string]bool{}
	for _, e := range evs {
		if e.Stream == stream {
			want = append(want, e.Type)
			types[e.Type] = true
		}
	}
	if len(want) <= auditPageSize {
		t.Fatalf("seed 004 has %d events; the test needs more than one page of %d", len(want), auditPageSize)
	}

	rowRe := regexp.MustCompile(`(?s)<tr data-type="([A-Za-z]+)">\s*<td class="n">([^<]*)</td><td><time datetime="([^"]+)">([^<]*)</time></td><td>([^<]*)</td>`)
	hashRe := regexp.MustCompile(`<summary><code>([0-9a-f]{12})…</code>.*?</summary><code class="full">([0-9a-f]{64})</code>`)
	nextRe := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	path := "/audit?agreement=" + url.QueryEscape(seeds.Seed004) + "&lang=lv"
	seen := map[string]bool{}
	var got []string
	for pages := 0; path != "" && pages < 20; pages++ {
		resp, body := c.get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		rows := rowRe.FindAllStringSubmatch(body, -1)
		if len(rows) == 0 || len(rows) > auditPageSize {
			t.Fatalf("%s: %d rows, want 1..%d", path, len(rows), auditPageSize)
		}
		for _, r := range rows {
			if seen[r[2]] {
				t.Errorf("position %s shown twice", r[2])
			}
			seen[r[2]] = true
			got = append(got, r[1])
			if r[5] != seeds.Seed004 {
				t.Errorf("%s: a row of agreement %q; the filter was lost", path, r[5])
			}
			// Latvian date and time: "01.09.2025. 12:00:01 UTC".
			if !regexp.MustCompile(`^\d\d\.\d\d\.\d{4}\. \d\d:\d\d:\d\d \S+$`).MatchString(r[4]) || !strings.HasSuffix(r[3], "Z") {
				t.Errorf("recorded at %q (machine %q), want a Latvian date and time", r[4], r[3])
			}
		}
		hashes := hashRe.FindAllStringSubmatch(body, -1)
		if len(hashes) != len(rows) {
			t.Errorf("%s: %d shortened hashes with their whole value for %d rows", path, len(hashes), len(rows))
		}
		for _, h := range hashes {
			if !strings.HasPrefix(h[2], h[1]) {
				t.Errorf("short hash %s is not the start of %s", h[1], h[2])
			}
		}
		// No raw event type code is shown as text (only in data-type).
		text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " ")
		for ty := range types {
			if strings.Contains(text, ty) {
				t.Errorf("%s shows the raw event type %s", path, ty)
			}
		}
		path = ""
		if m := nextRe.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
			u, _ := url.Parse(path)
			if u.Query().Get("agreement") != seeds.Seed004 || u.Query().Get("lang") != "lv" {
				t.Errorf("next page link %s loses the filter or the language", path)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages together show %d events, want the stream's %d in order", len(got), len(want))
	}
	_, first := c.get("/audit?agreement=" + url.QueryEscape(seeds.Seed004) + "&lang=lv")
	if !strings.Contains(first, "Notikumi 1.–50. no "+strconv.Itoa(len(want))) {
		t.Errorf("first page does not say it shows events 1–50 of %d", len(want))
	}
	// A type filter keeps to its type on every page and in English.
	_, en := c.get("/audit?type=SpendingRecorded&agreement=" + url.QueryEscape(seeds.Seed004))
	if !strings.Contains(en, "Spending recorded") || strings.Contains(en, `data-type="BudgetPlanned"`) {
		t.Errorf("English audit page filtered by SpendingRecorded: want only 'Spending recorded' rows")
	}
	// A page number beyond the end shows the last page, not an empty one.
	_, last := c.get("/audit?agreement=" + url.QueryEscape(seeds.Seed004) + "&page=999")
	if !rowRe.MatchString(last) {
		t.Errorf("page 999 shows no rows")
	}
}

// Issue 16, item 4: the reconciliation page offers its CSV in the
// spreadsheet dialect too; seed 004's year 2 total remainder 1 213,47
// comes with a decimal comma in Latvian.
func TestReconciliationExcelCSV(t *testing.T) {
	f := newFixture(t)
	c := f.client(true)
	c.signIn(f, "auditor")
	_, page := c.get("/reconciliation?year=2&lang=lv&agreement=" + url.QueryEscape(seeds.Seed004))
	m := regexp.MustCompile(`<a href="([^"]*csv=excel[^"]*)" download>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the reconciliation page has no link to the CSV for Excel")
	}
	resp, body := c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "\ufeffLīgums;") || !strings.Contains(body, ";1213,47;") {
		t.Errorf("CSV for Excel: %d %.200q", resp.StatusCode, body)
	}
	_, machine := c.get("/reconciliation.csv?year=2&agreement=" + url.QueryEscape(seeds.Seed004))
	if strings.HasPrefix(machine, "\ufeff") || !strings.Contains(machine, ",1213.47,") {
		t.Errorf("machine CSV changed: %.200q", machine)
	}
}

// Issue 16, item 3: a server whose language is Latvian (serve --lang lv,
// GRANTLEDGER_LANG=lv) shows its pages in Latvian without ?lang=; a
// reader who picks English keeps it on every link.
func TestServerLanguageIsThePagesDefault(t *testing.T) {
	f := newFixture(t)
	f.web.cfg.Lang = document.LV
	c := f.client(true)
	c.signIn(f, "auditor")
	_, lv := c.get("/report?no=" + url.QueryEscape(seeds.Seed004) + "&year=2")
	if !strings.Contains(lv, `<html lang="lv">`) || !strings.Contains(strings.ReplaceAll(lv, "\u00a0", " "), "1 213,47") {
		t.Errorf("a Latvian server's report page without ?lang= is not Latvian")
	}
	_, en := c.get("/agreement?no=" + url.QueryEscape(seeds.Seed004) + "&lang=en")
	if !strings.Contains(en, `<html lang="en">`) {
		t.Fatalf("?lang=en on a Latvian server is not English")
	}
	links := regexp.MustCompile(`href="(/report\?[^"]*)"`).FindAllStringSubmatch(en, -1)
	if len(links) == 0 {
		t.Fatal("the agreement page links to no report")
	}
	for _, l := range links {
		if !strings.Contains(l[1], "lang=en") {
			t.Errorf("link %s on an English page of a Latvian server loses the language", l[1])
		}
	}
}
