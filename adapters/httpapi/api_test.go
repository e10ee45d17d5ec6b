package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/grantledger/grantledger/adapters/memstore"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/domain"
)

func TestStrictInput(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.MaxBodyBytes = 4096 }})
	tok := f.tok["grantee"]
	good := spending(agOwn, "1.00")
	goodJSON, _ := json.Marshal(good)
	cases := []struct {
		name      string
		body      string
		hdr       []string
		status    int
		code      string
		wantField string
	}{
		{"unknown envelope field", `{"type":"record_spending","command_id":"` + uuid.NewString() + `","data":{},"colour":"red"}`, nil, 400, "invalid", "colour"},
		{"unknown data field", strings.Replace(string(goodJSON), `"document"`, `"bogus":1,"document"`, 1), nil, 400, "invalid", "data.bogus"},
		{"wrong type", `{"type":"record_spending","command_id":42,"data":{}}`, nil, 400, "invalid", "command_id"},
		{"missing command id", `{"type":"record_spending","data":{"agreement":"AG-1"}}`, nil, 400, "invalid", "command_id"},
		{"bad amount", strings.Replace(string(goodJSON), `"1.00"`, `"1.001"`, 1), nil, 400, "invalid", "data.amount"},
		{"malformed json", `{"type":`, nil, 400, "invalid", ""},
		{"trailing data", string(goodJSON) + `{}`, nil, 400, "invalid", ""},
		{"empty body", ``, nil, 400, "invalid", ""},
		{"too large", `{"type":"record_spending","reason":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "too_large", ""},
		{"wrong media type", string(goodJSON), []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", ""},
		{"unknown agreement", string(mustJSON(t, spending("AG-404", "1.00"))), nil, 404, "not_found", "agreement"},
		{"rule broken", string(mustJSON(t, domain.NewEnvelope(uuid.New(), "x", "", domain.RecordSpending{Ref: domain.Ref{Agreement: agOwn}, Line: "L1", Year: 2,
			Amount: domain.MustMoney("1.00"), Date: mustDate(t, "2024-02-01"), Document: "d"}))), nil, 422, "rule", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b, h := f.do("POST", "/v1/commands", tok, c.body, c.hdr...)
			if status != c.status {
				t.Fatalf("status: got %d, want %d; body %s", status, c.status, b)
			}
			if ct := h.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type: got %q, want application/problem+json", ct)
			}
			p := decodeProblem(t, b)
			if p.Code != c.code {
				t.Errorf("code: got %q, want %q (%s)", p.Code, c.code, p.Detail)
			}
			if c.wantField != "" {
				var fields []string
				for _, e := range p.Errors {
					fields = append(fields, e.Field)
				}
				if len(fields) == 0 || fields[0] != c.wantField {
					t.Errorf("fields: got %v, want [%s]; problem %s", fields, c.wantField, b)
				}
			}
			if p.RequestID == "" || p.RequestID != h.Get("X-Request-ID") {
				t.Errorf("request id: got %q in body and %q in header", p.RequestID, h.Get("X-Request-ID"))
			}
		})
	}
	t.Run("nothing appended", func(t *testing.T) {
		evs, err := f.store.ReadAll(context.Background(), domain.Position{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(evs), 6; got != want { // the fixture's own events
			t.Errorf("events in the store: got %d, want %d", got, want)
		}
	})
	t.Run("unknown query parameter", func(t *testing.T) {
		status, b, _ := f.do("GET", "/v1/reports/yearly?agreement=AG-1&year=1&yaer=2", tok, nil)
		p := decodeProblem(t, b)
		if status != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "yaer" {
			t.Errorf("got %d %s, want 400 naming yaer", status, b)
		}
	})
	t.Run("unknown route and method", func(t *testing.T) {
		if status, b, _ := f.do("GET", "/v1/nothing", tok, nil); status != 404 || decodeProblem(t, b).Code != "not_found" {
			t.Errorf("unknown route: got %d %s, want 404 problem", status, b)
		}
		status, b, h := f.do("PUT", "/v1/commands", tok, nil)
		if status != 405 || h.Get("Allow") != "POST" || decodeProblem(t, b).Code != "method_not_allowed" {
			t.Errorf("wrong method: got %d Allow=%q %s, want 405 Allow=POST", status, h.Get("Allow"), b)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDate(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// eventsOf returns the metadata of every event of an agreement's stream.
func eventsOf(t *testing.T, store domain.EventStore, number string) []domain.Metadata {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), domain.StreamFor(number), 0, domain.Forwards, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.Metadata, len(evs))
	for i, e := range evs {
		if out[i], err = domain.DecodeMetadata(e.Metadata); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestActorIsThePrincipalAndRetryIsSafe(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	env := spending(agOwn, "2.50")
	env.Actor = "mallory pretending"
	status, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], env)
	if status != 201 {
		t.Fatalf("first: got %d %s, want 201", status, b)
	}
	status2, b2, _ := f.do("POST", "/v1/commands", f.tok["grantee"], env)
	var dup struct {
		Duplicate bool `json:"duplicate"`
	}
	if status2 != 200 || json.Unmarshal(b2, &dup) != nil || !dup.Duplicate {
		t.Fatalf("retry: got %d %s, want 200 duplicate", status2, b2)
	}
	var first, again struct {
		Events []struct{ Hash string } `json:"events"`
	}
	json.Unmarshal(b, &first)
	json.Unmarshal(b2, &again)
	if len(first.Events) != 1 || len(again.Events) != 1 || first.Events[0].Hash != again.Events[0].Hash {
		t.Errorf("retry answer: got %+v, want the first answer's events %+v", again, first)
	}
	n := 0
	for _, m := range eventsOf(t, f.store, agOwn) {
		if m.CommandID == env.CommandID {
			n++
			if want := "accountant-a (grantee)"; m.Actor != want {
				t.Errorf("actor: got %q, want %q", m.Actor, want)
			}
		}
	}
	if n != 1 {
		t.Errorf("events of the command: got %d, want 1 (a retry appends nothing)", n)
	}
	t.Run("same id, different command", func(t *testing.T) {
		other := spending(agOwn, "3.00")
		other.CommandID = env.CommandID
		status, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], other)
		if p := decodeProblem(t, b); status != 409 || p.Code != "conflict" {
			t.Errorf("got %d %s, want 409 conflict", status, b)
		}
	})
}

// conflictStore loses every append of one stream to an imaginary writer.
type conflictStore struct {
	*memstore.Store
	stream string
}

func (s *conflictStore) Append(ctx context.Context, stream string, exp domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	if stream == s.stream {
		return domain.AppendResult{}, &domain.ConcurrencyError{Stream: stream, Expected: exp, Actual: 41}
	}
	return s.Store.Append(ctx, stream, exp, evs)
}

func TestConflictAnswers409WithRevision(t *testing.T) {
	cs := &conflictStore{Store: memstore.New()}
	f := newFixture(t, fixtureOpts{store: cs})
	cs.stream = domain.StreamFor(agOwn)
	status, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], spending(agOwn, "1.00"))
	p := decodeProblem(t, b)
	if status != 409 || p.Code != "conflict" {
		t.Fatalf("got %d %s, want 409 conflict", status, b)
	}
	if p.CurrentRevision == nil || *p.CurrentRevision != 41 {
		t.Errorf("current_revision: got %v, want 41", p.CurrentRevision)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	status, b, _ := f.do("GET", "/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("GET /openapi.json: %d", status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version: got %q, want 3.x", doc.OpenAPI)
	}
	var inDoc []string
	for path, ops := range doc.Paths {
		for method := range ops {
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
		}
	}
	routes := f.srv.Routes()
	sort.Strings(inDoc)
	sort.Strings(routes)
	if strings.Join(inDoc, "\n") != strings.Join(routes, "\n") {
		t.Errorf("openapi.json and the server's routes differ:\nopenapi:\n%s\nserver:\n%s", strings.Join(inDoc, "\n"), strings.Join(routes, "\n"))
	}
}

func TestMetricsScrape(t *testing.T) {
	const scrape = "scrape-token-for-the-test"
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.MetricsToken = scrape }})
	f.do("POST", "/v1/commands", f.tok["grantee"], spending(agOwn, "1.00"))
	f.do("POST", "/v1/commands", f.tok["grantee"], spending("AG-404", "1.00"))
	f.do("GET", "/v1/reports/yearly?agreement=AG-1&year=1", f.tok["auditor"], nil)
	status, b, h := f.do("GET", "/metrics", scrape, nil)
	if status != 200 {
		t.Fatalf("GET /metrics: %d", status)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("content type: %q", h.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		fam := fams[name]
		if fam == nil {
			return 0, false
		}
	next:
		for _, m := range fam.Metric {
			have := map[string]string{}
			for _, l := range m.Label {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
		return 0, false
	}
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"grantledger_commands_total", map[string]string{"type": "record_spending", "outcome": "ok"}, 1},
		{"grantledger_commands_total", map[string]string{"type": "record_spending", "outcome": "not_found"}, 1},
		{"grantledger_command_duration_seconds", map[string]string{"type": "record_spending"}, 1},
		{"grantledger_events_appended_total", nil, 7},
		{"grantledger_store_operation_duration_seconds", map[string]string{"op": "append"}, 7},
		{"grantledger_store_operation_duration_seconds", map[string]string{"op": "read_all"}, 1},
		{"grantledger_projection_checkpoint_position", nil, 7},
		{"grantledger_projection_lag_events", nil, 0},
		{"grantledger_http_requests_total", map[string]string{"route": "POST /v1/commands", "status": "201"}, 1},
		{"grantledger_http_requests_total", map[string]string{"route": "POST /v1/commands", "status": "404"}, 1},
		{"grantledger_http_request_duration_seconds", map[string]string{"route": "GET /v1/reports/yearly"}, 1},
		{"go_goroutines", nil, 1},
		{"go_memstats_alloc_bytes", nil, 1},
	}
	for _, c := range checks {
		t.Run(fmt.Sprint(c.name, c.labels), func(t *testing.T) {
			v, ok := value(c.name, c.labels)
			if !ok {
				t.Fatalf("%s%v: not in the scrape", c.name, c.labels)
			}
			if v < c.min {
				t.Errorf("%s%v: got %v, want at least %v", c.name, c.labels, v, c.min)
			}
		})
	}
}

func TestHealthAndLogs(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if status, b, _ := f.do("GET", "/healthz", "", nil); status != 200 {
		t.Errorf("healthz: %d %s", status, b)
	}
	if status, b, _ := f.do("GET", "/readyz", "", nil); status != 200 {
		t.Errorf("readyz: %d %s", status, b)
	}
	f.do("POST", "/v1/commands", f.tok["grantee"], spending(agOwn, "1.00"), "X-Request-ID", "req-42")
	f.do("GET", "/v1/whoami", "glt_not-a-real-token", nil)
	f.stop()
	logs := f.logs.String()
	for key, tok := range f.tok {
		if strings.Contains(logs, tok) || strings.Contains(logs, tok[len(toks.TokenPrefix):]) {
			t.Errorf("the %s token appears in the logs", key)
		}
	}
	if strings.Contains(logs, "glt_not-a-real-token") {
		t.Error("a presented (wrong) token appears in the logs")
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["request_id"] == "req-42" {
			found = true
			if rec["route"] != "POST /v1/commands" || rec["principal"] != "accountant-a" || rec["status"] != float64(201) {
				t.Errorf("log line: got %v, want route, principal and status 201", rec)
			}
		}
	}
	if !found {
		t.Errorf("no log line with request_id req-42 in:\n%s", logs)
	}
}

// TestGracefulShutdown stops the server while clients are sending commands
// and checks that every acknowledged command is in the store exactly once.
func TestGracefulShutdown(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	const clients, perClient = 16, 40
	var mu sync.Mutex
	acked := map[uuid.UUID]bool{}
	var wg sync.WaitGroup
	started := make(chan struct{}, clients*perClient)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				env := spending(agOwn, "0.01")
				b, _ := json.Marshal(env)
				req, _ := newRequest(f.url+"/v1/commands", f.tok["grantee"], b)
				resp, err := f.client.Do(req)
				started <- struct{}{}
				if err != nil {
					return // server gone: stop
				}
				resp.Body.Close()
				if resp.StatusCode == 201 {
					mu.Lock()
					acked[env.CommandID] = true
					mu.Unlock()
				} else if resp.StatusCode != 503 {
					t.Errorf("status %d during shutdown, want 201 or a refused connection", resp.StatusCode)
				}
			}
		}()
	}
	for i := 0; i < clients*perClient/4; i++ { // a quarter of the requests done
		<-started
	}
	f.stop() // like SIGTERM: serve.go cancels the same context
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no command was acknowledged before the shutdown")
	}
	seen := map[uuid.UUID]int{}
	for _, m := range eventsOf(t, f.store, agOwn) {
		seen[m.CommandID]++
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged command %s: %d events in the store, want 1", id, seen[id])
		}
	}
	t.Logf("%d commands acknowledged before/while shutting down, all in the store", len(acked))
}

func TestReportsAsOfAndFormats(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	before := time.Now().UTC()
	time.Sleep(2 * time.Millisecond) // recorded_at must be after 'before' (not a timing assertion)
	if status, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], spending(agOwn, "5.00")); status != 201 {
		t.Fatalf("spending: %d %s", status, b)
	}
	actual := func(path string) string {
		status, b, _ := f.do("GET", path, f.tok["auditor"], nil)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, b)
		}
		var rep struct {
			Total struct {
				Actual string `json:"actual"`
			} `json:"total"`
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Total.Actual
	}
	if got := actual("/v1/reports/yearly?agreement=AG-1&year=1"); got != "15.00" {
		t.Errorf("actual now: got %s, want 15.00", got)
	}
	if got := actual("/v1/reports/yearly?agreement=AG-1&year=1&as_of=" + before.Format(time.RFC3339Nano)); got != "10.00" {
		t.Errorf("actual as of before the spending: got %s, want 10.00", got)
	}
	status, b, _ := f.do("GET", "/v1/reports/yearly?agreement=AG-1&year=1&format=pdf", f.tok["auditor"], nil)
	if p := decodeProblem(t, b); status != 406 || len(p.Errors) == 0 || p.Errors[0].Field != "format" {
		t.Errorf("unknown format: got %d %s, want 406 naming format", status, b)
	}
	for _, c := range []struct{ name, path, accept, wantType, wantPrefix string }{
		{"csv by query", "/v1/reports/yearly?agreement=AG-1&year=1&format=csv", "", "text/csv; charset=utf-8", ""},
		{"xlsx by Accept", "/v1/reports/reconciliation?year=1", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK"},
		{"csv audit by Accept", "/v1/reports/audit", "text/csv", "text/csv; charset=utf-8", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.accept != "" {
				hdr = []string{"Accept", c.accept}
			}
			status, b, h := f.do("GET", c.path, f.tok["auditor"], nil, hdr...)
			if status != 200 || h.Get("Content-Type") != c.wantType || len(b) == 0 || !strings.HasPrefix(string(b), c.wantPrefix) {
				t.Errorf("got %d %q (%d bytes), want 200 %q", status, h.Get("Content-Type"), len(b), c.wantType)
			}
		})
	}
	status, b, _ = f.do("GET", "/v1/verify", f.tok["auditor"], nil)
	var ver struct {
		OK bool `json:"ok"`
	}
	if status != 200 || json.Unmarshal(b, &ver) != nil || !ver.OK {
		t.Errorf("verify: got %d %s, want 200 ok", status, b)
	}
}
