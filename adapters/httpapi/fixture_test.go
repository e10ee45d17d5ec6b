package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/metrics"
	rpt "github.com/grantledger/grantledger/adapters/report"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Organisations and agreements of the fixture: AG-1 belongs to Ministry A
// and NGO A, AG-2 to Ministry B and NGO B.
const (
	funderA, funderB   = "Ministry A", "Ministry B"
	granteeA, granteeB = "NGO A", "NGO B"
	agOwn, agOther     = "AG-1", "AG-2"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	t       *testing.T
	url     string
	store   port.Store
	svc     *command.Service
	tokens  *toks.Tokens
	tok     map[string]string // by key: funder, funderB, grantee, granteeB, auditor, admin
	metrics *metrics.Metrics
	srv     *Server
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
	client  *http.Client
}

type fixtureOpts struct {
	store port.Store // nil: a memstore
	cfg   func(*Config)
}

// newFixture starts a server on 127.0.0.1:0 over a store holding AG-1 and
// AG-2, with one token per role and organisation.
func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	m := metrics.New()
	inner := o.store
	if inner == nil {
		inner = memstore.New()
	}
	store := metrics.WrapStore(inner, m)
	svc := command.New(store, command.Options{})
	tokens, err := toks.OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: store, svc: svc, tokens: tokens, tok: map[string]string{}, metrics: m, logs: &syncBuffer{},
		client: &http.Client{Timeout: 10 * time.Second}}
	for key, p := range map[string]access.Principal{
		"funder": {Name: "officer-a", Role: access.RoleFunder, Funder: funderA}, "funderB": {Name: "officer-b", Role: access.RoleFunder, Funder: funderB},
		"grantee": {Name: "accountant-a", Role: access.RoleGrantee, Grantee: granteeA}, "granteeB": {Name: "accountant-b", Role: access.RoleGrantee, Grantee: granteeB},
		"auditor": {Name: "auditor", Role: access.RoleAuditor}, "admin": {Name: "root", Role: access.RoleAdmin},
	} {
		tok, _, err := tokens.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.tok[key] = tok
	}
	f.register(agOwn, funderA, granteeA)
	f.register(agOther, funderB, granteeB)
	skey, _, err := merkle.GenerateKey("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Ledger: metrics.WrapService(svc, m), Reports: readmodel.NewLive(store, readmodel.ServiceOptions{Observer: m}), Tokens: tokens, Store: store,
		Proofs:  &checkpoints.Service{Store: inner, Signer: signer, Dir: t.TempDir()},
		Metrics: m.Handler(), Observer: m, Commands: m, Renderer: rpt.Renderer{Lang: document.EN}, Logger: slog.New(slog.NewJSONHandler(f.logs, nil))}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	f.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done = make(chan error, 1)
	go func() { f.done <- f.srv.Serve(ctx, ln) }()
	t.Cleanup(f.stop)
	return f
}

// stop shuts the server down and returns what Serve returned.
func (f *fixture) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	select {
	case err := <-f.done:
		if err != nil {
			f.t.Errorf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		f.t.Error("server did not stop within 20s")
	}
}

func (f *fixture) register(number, funder, grantee string) {
	f.t.Helper()
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	y2, _ := domain.ParseDate("2025-01-01")
	y2e, _ := domain.ParseDate("2025-12-31")
	cmds := []domain.Command{
		domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant, Title: "Test " + number, Grantee: grantee, Funder: funder,
			Period: domain.Period{From: y1, To: y2e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}, {Year: 2, From: y2, To: y2e}},
			Lines: []domain.LineSpec{{Line: "L1", Name: "Line one"}}},
		domain.PlanBudget{Ref: domain.Ref{Agreement: number}, Line: "L1", Year: 1, Amount: domain.MustMoney("100000.00")},
		domain.RecordSpending{Ref: domain.Ref{Agreement: number}, Line: "L1", Year: 1, Amount: domain.MustMoney("10.00"), Date: y1 + 10, Document: "inv-0"},
	}
	for _, c := range cmds {
		if _, err := commandtest.Handle(context.Background(), f.svc, domain.NewEnvelope(uuid.New(), "setup", "", c)); err != nil {
			f.t.Fatalf("setup %s %s: %v", number, c.CommandType(), err)
		}
	}
}

// do sends a request and returns the status and body.
func (f *fixture) do(method, path, token string, body any, hdr ...string) (int, []byte, http.Header) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// spending returns a record_spending envelope for agreement.
func spending(agreement string, amount string) domain.Envelope {
	d, _ := domain.ParseDate("2024-03-01")
	return domain.NewEnvelope(uuid.New(), "body-actor", "", domain.RecordSpending{Ref: domain.Ref{Agreement: agreement},
		Line: "L1", Year: 1, Amount: domain.MustMoney(amount), Date: d, Document: "inv-" + uuid.NewString()[:8]})
}

// newLine returns an add_budget_line envelope with a fresh line code.
func newLine(agreement string) domain.Envelope {
	return domain.NewEnvelope(uuid.New(), "body-actor", "", domain.AddBudgetLine{Ref: domain.Ref{Agreement: agreement},
		LineSpec: domain.LineSpec{Line: "X" + uuid.NewString()[:8], Name: "added"}})
}

func decodeProblem(t *testing.T, b []byte) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("problem body %q: %v", b, err)
	}
	return p
}

func newRequest(url, token string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}
