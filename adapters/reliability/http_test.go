package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/sqlite"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// apiServer is one HTTP API server on 127.0.0.1 over its own handle on a
// SQLite file, standing for one server process.
type apiServer struct {
	url   string
	store *sqlite.Store
	svc   *command.Service
}

// startAPI starts an HTTP API server on 127.0.0.1 over the SQLite file at
// path, opened with opts. wrap, when not nil, decorates the ledger the
// server uses.
func startAPI(t *testing.T, path string, tokens *toks.Tokens, wrap func(command.Handler) command.Handler, opts ...sqlite.Option) *apiServer {
	t.Helper()
	store, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := command.New(store, command.Options{})
	var l command.Handler = svc
	if wrap != nil {
		l = wrap(svc)
	}
	srv, err := httpapi.New(httpapi.Config{Ledger: l, Reports: readmodel.NewLive(store, readmodel.ServiceOptions{}), Tokens: tokens, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler()) // listens on 127.0.0.1
	t.Cleanup(hs.Close)
	return &apiServer{url: hs.URL, store: store, svc: svc}
}

// granteeToken returns a token of the test agreement's grantee, who may
// record spending on it.
func granteeToken(t *testing.T, tokens *toks.Tokens) string {
	t.Helper()
	tok, _, err := tokens.Create(access.Principal{Name: "accountant", Role: access.RoleGrantee, Grantee: "Test NGO"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// post sends one command envelope to /v1/commands and returns the status
// and body.
func post(ctx context.Context, client *http.Client, url, token string, env domain.Envelope) (int, []byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/v1/commands", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// postUntilDone sends env until the server answers 201 or 200, resending
// the same command id after a 409 (the service lost too many races) or a
// 503. It returns the number of sends, the final status, and an error for
// any other answer or when 200 sends did not get it through.
func postUntilDone(client *http.Client, url, token string, env domain.Envelope) (sends, status int, err error) {
	var body []byte
	for sends = 1; sends <= 200; sends++ {
		status, body, err = post(context.Background(), client, url, token, env)
		if err != nil {
			return sends, 0, err
		}
		switch status {
		case http.StatusCreated, http.StatusOK:
			return sends, status, nil
		case http.StatusConflict, http.StatusServiceUnavailable:
			continue
		}
		return sends, status, fmt.Errorf("status %d: %s", status, body)
	}
	return 200, status, fmt.Errorf("still %d after 200 sends: %s", status, body)
}

// startServers starts n API servers over one SQLite file holding the test
// agreement (n server processes), and returns them with a grantee token
// and a client keeping a connection per writer.
func startServers(t *testing.T, n, writers int) ([]*apiServer, string, *http.Client) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	tokens, err := toks.OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	token := granteeToken(t, tokens)
	api := make([]*apiServer, n)
	for i := range api {
		api[i] = startAPI(t, path, tokens, nil)
	}
	for _, env := range Setup() {
		if _, err := commandtest.Handle(context.Background(), api[0].svc, env); err != nil {
			t.Fatalf("setup %s: %v", env.Type, err)
		}
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
	t.Cleanup(client.CloseIdleConnections)
	return api, token, client
}

// TestConcurrentWritersHTTP is TestConcurrentWriters through the HTTP API:
// writers POST record_spending commands for one agreement to
// /v1/commands of two API servers (two handles on one SQLite file, like two
// server processes), resending the same command id after a 409. Exactly
// writers x perWriter spendings must be in the ledger, each command once,
// every total exact to the cent.
func TestConcurrentWritersHTTP(t *testing.T) {
	writers, per := concurrencyShape()
	const servers = 2
	api, token, client := startServers(t, servers, writers)
	want := map[Cell]domain.Money{}
	var mu sync.Mutex
	var errs []string
	sends, created, dups := 0, 0, 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		for k := 0; k < per; k++ {
			s := NewSpending(2, w, k)
			want[Cell{s.Line, s.Year}] += s.Amount
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := api[w%servers].url
			for k := 0; k < per; k++ {
				n, status, err := postUntilDone(client, url, token, NewSpending(2, w, k).Envelope())
				mu.Lock()
				sends += n
				switch {
				case err != nil:
					errs = append(errs, fmt.Sprintf("writer %d command %d: %v", w, k, err))
				case status == http.StatusCreated:
					created++
				default:
					dups++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		t.Fatalf("%d commands failed; first: %s", len(errs), errs[0])
	}
	if created != writers*per || dups != 0 {
		t.Errorf("answers: got %d created and %d duplicate, want %d created and 0 duplicate (every command id was new)", created, dups, writers*per)
	}
	checkTotals(t, api[1].store, writers*per, want)
	t.Logf("%d writers x %d commands through POST /v1/commands on %d servers: %d applied with %d sends (409 resends: %d) in %s",
		writers, per, servers, writers*per, sends, sends-writers*per, took.Round(10*time.Millisecond))
}

// slowLedger delays the first attempt of every command: half of them
// before the command reaches the service (the client gives up before
// anything is written) and half after it was applied (the write landed but
// the answer comes too late). Later attempts pass straight through.
type slowLedger struct {
	next  command.Handler
	delay time.Duration
	seen  sync.Map // command id -> struct{}
	n     atomic.Int64
}

// Handle delays as the type says, by the batch's first command: the API
// hands each POST /v1/commands over as a batch of one.
func (s *slowLedger) Handle(ctx context.Context, reqs []command.Request) []command.Outcome {
	if _, again := s.seen.LoadOrStore(reqs[0].Envelope.CommandID, struct{}{}); again {
		return s.next.Handle(ctx, reqs)
	}
	if s.n.Add(1)%2 == 0 {
		time.Sleep(s.delay) // the client times out before the write
		return s.next.Handle(ctx, reqs)
	}
	out := s.next.Handle(ctx, reqs)
	time.Sleep(s.delay) // the write landed; the answer is lost
	return out
}

// View is the service's, undelayed.
func (s *slowLedger) View(ctx context.Context, number string, fn func(*domain.Agreement) error) error {
	return s.next.View(ctx, number, fn)
}

// TestRetryAfterTimeoutHTTP: clients whose first attempt times out (before
// or after the server wrote the command) resend the same command id over
// HTTP. Every spending must be recorded exactly once, and a resend of a
// command that had landed is answered 200 (duplicate), not 201.
func TestRetryAfterTimeoutHTTP(t *testing.T) {
	const clients, per = 4, 10
	path := filepath.Join(t.TempDir(), "ledger.db")
	tokens, err := toks.OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	token := granteeToken(t, tokens)
	slow := &slowLedger{delay: 150 * time.Millisecond}
	api := startAPI(t, path, tokens, func(l command.Handler) command.Handler { slow.next = l; return slow })
	for _, env := range Setup() {
		if _, err := commandtest.Handle(context.Background(), api.svc, env); err != nil {
			t.Fatalf("setup %s: %v", env.Type, err)
		}
	}
	hurried := &http.Client{Timeout: 30 * time.Millisecond}
	patient := &http.Client{Timeout: 30 * time.Second}
	want := map[Cell]domain.Money{}
	var mu sync.Mutex
	var errs []string
	timeouts, created, dups := 0, 0, 0
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		for k := 0; k < per; k++ {
			s := NewSpending(3, c, k)
			want[Cell{s.Line, s.Year}] += s.Amount
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < per; k++ {
				env := NewSpending(3, c, k).Envelope()
				_, _, err := post(context.Background(), hurried, api.url, token, env)
				var ue interface{ Timeout() bool }
				timedOut := errors.As(err, &ue) && ue.Timeout()
				// Resend the same command id, as a client that timed
				// out does; the first attempt may still be running.
				_, status, err2 := postUntilDone(patient, api.url, token, env)
				mu.Lock()
				if timedOut {
					timeouts++
				} else {
					errs = append(errs, fmt.Sprintf("client %d command %d: first attempt did not time out: %v", c, k, err))
				}
				switch {
				case err2 != nil:
					errs = append(errs, fmt.Sprintf("client %d command %d: resend: %v", c, k, err2))
				case status == http.StatusCreated:
					created++
				default:
					dups++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		t.Error(e)
	}
	// Let the first attempts that were still running finish before the
	// count: they must not add a second event either.
	time.Sleep(2 * slow.delay)
	checkTotals(t, api.store, clients*per, want)
	if dups == 0 {
		t.Errorf("no resend was answered as a duplicate; the half whose first attempt landed must be (%d created)", created)
	}
	t.Logf("%d commands, %d first attempts timed out; resends answered: %d created, %d duplicate (200); each command recorded once", clients*per, timeouts, created, dups)
}

// batchAnswer is the part of httpapi.BatchResponse the test reads (its
// results carry events as interfaces, which JSON cannot decode into).
type batchAnswer struct {
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	Results []struct {
		Index  int `json:"index"`
		Status int `json:"status"`
		Result *struct {
			Duplicate bool `json:"duplicate"`
		} `json:"result"`
		Problem *httpapi.Problem `json:"problem"`
	} `json:"results"`
}

// postBatch sends envs as one JSON array to /v1/commands/batch and returns
// the status and the decoded answer.
func postBatch(client *http.Client, url, token string, envs []domain.Envelope) (int, batchAnswer, error) {
	var out batchAnswer
	b, err := json.Marshal(envs)
	if err != nil {
		return 0, out, err
	}
	req, err := http.NewRequest("POST", url+"/v1/commands/batch", bytes.NewReader(b))
	if err != nil {
		return 0, out, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, out, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, out, err
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return resp.StatusCode, out, fmt.Errorf("status %d, answer %.300s: %w", resp.StatusCode, body, err)
	}
	return resp.StatusCode, out, nil
}

// TestConcurrentWritersHTTPBatch is TestConcurrentWritersHTTP through
// POST /v1/commands/batch: each writer sends its commands in batches of
// 10 to one of two API servers on one SQLite file; a command answered 409
// or 503 inside a batch is resent, with the same id, in the writer's next
// batch. Then every batch is sent once more, as a client that lost the
// answers would: every command must come back 200 (already applied) and
// nothing may be appended. Exactly writers x perWriter spendings, each
// command once, every total exact to the cent.
func TestConcurrentWritersHTTPBatch(t *testing.T) {
	writers, per := concurrencyShape()
	const servers, batchSize = 2, 10
	api, token, client := startServers(t, servers, writers)
	want := map[Cell]domain.Money{}
	for w := 0; w < writers; w++ {
		for k := 0; k < per; k++ {
			s := NewSpending(3, w, k)
			want[Cell{s.Line, s.Year}] += s.Amount
		}
	}
	var mu sync.Mutex
	var errs []string
	requests, resent, created, dups := 0, 0, 0, 0
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := api[w%servers].url
			var queue []domain.Envelope
			for k := 0; k < per; k++ {
				queue = append(queue, NewSpending(3, w, k).Envelope())
			}
			for rounds := 0; len(queue) > 0; rounds++ {
				if rounds == 200 {
					fail("writer %d: %d commands still not applied after 200 batches", w, len(queue))
					return
				}
				n := min(batchSize, len(queue))
				batch := queue[:n]
				status, res, err := postBatch(client, url, token, batch)
				mu.Lock()
				requests++
				mu.Unlock()
				if err != nil || status != http.StatusOK || len(res.Results) != n {
					fail("writer %d: batch answered %d with %d results, want 200 with %d: %v", w, status, len(res.Results), n, err)
					return
				}
				var again []domain.Envelope
				for i, item := range res.Results {
					switch {
					case item.Index != i:
						fail("writer %d: result %d has index %d", w, i, item.Index)
					case item.Status == http.StatusCreated:
						mu.Lock()
						created++
						mu.Unlock()
					case item.Status == http.StatusOK:
						mu.Lock()
						dups++
						mu.Unlock()
					case item.Status == http.StatusConflict || item.Status == http.StatusServiceUnavailable:
						again = append(again, batch[i])
					default:
						fail("writer %d: command %s answered %d: %+v", w, batch[i].CommandID, item.Status, item.Problem)
					}
				}
				mu.Lock()
				resent += len(again)
				mu.Unlock()
				queue = append(again, queue[n:]...)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		t.Fatalf("%d failures; first: %s", len(errs), errs[0])
	}
	if created != writers*per || dups != 0 {
		t.Errorf("answers: got %d created and %d duplicate, want %d created and 0 duplicate (every command id was new)", created, dups, writers*per)
	}
	checkTotals(t, api[1].store, writers*per, want)

	// The lost-answer retry: every batch again, in one request per writer's
	// batch; all must come back 200 and nothing may be appended.
	before, err := api[0].store.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for w := 0; w < writers; w++ {
		for k := 0; k < per; k += batchSize {
			var batch []domain.Envelope
			for j := k; j < min(k+batchSize, per); j++ {
				batch = append(batch, NewSpending(3, w, j).Envelope())
			}
			status, res, err := postBatch(client, api[(w+1)%servers].url, token, batch)
			if err != nil || status != http.StatusOK || res.Applied != len(batch) || res.Failed != 0 {
				t.Fatalf("resent batch of writer %d: status %d, applied %d, failed %d, err %v; want 200 with all %d applied", w, status, res.Applied, res.Failed, err, len(batch))
			}
			for _, item := range res.Results {
				if item.Status != http.StatusOK || item.Result == nil || !item.Result.Duplicate {
					t.Fatalf("resent command of writer %d: status %d, want 200 with the first answer marked duplicate", w, item.Status)
				}
			}
		}
	}
	after, err := api[0].store.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("resending every batch appended %d events, want none", len(after)-len(before))
	}
	t.Logf("%d writers x %d commands in batches of %d through POST /v1/commands/batch on %d servers: %d applied with %d requests (%d commands resent after 409/503) in %s; every batch resent: all 200, nothing appended",
		writers, per, batchSize, servers, writers*per, requests, resent, took.Round(10*time.Millisecond))
}
