package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/domain"
)

// TestServeSIGTERM builds the binary, serves a fresh ledger, drives
// commands from several clients, sends SIGTERM in the middle and checks
// that the process exits 0 and every acknowledged command is in the file
// exactly once.
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "grantledger")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db, toks := filepath.Join(dir, "l.db"), filepath.Join(dir, "tokens.json")
	env := append(os.Environ(), "GRANTLEDGER_DB="+db, "GRANTLEDGER_TOKENS="+toks)
	mk := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	// The ledger is empty: no agreement names these organisations yet.
	funder := mk("token", "create", "--role", "funder", "--name", "officer", "--funder", "Ministry", "--allow-unknown")
	grantee := mk("token", "create", "--role", "grantee", "--name", "accountant", "--grantee", "NGO", "--allow-unknown")
	if _, err := os.Stat(toks); err == nil {
		t.Fatalf("token file %s written; tokens belong in the ledger", toks)
	}
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ledger: %v, mode %v; want 0600", err, st.Mode().Perm())
	}

	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--shutdown-grace", "20s")
	srv.Env = env
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	addrRe := regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
	sc := bufio.NewScanner(stderr)
	var url string
	var logs bytes.Buffer
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			url = "http://" + m[1]
			break
		}
	}
	if url == "" {
		t.Fatalf("no listening line in:\n%s", logs.String())
	}
	logDone := make(chan struct{})
	go func() {
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
		close(logDone)
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(token string, env domain.Envelope) int {
		b, _ := json.Marshal(env)
		req, _ := http.NewRequest("POST", url+"/v1/commands", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	y := domain.Period{From: domain.NewDate(2024, 1, 1), To: domain.NewDate(2024, 12, 31)}
	if s := post(funder, domain.NewEnvelope(uuid.New(), "", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: "A-1"}, Kind: domain.KindGrant,
		Title: "t", Grantee: "NGO", Funder: "Ministry", Period: y, Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}},
		Lines: []domain.LineSpec{{Line: "L1"}}})); s != 201 {
		t.Fatalf("register: %d", s)
	}
	const clients, per = 8, 60
	var mu sync.Mutex
	acked := map[uuid.UUID]bool{}
	sent := make(chan struct{}, clients*per)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				e := domain.NewEnvelope(uuid.New(), "", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "A-1"}, Line: "L1", Year: 1,
					Amount: 1, Date: domain.NewDate(2024, 3, 1), Document: "d"})
				s := post(grantee, e)
				sent <- struct{}{}
				if s == 0 {
					return
				}
				if s == 201 {
					mu.Lock()
					acked[e.CommandID] = true
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < clients*per/3; i++ {
		<-sent
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	waitErr := make(chan error, 1)
	go func() { waitErr <- srv.Wait() }()
	select {
	case err := <-waitErr:
		<-logDone
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; logs:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "stopped cleanly") {
		t.Errorf("no clean-stop line in the logs:\n%s", logs.String())
	}
	for _, tok := range []string{funder, grantee} {
		if strings.Contains(logs.String(), tok) {
			t.Error("a token appears in the server's logs")
		}
	}
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ReadStream(context.Background(), domain.StreamFor("A-1"), 0, domain.Forwards, 100000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]int{}
	for _, e := range evs {
		m, _ := domain.DecodeMetadata(e.Metadata)
		seen[m.CommandID]++
		if e.Type == "SpendingRecorded" && m.Actor != "accountant (grantee)" {
			t.Errorf("actor: got %q, want %q", m.Actor, "accountant (grantee)")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged")
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged command %s: %d events in the ledger, want 1", id, seen[id])
		}
	}
	t.Logf("%d commands acknowledged, all durable after SIGTERM", len(acked))
}
