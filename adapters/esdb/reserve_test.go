package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/adapters/reliability"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

func regEnv(id uuid.UUID, number string) domain.Envelope {
	y1 := domain.MustDate("2024-01-01")
	y1e := domain.MustDate("2024-12-31")
	return domain.NewEnvelope(id, "officer", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant,
		Title: "T " + number, Grantee: "NGO", Funder: "Ministry", Period: domain.Period{From: y1, To: y1e},
		Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a", Name: "A"}}})
}

func spendEnv(id uuid.UUID, number, amount string) domain.Envelope {
	return domain.NewEnvelope(id, "accountant", "", domain.RecordSpending{Ref: domain.Ref{Agreement: number}, Line: "a", Year: 1,
		Amount: domain.MustMoney(amount), Date: domain.MustDate("2024-03-01"), Document: "inv"})
}

func wantCode(t *testing.T, err error, code, field, says string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != code || de.Field != field || (says != "" && !strings.Contains(de.Message, says)) {
		t.Fatalf("got %v, want a %s error on %s saying %q", err, code, field, says)
	}
}

// staleReads is a second process's store whose reads of $all stop at a
// position: the process read the ledger there, and another process's
// events arrive between its read and its append (the window a check made
// on what was read leaves open).
type staleReads struct {
	*esdb.Store
	mu    sync.Mutex
	until *domain.Position
}

func (s *staleReads) freeze(p domain.Position) { s.mu.Lock(); s.until = &p; s.mu.Unlock() }

func (s *staleReads) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := s.Store.ReadAll(ctx, from, max)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.until == nil {
		return evs, err
	}
	for i, e := range evs {
		if s.until.Less(e.Position) {
			return evs[:i], nil
		}
	}
	return evs, nil
}

// lastPosition is the position of the last event of $all the store shows.
func lastPosition(t *testing.T, s domain.EventStore) domain.Position {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		return domain.Position{}
	}
	return evs[len(evs)-1].Position
}

// commandEvents counts the events of agreement streams recorded by a
// command id.
func commandEvents(t *testing.T, s domain.EventStore, id uuid.UUID) int {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if m, err := domain.DecodeMetadata(e.Metadata); err == nil && m.CommandID == id {
			n++
		}
	}
	return n
}

// Issue 12 items 2 and 8 on EventStoreDB: two processes (two stores, two
// services) on one server. Process b's view of the ledger is stale when
// it appends, so only a check the server makes atomically with the
// append can refuse its command: a command id already used by process a
// on another agreement (409 conflict naming it), and a number a's
// registration makes a look-alike of.
func TestLedgerWideRulesAcrossProcessesESDB(t *testing.T) {
	ledgerWideRules(t, startServer(t, esdbtest.Options{}).URL())
}

func ledgerWideRules(t *testing.T, url string) {
	ctx := context.Background()
	sfx := "-" + strings.ToUpper(uuid.NewString()[:8])
	ag1, ag2, knvoc := "AG-1"+sfx, "AG-2"+sfx, "KNVOC-2022-2025"+sfx
	storeA, storeB := mustOpen(t, url), mustOpen(t, url)
	t.Cleanup(func() { storeA.Close(); storeB.Close() })
	a := command.New(storeA, command.Options{})
	stale := &staleReads{Store: storeB}
	b := command.New(stale, command.Options{})
	for _, n := range []string{ag1, ag2} {
		if _, err := commandtest.Handle(ctx, a, regEnv(uuid.New(), n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := commandtest.Handle(ctx, b, spendEnv(uuid.New(), ag2, "1.00")); err != nil {
		t.Fatal(err)
	}
	stale.freeze(lastPosition(t, storeA))

	id := uuid.New()
	if _, err := commandtest.Handle(ctx, a, spendEnv(id, ag1, "100.00")); err != nil {
		t.Fatal(err)
	}
	if _, err := commandtest.Handle(ctx, a, regEnv(uuid.New(), knvoc)); err != nil {
		t.Fatal(err)
	}
	_, err := commandtest.Handle(ctx, b, spendEnv(id, ag2, "100.00"))
	wantCode(t, err, domain.EConflict, "command_id", fmt.Sprintf("%q", ag1))
	if n := commandEvents(t, storeA, id); n != 1 {
		t.Fatalf("command %s recorded %d events, want 1", id, n)
	}
	_, err = commandtest.Handle(ctx, b, regEnv(uuid.New(), strings.ToLower(knvoc)))
	wantCode(t, err, domain.EDuplicate, "agreement", fmt.Sprintf("%q", knvoc))
	if _, err := storeA.ReadStream(ctx, domain.StreamFor(strings.ToLower(knvoc)), 0, domain.Forwards, 0); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the look-alike's stream: %v, want not found", err)
	}

	// Race: each round both processes send one new id, a to AG-1 and b to
	// AG-2, and register look-alike numbers; exactly one of each pair wins.
	b2 := command.New(storeB, command.Options{})
	for round := 0; round < 20; round++ {
		id := uuid.New()
		n1, n2 := fmt.Sprintf("RACE-%d%s", 100+round, sfx), fmt.Sprintf("race-%d%s", 100+round, strings.ToLower(sfx))
		var wg sync.WaitGroup
		errs := make([]error, 4)
		wg.Add(4)
		go func() { defer wg.Done(); _, errs[0] = commandtest.Handle(ctx, a, spendEnv(id, ag1, "1.00")) }()
		go func() { defer wg.Done(); _, errs[1] = commandtest.Handle(ctx, b2, spendEnv(id, ag2, "1.00")) }()
		go func() { defer wg.Done(); _, errs[2] = commandtest.Handle(ctx, a, regEnv(uuid.New(), n1)) }()
		go func() { defer wg.Done(); _, errs[3] = commandtest.Handle(ctx, b2, regEnv(uuid.New(), n2)) }()
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: command id on two agreements: errors %v and %v, want exactly one applied", round, errs[0], errs[1])
		}
		if n := commandEvents(t, storeA, id); n != 1 {
			t.Fatalf("round %d: command %s recorded %d events, want 1", round, id, n)
		}
		if (errs[2] == nil) == (errs[3] == nil) {
			t.Fatalf("round %d: %s and %s: errors %v and %v, want exactly one registered", round, n1, n2, errs[2], errs[3])
		}
	}
}

// A reservation whose events were never appended (the append failed
// after the reservation was written) lets the same command through again,
// from this process or another, and it is applied once; it refuses the id
// on another agreement, and with other content on the same agreement. An
// append over the size limit reserves nothing, so its id stays free.
// Reservation streams are never shown as agreement streams.
func TestReservationWithoutEventsESDB(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	ctx := context.Background()
	storeA, storeB := mustOpen(t, srv.URL()), mustOpen(t, srv.URL())
	t.Cleanup(func() { storeA.Close(); storeB.Close() })
	a, b := command.New(storeA, command.Options{}), command.New(storeB, command.Options{})
	for _, n := range []string{"AG-1", "AG-2"} {
		if _, err := commandtest.Handle(ctx, a, regEnv(uuid.New(), n)); err != nil {
			t.Fatal(err)
		}
	}

	id := uuid.New()
	dropped := errors.New("connection dropped (test)")
	undo := esdb.FailAfterReserve(func(string) error { return dropped })
	_, err := commandtest.Handle(ctx, a, spendEnv(id, "AG-1", "5.00"))
	undo()
	if !errors.Is(err, dropped) {
		t.Fatalf("append after the reservation: %v, want the dropped connection", err)
	}
	if n := commandEvents(t, storeA, id); n != 0 {
		t.Fatalf("the failed append wrote %d events", n)
	}
	res, err := commandtest.Handle(ctx, b, spendEnv(id, "AG-1", "5.00"))
	if err != nil || res.Duplicate {
		t.Fatalf("retry by another process: %+v, %v; want applied", res, err)
	}
	res, err = commandtest.Handle(ctx, a, spendEnv(id, "AG-1", "5.00"))
	if err != nil || !res.Duplicate {
		t.Fatalf("second retry: %+v, %v; want a duplicate", res, err)
	}
	if n := commandEvents(t, storeA, id); n != 1 {
		t.Fatalf("command %s recorded %d events, want 1", id, n)
	}

	// An orphaned reservation refuses other commands with its id.
	id2 := uuid.New()
	undo = esdb.FailAfterReserve(func(string) error { return dropped })
	if _, err := commandtest.Handle(ctx, a, spendEnv(id2, "AG-1", "7.00")); !errors.Is(err, dropped) {
		t.Fatalf("append after the reservation: %v", err)
	}
	undo()
	_, err = commandtest.Handle(ctx, b, spendEnv(id2, "AG-2", "7.00"))
	wantCode(t, err, domain.EConflict, "command_id", `"AG-1"`)
	_, err = commandtest.Handle(ctx, b, spendEnv(id2, "AG-1", "8.00"))
	wantCode(t, err, domain.EConflict, "command_id", "")
	if n := commandEvents(t, storeA, id2); n != 0 {
		t.Fatalf("command %s recorded %d events, want 0", id2, n)
	}

	// Too large for the store: refused before anything is reserved.
	id3 := uuid.New()
	storeA.MaxAppendSize = 100
	_, err = commandtest.Handle(ctx, a, spendEnv(id3, "AG-1", "9.00"))
	storeA.MaxAppendSize = 0
	wantCode(t, err, domain.EInvalid, "events", "")
	if _, err := commandtest.Handle(ctx, b, spendEnv(id3, "AG-2", "9.50")); err != nil {
		t.Fatalf("the id of an append refused for its size, on another agreement: %v; want applied", err)
	}

	// A registration refused for its number does not hold its command id.
	id4 := uuid.New()
	_, err = commandtest.Handle(ctx, b, regEnv(id4, "ag-1"))
	wantCode(t, err, domain.EDuplicate, "agreement", `"AG-1"`)
	if _, err := commandtest.Handle(ctx, b, regEnv(id4, "AG-3")); err != nil {
		t.Fatalf("the registration with its number fixed, same command id: %v", err)
	}

	// Reservation streams are not agreement streams: $all and
	// subscriptions show none, the ledger's audit of $all finds every
	// stream's hash chain whole.
	evs, err := storeA.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if !strings.HasPrefix(e.Stream, domain.StreamPrefix) {
			t.Fatalf("ReadAll shows %s (%s)", e.Stream, e.Type)
		}
	}
	if n := srv.EventCount(); n <= len(evs) {
		t.Fatalf("the server holds %d events and ReadAll shows %d: no reservation was written", n, len(evs))
	}
	sub, err := storeA.Subscribe(ctx, domain.Position{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := range evs {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		e, err := sub.Next(sctx)
		cancel()
		if err != nil {
			t.Fatalf("subscription event %d: %v", i, err)
		}
		if e.Stream != evs[i].Stream || e.Position != evs[i].Position {
			t.Fatalf("subscription event %d is %s at %v, ReadAll's is %s at %v", i, e.Stream, e.Position, evs[i].Stream, evs[i].Position)
		}
	}
	if _, err := reliability.Audit(ctx, storeA); err != nil {
		t.Fatalf("audit of $all: %v", err)
	}
}

// The batch path over esdb.Concurrent (what `apply` uses), whose appends
// now go through AppendGuarded and its reservations: a second process's
// batch reusing an id applied on another agreement, and holding one new
// id on two agreements; the reuse is refused, the fresh ids are applied,
// each once. (The reuse is also caught by the index, caught up before the
// batch; this test is that the batch path keeps working with
// reservations, the race is TestLedgerWideRulesAcrossProcessesESDB's.)
func TestLedgerWideRulesInBatchesESDB(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	ctx := context.Background()
	storeA, storeB := mustOpen(t, srv.URL()), mustOpen(t, srv.URL())
	t.Cleanup(func() { storeA.Close(); storeB.Close() })
	a := command.New(esdb.Concurrent{Store: storeA}, command.Options{})
	b := command.New(esdb.Concurrent{Store: storeB}, command.Options{})
	for _, r := range commandtest.HandleBatch(ctx, a, []domain.Envelope{regEnv(uuid.New(), "AG-1"), regEnv(uuid.New(), "AG-2")}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	id := uuid.New()
	if _, err := commandtest.Handle(ctx, a, spendEnv(id, "AG-1", "100.00")); err != nil {
		t.Fatal(err)
	}
	id2, id3 := uuid.New(), uuid.New()
	rs := commandtest.HandleBatch(ctx, b, []domain.Envelope{spendEnv(id, "AG-2", "1.00"), spendEnv(id2, "AG-1", "2.00"), spendEnv(id2, "AG-2", "2.00"), spendEnv(id3, "AG-2", "3.00")})
	wantCode(t, rs[0].Err, domain.EConflict, "command_id", `"AG-1"`)
	if rs[1].Err != nil || rs[3].Err != nil {
		t.Fatalf("batch: the commands with fresh ids were refused: %v, %v", rs[1].Err, rs[3].Err)
	}
	wantCode(t, rs[2].Err, domain.EConflict, "command_id", "")
	for _, c := range []struct {
		id   uuid.UUID
		want int
	}{{id, 1}, {id2, 1}, {id3, 1}} {
		if n := commandEvents(t, storeA, c.id); n != c.want {
			t.Fatalf("command %s recorded %d events, want %d", c.id, n, c.want)
		}
	}
}
