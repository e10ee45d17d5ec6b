package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
)

// syncBuf is a bytes.Buffer safe for a writer and a reader at once.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs 'grantledger serve' in-process on a loopback port and
// returns its base URL; it stops when the test ends.
func startServe(t *testing.T, args ...string) (string, *syncBuf) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("serve did not stop within 20s")
		}
	})
	re := regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], logs
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
	}
	t.Fatalf("serve did not listen within 20s:\n%s", logs.String())
	return "", nil
}

func statusOf(t *testing.T, method, u, token string, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// within polls cond every 20ms for at most d and reports whether it held.
func within(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func tokenID(t *testing.T, db, name string) string {
	t.Helper()
	out, errs, code := runCLI(t, "", "token", "list", "--db", db)
	if code != 0 {
		t.Fatalf("token list: exit %d: %s", code, errs)
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[2] == name {
			return f[0]
		}
	}
	t.Fatalf("token list has no %s:\n%s", name, out)
	return ""
}

func mustToken(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, errs, code := runCLI(t, "", append([]string{"token", "create", "--db", db}, args...)...)
	if code != 0 {
		t.Fatalf("token create %v: exit %d: %s", args, code, errs)
	}
	return strings.TrimSpace(out)
}

// Issue 12, item 3: tokens created and revoked with the CLI count in a
// running server within one second, without a restart, for the API and
// for web sessions; an admin's POST /v1/tokens never brings a revoked
// token back; the server finds the tokens through --db wherever it was
// started.
func TestTokensCLIAndRunningServerShareOneSourceOfTruth(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(t.TempDir()) // not where the ledger is
	t.Setenv("GRANTLEDGER_TOKENS", "")
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	auditor := mustToken(t, db, "--role", "auditor", "--name", "first-auditor")
	admin := mustToken(t, db, "--role", "admin", "--name", "the-admin")
	base, _ := startServe(t, "--db", db)

	if got := statusOf(t, "GET", base+"/v1/whoami", auditor, ""); got != 200 {
		t.Fatalf("auditor token created before start: status %d, want 200", got)
	}
	// A web session signed in with the auditor token.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn(t, browser, base, auditor)
	if got := getStatus(t, browser, base+"/agreements"); got != 200 {
		t.Fatalf("web page after sign-in: status %d, want 200", got)
	}

	// A token created by the CLI while serve runs works without restart.
	late := mustToken(t, db, "--role", "auditor", "--name", "late-auditor")
	if !within(time.Second, func() bool { return statusOf(t, "GET", base+"/v1/whoami", late, "") == 200 }) {
		t.Errorf("a token created by the CLI while serve runs is still refused after 1s")
	}

	// Revoked with the CLI: refused within one second, API and web.
	id := tokenID(t, db, "first-auditor")
	if _, errs, code := runCLI(t, "", "token", "revoke", "--db", db, id); code != 0 {
		t.Fatalf("token revoke: %s", errs)
	}
	revokedAt := time.Now()
	if !within(time.Second, func() bool { return statusOf(t, "GET", base+"/v1/whoami", auditor, "") == 401 }) {
		t.Errorf("revoked token still accepted by the API 1s after 'token revoke'")
	}
	if !within(time.Second-time.Since(revokedAt), func() bool { return getStatus(t, browser, base+"/agreements") == 303 }) {
		t.Errorf("the web session of a revoked token still works 1s after 'token revoke'")
	}

	// The admin creates a token through the API: the revoked one stays revoked.
	if got := statusOf(t, "POST", base+"/v1/tokens", admin, `{"name":"api-made","role":"auditor"}`); got != 201 {
		t.Fatalf("POST /v1/tokens: %d", got)
	}
	if got := statusOf(t, "GET", base+"/v1/whoami", auditor, ""); got != 401 {
		t.Errorf("after an admin's POST /v1/tokens the revoked token answers %d, want 401", got)
	}
	out, _, _ := runCLI(t, "", "token", "list", "--db", db)
	if strings.Contains(out, "first-auditor") || !strings.Contains(out, "api-made") {
		t.Errorf("token list after the API created one:\n%s", out)
	}
	// Nothing was written to the directory serve ran in.
	if _, err := os.Stat("grantledger-tokens.json"); err == nil {
		t.Errorf("a token file appeared in the current directory")
	}
}

func getStatus(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func signIn(t *testing.T, c *http.Client, base, token string) {
	t.Helper()
	resp, err := c.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(b)
	if m == nil {
		t.Fatalf("sign-in form without a csrf field:\n%s", b)
	}
	resp, err = c.PostForm(base+"/signin", url.Values{"csrf": {string(m[1])}, "token": {token}, "next": {"/agreements"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Fatalf("sign-in: status %d, want 303", resp.StatusCode)
	}
}

// Item 3: expiry, unknown organisations, and the audit trail.
func TestTokenExpiryUnknownOrganisationAndAuditTrail(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GRANTLEDGER_TOKENS", filepath.Join(dir, "none.json"))
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	// The demo's funders are named in docs/seeds; "Ministry of Typos" is not one.
	_, errs, code := runCLI(t, "", "token", "create", "--db", db, "--role", "funder", "--name", "x", "--funder", "Ministry of Typos")
	if code == 0 || !strings.Contains(errs, "Ministry of Typos") {
		t.Errorf("token for an unknown funder: exit %d, stderr %s; want refused, naming it", code, errs)
	}
	mustToken(t, db, "--role", "funder", "--name", "x", "--funder", "Ministry of Typos", "--allow-unknown")
	mustToken(t, db, "--role", "auditor", "--name", "short-lived", "--expires", "90d")

	var rep struct {
		Rows []map[string]any `json:"rows"`
	}
	out, errs, code := runCLI(t, "", "audit", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("audit: exit %d: %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit json: %v", err)
	}
	var created int
	for _, r := range rep.Rows {
		if r["type"] == "TokenCreated" {
			created++
			if a, _ := r["actor"].(string); a == "" {
				t.Errorf("TokenCreated row without actor: %v", r)
			}
			if r["recorded_at"] == nil {
				t.Errorf("TokenCreated row without time: %v", r)
			}
		}
	}
	if created != 2 {
		t.Errorf("audit trail has %d TokenCreated rows, want 2", created)
	}
	// Again, from the read model's saved snapshot: the rows are still there.
	out2, _, _ := runCLI(t, "", "audit", "--db", db, "--format", "json")
	if out2 != out {
		t.Errorf("the audit trail read from the snapshot differs from the one folded from the events")
	}
	// The token's hash appears in no report.
	for _, f := range []string{"json", "csv", "text"} {
		out, _, _ := runCLI(t, "", "audit", "--db", db, "--format", f)
		for _, h := range regexp.MustCompile(`"sha256":\s*"([0-9a-f]{64})"`).FindAllStringSubmatch(rawTokenEvents(t, db), -1) {
			if strings.Contains(out, h[1]) {
				t.Errorf("audit --format %s shows a token's hash", f)
			}
		}
	}
	if !strings.Contains(out, "expires") {
		t.Errorf("the audit trail does not say when the 90d token expires")
	}
}

// rawTokenEvents returns the stored data of the token stream's events,
// read straight from the file.
func rawTokenEvents(t *testing.T, db string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT data FROM events WHERE stream = 'grantledger-tokens' ORDER BY revision`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all strings.Builder
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		all.WriteByte('\n')
	}
	if all.Len() == 0 {
		t.Fatalf("no token events in %s", db)
	}
	return all.String()
}

// Item 3: a token file of an older version is moved into the ledger on
// first start, once, and the program says so.
func TestTokenFileIsMovedIntoTheLedgerOnce(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "grantledger-tokens.json")
	old, err := toks.OpenTokens(legacy)
	if err != nil {
		t.Fatal(err)
	}
	oldTok, _, err := old.Create(access.Principal{Name: "old-auditor", Role: access.RoleAuditor})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "l.db")
	_, errs, code := runCLI(t, "", "token", "create", "--db", db, "--tokens", legacy, "--role", "auditor", "--name", "new-auditor")
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "moved 1 tokens from "+legacy) {
		t.Errorf("token create does not say it moved the file in: %s", errs)
	}
	if _, err := os.Stat(legacy); err == nil {
		t.Errorf("the old token file is still in place")
	}
	if _, err := os.Stat(legacy + toks.MovedSuffix); err != nil {
		t.Errorf("the old token file was not kept under its new name: %v", err)
	}
	out, _, _ := runCLI(t, "", "token", "list", "--db", db)
	if !strings.Contains(out, "old-auditor") || !strings.Contains(out, "new-auditor") {
		t.Errorf("token list after the move:\n%s", out)
	}
	base, _ := startServe(t, "--db", db, "--tokens", legacy)
	if got := statusOf(t, "GET", base+"/v1/whoami", oldTok, ""); got != 200 {
		t.Errorf("a token of the old file: status %d, want 200", got)
	}
}

// Issue 12, items 11 and 12, through serve: /metrics on a separate
// loopback address, on the API's address only with the metrics token; an
// https public URL turns on HSTS.
func TestServeMetricsAddressTokenAndPublicURL(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GRANTLEDGER_TOKENS", filepath.Join(dir, "none.json"))
	db := filepath.Join(dir, "l.db")
	secret := filepath.Join(dir, "metrics.secret")
	if err := os.WriteFile(secret, []byte("scrape-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, logs := startServe(t, "--db", db, "--metrics-token-file", secret, "--public-url", "https://ledger.example")
	m := regexp.MustCompile(`"msg":"metrics listening","metrics_addr":"(127\.0\.0\.1:\d+)"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics listening line:\n%s", logs.String())
	}
	if got := statusOf(t, "GET", "http://"+m[1]+"/metrics", "", ""); got != 200 {
		t.Errorf("GET /metrics on the metrics address: %d, want 200", got)
	}
	if got := statusOf(t, "GET", "http://"+m[1]+"/v1/whoami", "", ""); got != 404 {
		t.Errorf("the metrics address serves the API: %d", got)
	}
	if got := statusOf(t, "GET", base+"/metrics", "", ""); got != 401 {
		t.Errorf("GET /metrics on the API address without the token: %d, want 401", got)
	}
	if got := statusOf(t, "GET", base+"/metrics", "scrape-0123456789abcdef", ""); got != 200 {
		t.Errorf("GET /metrics on the API address with the token: %d, want 200", got)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS with --public-url https://…")
	}
	os.Chmod(secret, 0o644)
	_, errs, code := runCLI(t, "", "serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-token-file", secret)
	if code == 0 || !strings.Contains(errs, "chmod 600") {
		t.Errorf("a metrics secret others can read: exit %d, %s", code, errs)
	}
}
