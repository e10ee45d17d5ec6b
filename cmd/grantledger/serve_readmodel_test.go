package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"path/filepath"

	"github.com/grantledger/grantledger/projections"
)

// Issue 13: serve keeps one read model with one clock, shared by the API
// and the web pages. With a fixed clock (1 September 2021), the API's
// obligations report and the agreement page agree on what is overdue:
// the interim report, due 15 July 2021, is overdue; the final report, due
// 20 December 2021, is only due (docs/WORK.md: a report is overdue once
// today is after its due date and it is not submitted). And every event
// of the store is folded once, whichever of the two reads it: one fold,
// not one per adapter.
func TestServeOneReadModelOneClock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	id := func(n int) string { return fmt.Sprintf("5e130000-0000-4000-8000-%012d", n) }
	setup := strings.Join([]string{
		`{"type":"register_agreement","command_id":"` + id(1) + `","actor":"officer","data":{"agreement":"G-1","kind":"grant","title":"t","grantee":"NGO","funder":"Fund","period":{"from":"2021-02-01","to":"2021-11-20"},"years":[{"year":1,"from":"2021-02-01","to":"2021-11-20"}],"lines":[{"line":"all"}]}}`,
		`{"type":"plan_budget","command_id":"` + id(2) + `","actor":"officer","data":{"agreement":"G-1","line":"all","year":1,"amount":"6460.64"}}`,
		`{"type":"require_report","command_id":"` + id(3) + `","actor":"officer","data":{"agreement":"G-1","report":"interim","kind":"interim","year":1,"due":"2021-07-15"}}`,
		`{"type":"require_report","command_id":"` + id(4) + `","actor":"officer","data":{"agreement":"G-1","report":"final","kind":"final","year":1,"due":"2021-12-20"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, setup, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	tok := mustToken(t, db, "--role", "funder", "--name", "officer", "--funder", "Fund")

	// The clock and the fold counter of the serve below.
	day := time.Date(2021, 9, 1, 12, 0, 0, 0, time.UTC)
	oldClock, oldFold := testClock, testOnFold
	var mu sync.Mutex
	folds := map[string]int{} // event id -> times folded
	testClock = func() time.Time { return day }
	testOnFold = func(e projections.Event) {
		mu.Lock()
		folds[e.ID.String()]++
		mu.Unlock()
	}
	t.Cleanup(func() { testClock, testOnFold = oldClock, oldFold })
	base, logs := startServe(t, "--db", db)

	apiStatuses := func() map[string]string {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/v1/reports/obligations?agreement=G-1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep struct {
			Rows []struct{ Report, Status string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != 200 {
			t.Fatalf("obligations: %d %v\n%s", resp.StatusCode, err, logs.String())
		}
		out := map[string]string{}
		for _, r := range rep.Rows {
			out[r.Report] = r.Status
		}
		return out
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%.400s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(get("/signin"))
	if csrf == nil {
		t.Fatal("the sign-in page has no csrf field")
	}
	resp, err := hc.PostForm(base+"/signin", url.Values{"csrf": {csrf[1]}, "token": {tok}, "next": {"/agreements"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pageStatuses := func() map[string]string {
		t.Helper()
		page := get("/agreement?no=G-1")
		out := map[string]string{}
		for _, m := range regexp.MustCompile(`<li>(\w+) \(.*? · (due|overdue)</li>`).FindAllStringSubmatch(page, -1) {
			out[m[1]] = m[2]
		}
		return out
	}

	want := map[string]string{"interim": "overdue", "final": "due"}
	if got := apiStatuses(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("API obligations on %s: %v, want %v", day.Format(time.DateOnly), got, want)
	}
	if got := pageStatuses(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("agreement page's obligations on %s: %v, want %v", day.Format(time.DateOnly), got, want)
	}

	// One more event, sent through the API: both read it, it is folded once.
	body := `{"type":"require_report","command_id":"` + id(5) + `","data":{"agreement":"G-1","report":"extra","kind":"interim","year":1,"due":"2021-08-01"}}`
	if code := statusOf(t, "POST", base+"/v1/commands", tok, body); code != 200 && code != 201 {
		t.Fatalf("POST /v1/commands: %d", code)
	}
	want["extra"] = "overdue"
	if got := apiStatuses(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("API obligations after the new report: %v, want %v", got, want)
	}
	if got := pageStatuses(); !strings.Contains(fmt.Sprint(got), "extra:overdue") {
		t.Errorf("the agreement page does not show the new overdue report: %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(folds) < 5 {
		t.Fatalf("%d events folded, want at least the 5 of G-1: %v", len(folds), folds)
	}
	for id, n := range folds {
		if n != 1 {
			t.Errorf("event %s folded %d times by serve; one read model folds each event once", id, n)
		}
	}
}
