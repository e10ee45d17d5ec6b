package web

import (
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/merkle"
)

func agreementPath(n string) string { return "/agreement?no=" + url.QueryEscape(n) }

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	t.Run("pages need a session", func(t *testing.T) {
		c := f.client(false)
		resp, _ := c.get("/agreements")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
			t.Fatalf("got %d to %q, want 303 to /signin", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("sign-in without its CSRF token is refused", func(t *testing.T) {
		c := f.client(false)
		resp, _ := c.post("/signin", url.Values{"token": {f.tok["grantee"]}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("unknown token says so next to the field", func(t *testing.T) {
		c := f.client(false)
		_, page := c.get("/signin")
		resp, body := c.post("/signin", url.Values{"csrf": {hidden(t, page, "", "csrf")}, "token": {"glt_nope"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `id="token-err"`) {
			t.Fatalf("got %d, want 401 with token-err; body %.400s", resp.StatusCode, body)
		}
	})
	t.Run("admin tokens get no pages", func(t *testing.T) {
		c := f.client(false)
		_, page := c.get("/signin")
		resp, _ := c.post("/signin", url.Values{"csrf": {hidden(t, page, "", "csrf")}, "token": {f.tok["admin"]}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("session cookie is HttpOnly and SameSite=Strict, not Secure over plain HTTP", func(t *testing.T) {
		c := f.client(false)
		_, page := c.get("/signin")
		resp, _ := c.post("/signin", url.Values{"csrf": {hidden(t, page, "", "csrf")}, "token": {f.tok["grantee"]}})
		ck := cookieNamed(resp, sessionCookie)
		if ck == nil {
			t.Fatalf("no %s cookie; Set-Cookie: %v", sessionCookie, resp.Header.Values("Set-Cookie"))
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
			t.Fatalf("cookie HttpOnly=%v SameSite=%v Secure=%v, want true Strict false", ck.HttpOnly, ck.SameSite, ck.Secure)
		}
	})
	t.Run("session cookie is Secure under TLS", func(t *testing.T) {
		get := httptest.NewRequest("GET", "https://example.test/signin", nil)
		get.TLS = &tls.ConnectionState{}
		rec := httptest.NewRecorder()
		f.web.ServeHTTP(rec, get)
		pre := cookieNamed(rec.Result(), "__Host-"+preCSRFCookie) // issue 12: __Host- under TLS
		csrf := hidden(t, rec.Body.String(), "", "csrf")
		post := httptest.NewRequest("POST", "https://example.test/signin", strings.NewReader(url.Values{"csrf": {csrf}, "token": {f.tok["auditor"]}}.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		post.AddCookie(pre)
		post.TLS = &tls.ConnectionState{}
		rec = httptest.NewRecorder()
		f.web.ServeHTTP(rec, post)
		ck := cookieNamed(rec.Result(), "__Host-"+sessionCookie)
		if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Fatalf("got cookie %+v (status %d), want Secure HttpOnly SameSite=Strict", ck, rec.Code)
		}
	})
	t.Run("sign out needs the CSRF token and ends the session", func(t *testing.T) {
		c := f.client(false)
		c.signIn(f, "auditor")
		resp, page := c.get("/agreements")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("agreements: %d", resp.StatusCode)
		}
		if resp, _ := c.post("/signout", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign out without CSRF: got %d, want 403", resp.StatusCode)
		}
		if resp, _ := c.post("/signout", url.Values{"csrf": {hidden(t, page, "", "csrf")}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: got %d, want 303", resp.StatusCode)
		}
		if resp, _ := c.get("/agreements"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after sign out: got %d, want 303 to sign in", resp.StatusCode)
		}
	})
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	return nil
}

func TestPagesShowSeedFigures(t *testing.T) {
	f := newFixture(t)
	c := f.client(true)
	c.signIn(f, "grantee")
	t.Run("agreement page in English", func(t *testing.T) {
		resp, body := c.get(agreementPath(seeds.Seed004))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.500s", resp.StatusCode, body)
		}
		for _, want := range []string{"47,786.53", "49,000.00", "1,213.47", "48,871.72", "128.28", "<svg", "<progress"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// The footer names the Merkle log state the figures come from:
		// the size and root the library computes over the store's events.
		var log merkle.Log = f.store
		n, err := log.TreeSize(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		root, err := merkle.Root(context.Background(), log, n)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d · %s", n, root); !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("page footer lacks the log state %q", want)
		}
	})
	t.Run("agreement page in Latvian", func(t *testing.T) {
		_, body := c.get(agreementPath(seeds.Seed004) + "&lang=lv")
		for _, want := range []string{"47 786,53", "1 213,47", `lang="lv"`, "Faktiski izlietots"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("yearly report and its XLSX", func(t *testing.T) {
		_, body := c.get("/report?no=" + url.QueryEscape(seeds.Seed004) + "&year=1&lang=lv")
		if !strings.Contains(body, "47 786,53") || !strings.Contains(body, "print.css") {
			t.Errorf("report lacks 47 786,53 or the print stylesheet: %.300s", body)
		}
		resp, x := c.get("/report.xlsx?no=" + url.QueryEscape(seeds.Seed004) + "&year=1")
		if resp.StatusCode != 200 || !strings.HasPrefix(x, "PK") {
			t.Errorf("xlsx: status %d, starts %q", resp.StatusCode, x[:min(4, len(x))])
		}
	})
	t.Run("reconciliation CSV is what the page shows", func(t *testing.T) {
		_, page := c.get("/reconciliation?year=1")
		_, csv := c.get("/reconciliation.csv?year=1")
		if !strings.Contains(page, "47,786.53") || !strings.Contains(csv, "47786.53") {
			t.Errorf("page has 47,786.53: %v; csv has 47786.53: %v\n%s", strings.Contains(page, "47,786.53"), strings.Contains(csv, "47786.53"), csv)
		}
	})
	t.Run("a grantee may not name another grantee", func(t *testing.T) {
		resp, _ := c.get("/reconciliation?grantee=Other")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("as recorded at a date before the ledger began shows nothing and no forms", func(t *testing.T) {
		_, list := c.get("/agreements?as_of=2025-08-01")
		if strings.Contains(list, seeds.Seed004) {
			t.Errorf("past list shows %s", seeds.Seed004)
		}
		_, now := c.get("/agreements")
		if !strings.Contains(now, seeds.Seed004) {
			t.Errorf("list lacks %s", seeds.Seed004)
		}
	})
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	t.Run("auditor sees only the findings forms and the audit trail", func(t *testing.T) {
		c := f.client(true)
		c.signIn(f, "auditor")
		_, body := c.get(agreementPath(seeds.Seed004))
		// docs/SERVER.md: the auditor records findings (declare_ineligible,
		// record_recovery) and nothing else.
		if n := strings.Count(body, `name="command_id"`); n != 2 || !strings.Contains(body, `id="form-declare_ineligible"`) || !strings.Contains(body, `id="form-record_recovery"`) {
			t.Errorf("auditor's agreement page has %d forms, want the two findings forms", n)
		}
		resp, audit := c.get("/audit?agreement=" + url.QueryEscape(seeds.Seed004))
		if resp.StatusCode != 200 || !strings.Contains(audit, `class="ok"`) {
			t.Errorf("audit: %d, verified banner present %v", resp.StatusCode, strings.Contains(audit, `class="ok"`))
		}
	})
	t.Run("grantee gets spending forms only, no audit", func(t *testing.T) {
		c := f.client(true)
		c.signIn(f, "grantee")
		_, body := c.get(agreementPath(seeds.Seed004))
		if !strings.Contains(body, `id="form-record_spending"`) || strings.Contains(body, `id="form-close_year"`) {
			t.Errorf("grantee forms wrong: spending %v, close %v", strings.Contains(body, `id="form-record_spending"`), strings.Contains(body, `id="form-close_year"`))
		}
		if resp, _ := c.get("/audit"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("grantee audit: got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("funder gets planning forms and may not record spending", func(t *testing.T) {
		c := f.client(true)
		c.signIn(f, "funder")
		_, body := c.get(agreementPath(seeds.Seed004))
		if strings.Contains(body, `id="form-record_spending"`) || !strings.Contains(body, `id="form-close_year"`) {
			t.Fatalf("funder forms wrong")
		}
		before := f.spendings(t)
		resp, _ := c.post(agreementPath(seeds.Seed004), url.Values{"csrf": {hidden(t, body, "", "csrf")}, "type": {"record_spending"},
			"command_id": {"6f1d1c1e-2b7a-4c1e-9d55-0d2f3b9a1c01"}, "line": {"civil"}, "year": {"3"}, "amount": {"1"}, "date": {"2025-07-01"}, "document": {"X"}})
		if resp.StatusCode != http.StatusForbidden || f.spendings(t) != before {
			t.Errorf("got %d and %d spendings, want 403 and %d", resp.StatusCode, f.spendings(t), before)
		}
	})
	t.Run("another organisation's grantee cannot open the agreement", func(t *testing.T) {
		c := f.client(true)
		c.signIn(f, "otherGrantee")
		resp, _ := c.get(agreementPath(seeds.Seed004))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
		_, list := c.get("/agreements")
		if strings.Contains(list, seeds.Seed004) {
			t.Errorf("list shows %s to another grantee", seeds.Seed004)
		}
	})
	t.Run("the API answers beside the pages", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.url+"/v1/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+f.tok["auditor"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("whoami: %v %v", resp, err)
		}
		resp.Body.Close()
		resp, _ = http.Get(f.url + "/v1/nothing")
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 404 || !strings.Contains(ct, "problem+json") {
			t.Errorf("unknown API path: %d %s, want 404 problem+json", resp.StatusCode, ct)
		}
		resp.Body.Close()
	})
}

func TestForms(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "grantee")
	_, page := c.get(agreementPath(seeds.Seed004))
	csrf := hidden(t, page, "", "csrf")
	id := hidden(t, page, `id="form-record_spending"`, "command_id")
	spend := url.Values{"csrf": {csrf}, "type": {"record_spending"}, "command_id": {id}, "line": {"civil"}, "year": {"2"},
		"amount": {"10,00"}, "date": {"2024-01-15"}, "document": {"WEB-1"}, "description": {"typed text"}}
	t.Run("without CSRF nothing is applied", func(t *testing.T) {
		before := f.spendings(t)
		bad := url.Values{}
		for k, v := range spend {
			if k != "csrf" {
				bad[k] = v
			}
		}
		resp, _ := c.post(agreementPath(seeds.Seed004), bad)
		if resp.StatusCode != http.StatusForbidden || f.spendings(t) != before {
			t.Errorf("got %d, %d spendings; want 403, %d", resp.StatusCode, f.spendings(t), before)
		}
	})
	t.Run("a bad amount is shown next to its field with the typed values kept", func(t *testing.T) {
		bad := url.Values{}
		for k, v := range spend {
			bad[k] = v
		}
		bad.Set("amount", "12,3,4")
		resp, body := c.post(agreementPath(seeds.Seed004), bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("got %d, want 422", resp.StatusCode)
		}
		for _, want := range []string{`id="f-record_spending-amount-err"`, `value="12,3,4"`, `value="WEB-1"`, "typed text"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("text that is not UTF-8 is refused next to its field, nothing applied", func(t *testing.T) {
		before := f.spendings(t)
		bad := url.Values{}
		for k, v := range spend {
			bad[k] = v
		}
		bad.Set("description", "caf\xe9")
		resp, body := c.post(agreementPath(seeds.Seed004), bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || f.spendings(t) != before {
			t.Fatalf("got %d and %d spendings, want 422 and %d", resp.StatusCode, f.spendings(t), before)
		}
		for _, want := range []string{`id="f-record_spending-description-err"`, "not UTF-8", `value="WEB-1"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("a ledger rule names the field", func(t *testing.T) {
		bad := url.Values{}
		for k, v := range spend {
			bad[k] = v
		}
		bad.Set("date", "2030-01-01") // outside year 2
		bad.Set("command_id", "0c1e3a4f-5b6d-4e7f-8a9b-0c1d2e3f4a5b")
		resp, body := c.post(agreementPath(seeds.Seed004), bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="2030-01-01"`) {
			t.Errorf("got %d, want 422 keeping the date; %.200s", resp.StatusCode, body)
		}
	})
	t.Run("sending the same form twice applies it once", func(t *testing.T) {
		before := f.spendings(t)
		r1, _ := c.post(agreementPath(seeds.Seed004), spend)
		r2, b2 := c.post(agreementPath(seeds.Seed004), spend)
		if r1.StatusCode != http.StatusSeeOther || r2.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d and %d, want 303 twice; %s", r1.StatusCode, r2.StatusCode, problemOf(b2))
		}
		if got := f.spendings(t); got != before+1 {
			t.Errorf("spendings: got %d, want %d", got, before+1)
		}
		if !strings.Contains(r2.Header.Get("Location"), "dup=") {
			t.Errorf("second answer %q does not say it was a duplicate", r2.Header.Get("Location"))
		}
	})
}

// problemOf pulls the error messages out of a page, for failure messages.
func problemOf(body string) string {
	var out []string
	for _, cls := range []string{`class="problem" role="alert">`, `class="err">`} {
		for _, part := range strings.Split(body, cls)[1:] {
			out = append(out, part[:strings.Index(part, "<")])
		}
	}
	return strings.Join(out, " | ")
}

func TestConcurrentDoubleSubmit(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "grantee")
	_, page := c.get(agreementPath(seeds.Seed004))
	form := url.Values{"csrf": {hidden(t, page, "", "csrf")}, "type": {"record_spending"}, "command_id": {hidden(t, page, `id="form-record_spending"`, "command_id")},
		"line": {"minority"}, "year": {"2"}, "amount": {"2,50"}, "date": {"2024-02-01"}, "document": {"WEB-RACE"}}
	before := f.spendings(t)
	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := c.hc.PostForm(c.base+agreementPath(seeds.Seed004), form)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range 2 {
		if s := <-statuses; s != http.StatusSeeOther {
			t.Errorf("status %d, want 303", s)
		}
	}
	if got := f.spendings(t); got != before+1 {
		t.Errorf("spendings: got %d, want %d", got, before+1)
	}
}

// shown returns the error a page shows at marker (`id="f-…-err"` next to
// a field, or `id="form-…"` for the top of that form): its text and the
// ledger's own words under it, HTML-unescaped.
func shown(t *testing.T, body, marker string) (text, detail string) {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("page has no %s; errors: %s", marker, problemOf(body))
	}
	rest := body[i:]
	open := `class="err">`
	if strings.HasPrefix(marker, `id="form-`) {
		open = `class="problem" role="alert">`
	}
	j := strings.Index(rest, open)
	if j < 0 {
		t.Fatalf("no %s after %s; errors: %s", open, marker, problemOf(body))
	}
	rest = rest[j+len(open):]
	text = strings.TrimSpace(rest[:strings.Index(rest, "<")])
	const det = `<span class="detail" lang="en">`
	rest = strings.TrimLeft(rest[strings.Index(rest, "<"):], " ")
	if strings.HasPrefix(rest, det) {
		rest = rest[len(det):]
		detail = rest[:strings.Index(rest, "<")]
	}
	return html.UnescapeString(text), html.UnescapeString(detail)
}

func TestFormRefusalsInThePagesLanguage(t *testing.T) {
	f := newFixture(t)
	lv := agreementPath(seeds.Seed004) + "&lang=lv"
	en := agreementPath(seeds.Seed004)
	grantee := f.client(false)
	grantee.signIn(f, "grantee")
	funder := f.client(false)
	funder.signIn(f, "funder")
	csrf := map[*client]string{}
	for _, c := range []*client{grantee, funder} {
		_, page := c.get(en)
		csrf[c] = hidden(t, page, "", "csrf")
	}
	send := func(t *testing.T, c *client, path string, form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf[c])
		form.Set("command_id", uuid.NewString())
		resp, body := c.post(path, form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("got %d, want 422; errors: %s", resp.StatusCode, problemOf(body))
		}
		return body
	}
	type want struct{ marker, text, detail string }
	check := func(t *testing.T, body string, ws ...want) {
		t.Helper()
		for _, w := range ws {
			text, detail := shown(t, body, w.marker)
			if text != w.text {
				t.Errorf("%s:\n got %q\nwant %q", w.marker, text, w.text)
			}
			if !strings.Contains(detail, w.detail) || (w.detail == "") != (detail == "") {
				t.Errorf("%s detail:\n got %q\nwant it to contain %q", w.marker, detail, w.detail)
			}
		}
	}
	const refusedLV = "Nav saglabāts. Nekas netika mainīts; ievadītais ir saglabāts zemāk."

	t.Run("lv: spending dated outside its year, next to the date", func(t *testing.T) {
		before := f.spendings(t)
		body := send(t, grantee, lv, url.Values{"type": {"record_spending"}, "line": {"civil"}, "year": {"2"},
			"amount": {"10,00"}, "date": {"2030-01-01"}, "document": {"WEB-LV-1"}})
		check(t, body,
			want{`id="f-record_spending-date-err"`, "Datums neietilpst īstenošanas gada periodā.",
				"date 2030-01-01 is outside year 2 of KNVOC-2022-2025 (2023-07-15..2024-07-14)"},
			want{`id="form-record_spending"`, refusedLV, ""})
		if !strings.Contains(body, `value="2030-01-01"`) || f.spendings(t) != before {
			t.Errorf("typed date kept %v, spendings %d (want %d)", strings.Contains(body, `value="2030-01-01"`), f.spendings(t), before)
		}
	})
	t.Run("lv: a return above the remainder, next to the amount, every figure in Latvian", func(t *testing.T) {
		body := send(t, funder, lv, url.Values{"type": {"return_unspent"}, "line": {"civil"}, "year": {"2"},
			"amount": {"5 000,00"}, "date": {"2024-08-01"}})
		check(t, body,
			want{`id="f-return_unspent-amount-err"`, "Atgriešanas summa 5 000,00 euro pārsniedz atlikumu 1 040,13 euro " +
				"(plānotais 30 000,00 euro + pārcelts no iepriekšējā perioda 1 040,13 euro − faktiskie izdevumi 30 000,00 euro − " +
				"pārcelts uz nākamo periodu 0,00 euro − atgriezts 0,00 euro).",
				"line civil year 2: return of 5000.00 exceeds the remainder 1040.13"},
			want{`id="form-return_unspent"`, refusedLV, ""})
	})
	t.Run("lv: a carry-over into a closed year, at the top of the form", func(t *testing.T) {
		body := send(t, funder, lv, url.Values{"type": {"carry_over"}, "line": {"civil"}, "from_year": {"2"}, "date": {"2024-08-01"}})
		check(t, body, want{`id="form-carry_over"`, "Īstenošanas gads ir slēgts: tajā vairs neko nevar reģistrēt vai pārcelt.",
			"year 3 of KNVOC-2022-2025 is closed: nothing can be carried into it"})
	})
	t.Run("lv: closing a year with a remainder names every line's remainder", func(t *testing.T) {
		body := send(t, funder, lv, url.Values{"type": {"close_year"}, "year": {"2"}, "date": {"2024-09-30"}})
		check(t, body, want{`id="form-close_year"`, "Īstenošanas gadu nevar slēgt: atlikums ir 1 213,47 euro " +
			"(Pilsoniskās sabiedrības attīstība Kurzemes reģionā: 1 040,13 euro; Mazākumtautību NVO attīstība un ilgtspēja: 173,34 euro). " +
			"Vispirms atlikumu pārceliet, atgrieziet vai izlabojiet datus.",
			"year 2 of KNVOC-2022-2025 cannot be closed: its remainder is 1213.47"})
	})
	t.Run("lv: planning a year already planned", func(t *testing.T) {
		body := send(t, funder, lv, url.Values{"type": {"plan_budget"}, "line": {"minority"}, "year": {"2"}, "amount": {"1,00"}})
		check(t, body, want{`id="form-plan_budget"`, "Šai budžeta pozīcijai šajā īstenošanas gadā jau ir plānotā summa 19 000,00 euro. Lai to mainītu, jāveic budžeta grozījums.",
			"line minority year 2 is already planned at 19000.00"})
	})
	t.Run("lv: an unknown budget line gets a Latvian lead-in and the ledger's words", func(t *testing.T) {
		body := send(t, funder, lv, url.Values{"type": {"plan_budget"}, "line": {"nope"}, "year": {"2"}, "amount": {"1,00"}})
		check(t, body,
			want{`id="f-plan_budget-line-err"`, "Budžeta pozīcija nav atrasta.", `KNVOC-2022-2025 has no budget line "nope" (it has: civil, minority)`},
			want{`id="form-plan_budget"`, refusedLV, ""})
	})
	t.Run("lv: a field error it cannot tell apart keeps the English under a Latvian lead-in", func(t *testing.T) {
		body := send(t, grantee, lv, url.Values{"type": {"record_delivery"}, "indicator": {"webinars"}, "year": {"2"}, "date": {"2024-01-10"}})
		check(t, body, want{`id="f-record_delivery-quantity-err"`, "Nav saglabāts:", "indicator webinars adds up quantities: quantity must be more than 0"})
	})
	t.Run("en: the English sentence in the page's money format, the ledger's message under it", func(t *testing.T) {
		body := send(t, funder, en, url.Values{"type": {"close_year"}, "year": {"2"}, "date": {"2024-09-30"}})
		check(t, body, want{`id="form-close_year"`, "The year cannot be closed: its remainder is 1,213.47 EUR " +
			"(Pilsoniskās sabiedrības attīstība Kurzemes reģionā: 1,040.13 EUR; Mazākumtautību NVO attīstība un ilgtspēja: 173.34 EUR). " +
			"Carry it over, return it or correct the figures first.",
			"year 2 of KNVOC-2022-2025 cannot be closed: its remainder is 1213.47 (civil: 1040.13 neither spent, carried over nor returned; " +
				"minority: 173.34 neither spent, carried over nor returned); carry it over, return it, or correct the figures first"})
	})
	t.Run("en: a field error keeps today's message", func(t *testing.T) {
		body := send(t, funder, en, url.Values{"type": {"plan_budget"}, "line": {"nope"}, "year": {"2"}, "amount": {"1,00"}})
		check(t, body, want{`id="f-plan_budget-line-err"`, `KNVOC-2022-2025 has no budget line "nope" (it has: civil, minority)`, ""})
	})
}
