package web

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/grantledger/grantledger/adapters/seeds"

	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// Browser tests drive a real headless Chromium (Debian's package
// "chromium") through the DevTools protocol. Without a browser they skip
// and say why (under CI=true they fail). GRANTLEDGER_CHROMIUM names the browser binary when it is
// not on PATH; screenshots go to $GRANTLEDGER_TEST_OUT/web when that is
// set, else to the test's temporary directory (the test logs the path).

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GRANTLEDGER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	envtest.Missing(t, "no Chromium: install Debian's 'chromium' package (apt-get install -y chromium) or set GRANTLEDGER_CHROMIUM to run the browser tests")
	return ""
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out := os.Getenv("GRANTLEDGER_TEST_OUT"); out != "" {
		dir = filepath.Join(out, "web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts one headless Chromium with a fresh profile and no
// network beyond this machine's loopback server.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	return browserFor(t, path, 55*time.Second)
}

// browserFor is browser with the whole run bounded by limit.
func browserFor(t *testing.T, path string, limit time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// The whole browser run is bounded (browser: 55 s).
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	return actx
}

// tab opens a browser tab: the first one (parent: the allocator) starts
// the browser, later ones (parent: a tab) open in the same browser and
// share its cookies.
func tab(t *testing.T, alloc context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signInBrowser(t *testing.T, ctx context.Context, f *fixture, role string) {
	t.Helper()
	run(t, ctx, "sign in as "+role,
		chromedp.Navigate(f.url+"/signin"),
		chromedp.WaitVisible(chromedp.ID(`#token`)),
		chromedp.SendKeys(chromedp.ID(`#token`), f.tok[role]),
		chromedp.Submit(chromedp.ID(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`table#agreements`)),
	)
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s := get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

func TestBrowser(t *testing.T) {
	path := findChromium(t)
	f := newFixture(t)
	dir := screenshotDir(t)
	alloc := browser(t, path)
	agreementURL := f.url + agreementPath(seeds.Seed004)
	year2 := f.url + "/report?no=" + seeds.Seed004 + "&year=2"
	grantee := tab(t, alloc) // one signed-in tab for the grantee's subtests
	signInBrowser(t, grantee, f, "grantee")
	shot(t, grantee, dir, "agreements")

	t.Run("grantee sees seed 004's figures", func(t *testing.T) {
		ctx := grantee
		run(t, ctx, "open agreement", chromedp.Click(chromedp.CSS(`a[href*="KNVOC-2022-2025"]`)), chromedp.WaitVisible(chromedp.CSS(`table#years`)))
		if got := textOf(t, ctx, `tbody.total tr[data-figure="actual"]`); !strings.Contains(got, "47,786.53") || !strings.Contains(got, "48,871.72") {
			t.Errorf("actual row: got %q, want 47,786.53 and 48,871.72", got)
		}
		if got := textOf(t, ctx, `tbody.total tr[data-figure="carried_over"]`); !strings.Contains(got, "1,213.47") {
			t.Errorf("carried over row: got %q, want 1,213.47", got)
		}
		shot(t, ctx, dir, "agreement")
		run(t, ctx, "Latvian", chromedp.Navigate(agreementURL+"&lang=lv"), chromedp.WaitVisible(chromedp.CSS(`table#years`)))
		if got := textOf(t, ctx, `tbody.total tr[data-figure="actual"]`); !strings.Contains(got, "47 786,53") {
			t.Errorf("Latvian actual row: got %q, want 47 786,53", got)
		}
		run(t, ctx, "report", chromedp.Navigate(f.url+"/report?no="+seeds.Seed004+"&year=1&lang=lv"), chromedp.WaitVisible(chromedp.CSS(`article.report`)))
		if got := textOf(t, ctx, `article.report`); !strings.Contains(got, "47 786,53") {
			t.Errorf("Latvian report lacks 47 786,53")
		}
		shot(t, ctx, dir, "report-lv")
	})

	t.Run("grantee records a spending and the report changes", func(t *testing.T) {
		ctx := grantee
		run(t, ctx, "report before", chromedp.Navigate(year2), chromedp.WaitVisible(chromedp.CSS(`article.report`)))
		if got := textOf(t, ctx, `article.report`); !strings.Contains(got, "49,000.00") || strings.Contains(got, "49,010.00") {
			t.Fatalf("year 2 before: want 49,000.00 and no 49,010.00")
		}
		run(t, ctx, "fill the form",
			chromedp.Navigate(agreementURL),
			chromedp.Click(chromedp.CSS(`#form-record_spending summary`)),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-line`), "civil"),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-year`), "2"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-amount`), "10,00"),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-date`), "2024-01-15"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-document`), "WEB-BROWSER-1"),
			chromedp.Click(chromedp.CSS(`#form-record_spending button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
		)
		run(t, ctx, "report after", chromedp.Navigate(year2), chromedp.WaitVisible(chromedp.CSS(`article.report`)))
		if got := textOf(t, ctx, `article.report`); !strings.Contains(got, "49,010.00") {
			t.Errorf("year 2 after the spending: want 49,010.00 in the report")
		}
	})

	t.Run("a validation error appears next to the field and keeps what was typed", func(t *testing.T) {
		ctx := grantee
		run(t, ctx, "send a bad amount",
			chromedp.Navigate(agreementURL),
			chromedp.Click(chromedp.CSS(`#form-record_spending summary`)),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-year`), "2"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-amount`), "12,3,4"),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-date`), "2024-01-15"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-document`), "KEEP-ME"),
			chromedp.Click(chromedp.CSS(`#form-record_spending button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID(`#f-record_spending-amount-err`)),
			chromedp.ScrollIntoView(chromedp.ID(`#form-record_spending`)),
		)
		amount := get(t, ctx, "amount", chromedp.Value(chromedp.ID(`#f-record_spending-amount`)))
		doc := get(t, ctx, "document", chromedp.Value(chromedp.ID(`#f-record_spending-document`)))
		if amount != "12,3,4" || doc != "KEEP-ME" {
			t.Errorf("typed values: amount %q document %q, want 12,3,4 and KEEP-ME", amount, doc)
		}
		if got := textOf(t, ctx, `#f-record_spending-amount-err`); !strings.Contains(got, "Not an amount") {
			t.Errorf("error text %q", got)
		}
		shot(t, ctx, dir, "form-error")
	})

	t.Run("keyboard only: skip link, focus shown, a form opened, walked and sent", func(t *testing.T) {
		ctx := grantee
		active := func(what string) string {
			return get(t, ctx, what, chromedp.Evaluate[string](`(() => { const e = document.activeElement; return e ? (e.id || e.className || e.tagName) + '|' + e.tagName : '' })()`))
		}
		outlined := func(what string) bool {
			return get(t, ctx, what, chromedp.Evaluate[bool](`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 })()`))
		}
		run(t, ctx, "open the agreement", chromedp.Navigate(agreementURL), chromedp.WaitVisible(chromedp.CSS(`table#years`)))
		run(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
		if got := active("first Tab"); !strings.HasPrefix(got, "skip|A") {
			t.Fatalf("first Tab focuses %q, want the skip link", got)
		}
		if !get(t, ctx, "skip link shown", chromedp.Evaluate[bool](`document.activeElement.getBoundingClientRect().left >= 0`)) {
			t.Errorf("the focused skip link is still off screen")
		}
		run(t, ctx, "Enter on the skip link", chromedp.KeyEvent(kb.Enter))
		if got := get(t, ctx, "hash", chromedp.Evaluate[string](`location.hash`)); got != "#main" {
			t.Errorf("after Enter on the skip link the page is at %q, want #main", got)
		}
		// Tab on to the spending form's summary; every stop must show focus.
		found := false
		for i := 0; i < 300 && !found; i++ {
			run(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
			if !outlined("focus outline") {
				t.Fatalf("Tab stop %d (%s) shows no focus outline", i, active("focused"))
			}
			found = get(t, ctx, "at the form", chromedp.Evaluate[bool](`document.activeElement.matches('#form-record_spending summary')`))
		}
		if !found {
			t.Fatalf("300 Tabs did not reach the spending form")
		}
		run(t, ctx, "Enter opens the form", chromedp.KeyEvent(kb.Enter))
		if !get(t, ctx, "form open", chromedp.Evaluate[bool](`document.querySelector('#form-record_spending').open`)) {
			t.Fatalf("Enter on the form's summary did not open it")
		}
		// Tab walks the form's controls in order, none skipped. (A date
		// input takes one Tab per part: day, month, year, its picker.)
		want := get(t, ctx, "controls", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#form-record_spending form :is(input, select, textarea, button)')].filter(e => e.type !== 'hidden').map(e => e.id || e.type)`))
		var got []string
		for i := 0; i < 3*len(want) && (len(got) == 0 || got[len(got)-1] != want[len(want)-1]); i++ {
			run(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
			c := get(t, ctx, "control", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.type`))
			if !outlined("control outline") {
				t.Errorf("control %s shows no focus outline", c)
			}
			if len(got) == 0 || got[len(got)-1] != c {
				got = append(got, c)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("Tab order in the form: got %v, want %v", got, want)
		}
		// Type the figures where the focus is, then send with Enter.
		run(t, ctx, "fill by keyboard",
			chromedp.SetValue(chromedp.ID(`#f-record_spending-year`), "2"),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-date`), "2024-01-17"),
			chromedp.Focus(chromedp.ID(`#f-record_spending-amount`)),
			chromedp.KeyEvent("3,00"),
			chromedp.Focus(chromedp.ID(`#f-record_spending-document`)),
			chromedp.KeyEvent("KEYBOARD-1"),
			chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
		)
		if n := f.documents(t, "KEYBOARD-1"); n != 1 {
			t.Errorf("spendings with document KEYBOARD-1: got %d, want 1", n)
		}
	})

	t.Run("a double submit applies once", func(t *testing.T) {
		ctx := grantee
		before := f.spendings(t)
		run(t, ctx, "send one form twice at once",
			chromedp.Navigate(agreementURL),
			chromedp.Click(chromedp.CSS(`#form-record_spending summary`)),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-year`), "2"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-amount`), "1,00"),
			chromedp.SetValue(chromedp.ID(`#f-record_spending-date`), "2024-01-16"),
			chromedp.SendKeys(chromedp.ID(`#f-record_spending-document`), "WEB-TWICE"),
		)
		// Keep the form as filled in (its command id included), send it,
		// then send the very same form again, as a second click or a
		// re-sent page does. (The pages' CSP allows no fetch, so the copy
		// is sent as a form too.)
		saved := get(t, ctx, "copy the form", chromedp.Evaluate[[][]string](`[...new FormData(document.querySelector('#form-record_spending form')).entries()]`))
		action := get(t, ctx, "form action", chromedp.Evaluate[string](`document.querySelector('#form-record_spending form').action`))
		run(t, ctx, "first send", chromedp.Click(chromedp.CSS(`#form-record_spending button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
		js, _ := json.Marshal(saved)
		run(t, ctx, "second send of the same form",
			chromedp.Evaluate[chromedp.Void](`(() => { document.querySelector('p.flash').remove(); const f = document.createElement('form'); f.method = 'post'; f.action = `+strconv.Quote(action)+`;
				for (const [k, v] of `+string(js)+`) { const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }
				document.body.appendChild(f); f.submit(); })()`),
			chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
		if msg := textOf(t, ctx, `p.flash`); !strings.Contains(msg, "already sent") {
			t.Errorf("second send: flash %q, want it to say the form was already sent", msg)
		}
		if got := f.spendings(t); got != before+1 {
			t.Errorf("spendings: got %d, want %d", got, before+1)
		}
	})

	t.Run("an auditor has only the findings forms and sees the audit trail", func(t *testing.T) {
		ctx := tab(t, grantee) // a second tab of the same browser; signing in replaces the cookie
		signInBrowser(t, ctx, f, "auditor")
		run(t, ctx, "agreement", chromedp.Navigate(agreementURL), chromedp.WaitVisible(chromedp.CSS(`table#years`)))
		forms := get(t, ctx, "count forms", chromedp.Evaluate[int](`document.querySelectorAll('main form').length`))
		if forms != 2 { // docs/SERVER.md: findings (declare_ineligible, record_recovery) and nothing else
			t.Errorf("auditor's agreement page has %d forms, want the 2 findings forms", forms)
		}
		run(t, ctx, "audit", chromedp.Navigate(f.url+"/audit?agreement="+seeds.Seed004), chromedp.WaitVisible(chromedp.ID(`#verification`)))
		if got := textOf(t, ctx, `#verification`); !strings.Contains(got, "none altered") {
			t.Errorf("verification: %q", got)
		}
		shot(t, ctx, dir, "audit")
		run(t, ctx, "reconciliation", chromedp.Navigate(f.url+"/reconciliation?year=1"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
		shot(t, ctx, dir, "reconciliation")
		// Seed 004's year 1 as its summary gives it (shared/seeds, README):
		// civil 30 000,00 planned, 28 959,87 spent, 1 040,13 carried over;
		// minority 19 000,00, 18 826,66, 173,34; together 47 786,53 spent
		// and 1 213,47 carried over. Utilisation half up: 96.53 % and
		// 99.09 %. (English pages group with commas.)
		rec := tableRows(t, ctx, `main table`)
		for _, want := range [][]string{
			{seeds.Seed004, "", "1", "30,000.00", "30,000.00", "0.00", "28,959.87", "1,040.13", "0.00", "0.00", "0.00", "1,040.13", "96.53 %"},
			{seeds.Seed004, "", "1", "19,000.00", "19,000.00", "0.00", "18,826.66", "173.34", "0.00", "0.00", "0.00", "173.34", "99.09 %"},
		} {
			if !hasRow(rec, want) {
				t.Errorf("reconciliation year 1 has no row %q; rows: %q", want, rec)
			}
		}
		run(t, ctx, "past view", chromedp.Navigate(agreementURL+"&as_of=2025-09-01"), chromedp.WaitVisible(chromedp.CSS(`p.past`)))
		shot(t, ctx, dir, "agreement-as-of")
		// The past view shows the seed as recorded (year 1 cannot have
		// changed since: it is closed). Rows: a line's or the total's
		// figure, then year 1, year 2, year 3, total.
		years := tableRows(t, ctx, `table#years`)
		for _, want := range [][]string{
			{"Actual", "28,959.87"}, {"Carried over", "1,040.13"}, // civil
			{"Actual", "18,826.66"}, {"Carried over", "173.34"}, // minority
			{"Actual", "47,786.53"}, {"Carried over", "1,213.47"}, {"Planned", "49,000.00"}, // total
		} {
			if !hasRow(years, append(want, "")) {
				t.Errorf("past view of %s: no row %q starting year 1; rows: %q", seeds.Seed004, want, years)
			}
		}
		if got := textOf(t, ctx, `p.past`); !strings.Contains(got, "2025-09-01") {
			t.Errorf("past view banner %q does not name the date", got)
		}
	})
}

// tableRows returns the text of every row's cells of the first table that
// matches sel, trimmed.
func tableRows(t *testing.T, ctx context.Context, sel string) [][]string {
	t.Helper()
	return get(t, ctx, "rows of "+sel, chromedp.Evaluate[[][]string](`[...document.querySelector(`+strconv.Quote(sel)+`).rows].map(r => [...r.cells].map(c => c.textContent.trim().replace(/\s+/g, ' ')))`))
}

// hasRow reports whether a row starts with want's cells; an empty want
// cell matches any text, and a want cell that is a prefix of the row's
// cell matches it (the first cell of an agreement row also names it).
func hasRow(rows [][]string, want []string) bool {
	for _, r := range rows {
		if len(r) < len(want) {
			continue
		}
		ok := true
		for i, w := range want {
			if w != "" && r[i] != w && !(i == 0 && strings.HasPrefix(r[i], w)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
