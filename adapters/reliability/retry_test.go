package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// slowStore delays the answer of chosen appends until the caller's context
// is done, as a store behind a slow network would: with lostAfter the
// append is written first and only the answer is lost; otherwise the
// caller gives up before anything is written.
type slowStore struct {
	port.Store
	mu        sync.Mutex
	lostAfter bool
	slowFirst map[uuid.UUID]bool // first event id -> already slowed once
}

// Offers nothing optional, as the plain event store it stands for: every
// append goes through Append, where it is slowed.
func (s *slowStore) Offers() domain.Offers { return domain.Offers{} }

func (s *slowStore) Append(ctx context.Context, stream string, exp domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	_, hasDeadline := ctx.Deadline() // only callers that can time out are slowed
	s.mu.Lock()
	slow := hasDeadline && len(evs) > 0 && !s.slowFirst[evs[0].ID]
	if slow {
		s.slowFirst[evs[0].ID] = true
	}
	s.mu.Unlock()
	if !slow {
		return s.Store.Append(ctx, stream, exp, evs)
	}
	if s.lostAfter {
		if _, err := s.Store.Append(context.WithoutCancel(ctx), stream, exp, evs); err != nil {
			return domain.AppendResult{}, err
		}
	}
	<-ctx.Done()
	return domain.AppendResult{}, ctx.Err()
}

// slowed reports whether the append whose first event is id was slowed.
func (s *slowStore) slowed(id uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slowFirst[id]
}

// TestRetryAfterTimeout has clients whose first attempt at every command
// times out (context deadline), either before the store wrote it or after
// it wrote it and the answer was lost. They send the same command id again;
// each spending must be recorded exactly once, and a resend of a command
// that had landed must say so (Duplicate) and append nothing.
func TestRetryAfterTimeout(t *testing.T) {
	for _, lost := range []bool{false, true} {
		for _, kind := range []string{"memstore", "sqlite"} {
			name := kind + "/timeout-before-write"
			if lost {
				name = kind + "/answer-lost-after-write"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				var inner port.Store = memstore.New()
				if kind == "sqlite" {
					s, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					inner = s
				}
				store := &slowStore{Store: inner, lostAfter: lost, slowFirst: map[uuid.UUID]bool{}}
				svc := command.New(store, command.Options{})
				for _, env := range Setup() {
					if _, err := commandtest.Handle(ctx, svc, env); err != nil {
						t.Fatalf("setup: %v", err)
					}
				}
				const clients, per = 4, 10
				want := map[Cell]domain.Money{}
				var mu sync.Mutex
				var errs []string
				dups := 0
				var wg sync.WaitGroup
				for c := 0; c < clients; c++ {
					for k := 0; k < per; k++ {
						s := NewSpending(2, c, k)
						want[Cell{s.Line, s.Year}] += s.Amount
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := 0; k < per; k++ {
							env := NewSpending(2, c, k).Envelope()
							tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
							_, err := commandtest.Handle(tctx, svc, env)
							cancel()
							mu.Lock()
							if !errors.Is(err, context.DeadlineExceeded) {
								errs = append(errs, fmt.Sprintf("client %d command %d first attempt: got %v, want a deadline error", c, k, err))
							}
							mu.Unlock()
							// The first attempt reached the store (and, with a
							// lost answer, was written) unless its deadline
							// struck while it waited for the agreement.
							landed := lost && store.slowed(command.EventID(env.CommandID, 0))
							res, err := commandtest.Handle(ctx, svc, env)
							mu.Lock()
							switch {
							case err != nil:
								errs = append(errs, fmt.Sprintf("client %d command %d resend: %v", c, k, err))
							case res.Duplicate != landed:
								errs = append(errs, fmt.Sprintf("client %d command %d resend: Duplicate %v, want %v", c, k, res.Duplicate, landed))
							case res.Duplicate:
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
				checkTotals(t, inner, clients*per, want)
				t.Logf("%d commands timed out once and were resent; %d resends found the command already recorded", clients*per, dups)
			})
		}
	}
}

// TestRetryRandomDeadlines drives the real embedded store with random,
// very short deadlines, so that time-outs strike wherever they happen to
// fall (before, inside or after the commit), and resends every command
// with the same id until it succeeds. A time-out must cost only the attempt
// it struck: the next attempt has to work.
func TestRetryRandomDeadlines(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := command.New(s, command.Options{})
	for _, env := range Setup() {
		if _, err := commandtest.Handle(ctx, svc, env); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	const clients, per = 4, 50
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	want := map[Cell]domain.Money{}
	var mu sync.Mutex
	timeouts, dups := 0, 0
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		for k := 0; k < per; k++ {
			sp := NewSpending(3, c, k)
			want[Cell{sp.Line, sp.Year}] += sp.Amount
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			for k := 0; k < per; k++ {
				env := NewSpending(3, c, k).Envelope()
				for attempt := 0; ; attempt++ {
					d := time.Duration(rng.IntN(1500)) * time.Microsecond
					if attempt >= 50 {
						d = time.Minute // bounded: the last attempt gets time
					}
					tctx, cancel := context.WithTimeout(ctx, d)
					res, err := commandtest.Handle(tctx, svc, env)
					cancel()
					if err == nil {
						mu.Lock()
						if res.Duplicate {
							dups++
						}
						mu.Unlock()
						break
					}
					if attempt >= 50 || !errors.Is(err, context.DeadlineExceeded) {
						// A time-out must cost only that attempt: any other
						// error means the store was left unusable.
						t.Errorf("client %d command %d, attempt %d: %v", c, k, attempt+1, err)
						return
					}
					mu.Lock()
					timeouts++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	checkTotals(t, s, clients*per, want)
	t.Logf("%d commands, %d attempts failed on their deadline and were resent, %d resends found the command already recorded", clients*per, timeouts, dups)
}

// TestSQLiteTimeoutLeavesStoreUsable appends to the embedded store with
// deadlines of a few microseconds, so that some strike while the store is
// starting its transaction. Every failed append must fail with the
// deadline and leave the store able to take the next one.
func TestSQLiteTimeoutLeavesStoreUsable(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	timeouts := 0
	for i := 0; i < 3000; i++ {
		ev := domain.EventData{ID: uuid.New(), Type: "Probe", Data: []byte(`{}`), Metadata: []byte(`{}`)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%60)*time.Microsecond)
		_, err := s.Append(ctx, "probe", domain.Any, []domain.EventData{ev})
		cancel()
		if err == nil {
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("append %d, after %d time-outs: got %v, want success or a deadline error; a time-out must not leave the store unusable", i, timeouts, err)
		}
		timeouts++
	}
	if _, err := s.Append(context.Background(), "probe", domain.Any, []domain.EventData{{ID: uuid.New(), Type: "Probe", Data: []byte(`{}`), Metadata: []byte(`{}`)}}); err != nil {
		t.Fatalf("append after %d time-outs: %v", timeouts, err)
	}
	t.Logf("3000 appends, %d struck by their deadline, store still writable", timeouts)
}
