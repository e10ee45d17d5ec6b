package wiring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/groupcommit"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
)

func register(number string) domain.Envelope {
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	return domain.NewEnvelope(uuid.New(), "test", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant,
		Title: "T", Grantee: "NGO A", Funder: "Ministry A",
		Period: domain.Period{From: y1, To: y1e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}})
}

func count(t *testing.T, raw *memstore.Store) int {
	t.Helper()
	evs, err := raw.ReadAll(context.Background(), domain.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// serve's and load's wiring: the store measured, then behind the group
// committer; commands go through both, measured, into the store opened.
func TestMainWiresMeasuredGroupCommittedStore(t *testing.T) {
	raw := memstore.New()
	m := New(Config{Store: raw, Metrics: metrics.New(), GroupCommit: 8, Command: command.Options{}})
	defer m.Close()
	gc, ok := m.Store.(*groupcommit.Store)
	if !ok {
		t.Fatalf("Store is %T, want the group committer in front", m.Store)
	}
	ms, ok := gc.Inner.(*metrics.Store)
	if !ok || ms.Unwrap() != raw {
		t.Fatalf("the group committer wraps %T, want the measured store over the store opened", gc.Inner)
	}
	if m.Raw != raw || m.Service.Store() != m.Store || m.Measured == nil {
		t.Fatalf("Raw %p (want %p), service over %T, Measured %v", m.Raw, raw, m.Service.Store(), m.Measured)
	}
	if _, err := commandtest.Handle(context.Background(), m.Measured, register("AG-1")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, raw); n == 0 {
		t.Fatal("a command handled by Measured wrote nothing to the store opened")
	}
	// The one read model reads what was written, with the clock it was
	// given: the registered agreement is there.
	var seen []string
	if _, err := m.Reads.Read(context.Background(), time.Time{}, func(l *projections.Ledger) error {
		for _, v := range l.Agreements() {
			seen = append(seen, v.Agg.AgreementNumber())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "AG-1" {
		t.Fatalf("Main.Reads sees agreements %v, want [AG-1]", seen)
	}
}

// serve's one clock: Main.Reads judges "today" by Config.Reads.Clock.
func TestMainReadsWithTheClockGiven(t *testing.T) {
	at := time.Date(2021, 9, 1, 12, 0, 0, 0, time.UTC)
	m := New(Config{Store: memstore.New(), Reads: readmodel.ServiceOptions{Clock: func() time.Time { return at }}})
	defer m.Close()
	if got, want := m.Reads.Today(), domain.NewDate(2021, time.September, 1); got != want {
		t.Fatalf("Main.Reads.Today() = %v, want %v", got, want)
	}
}

// glcrash's wiring: no metrics, no group committer: the service writes to
// the store as opened.
func TestMainWithoutMetricsWritesToTheStoreItself(t *testing.T) {
	raw := memstore.New()
	m := New(Config{Store: raw})
	defer m.Close()
	if m.Store != raw || m.Measured != nil || m.Metrics != nil {
		t.Fatalf("Store %T, Measured %v, Metrics %v: want the store itself and nothing measured", m.Store, m.Measured, m.Metrics)
	}
}

// Close runs what was registered, newest first, while the store is still
// open, then closes the store chain; a second Close changes nothing.
func TestMainClosesRegisteredThenStore(t *testing.T) {
	raw := memstore.New()
	m := New(Config{Store: raw, Metrics: metrics.New(), GroupCommit: 4})
	var order []string
	for _, name := range []string{"listener", "server"} {
		m.OnClose(func() error {
			order = append(order, name)
			if _, err := raw.Append(context.Background(), "probe-"+name, domain.Any, []domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte("{}"), Metadata: []byte("{}")}}); err != nil {
				t.Errorf("%s closed after the store: %v", name, err)
			}
			return nil
		})
	}
	boom := errors.New("boom")
	m.OnClose(func() error { return boom })
	if err := m.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close = %v, want the closer's error", err)
	}
	if len(order) != 2 || order[0] != "server" || order[1] != "listener" {
		t.Fatalf("closed in order %v, want [server listener]", order)
	}
	if _, err := raw.Append(context.Background(), "after", domain.Any, []domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte("{}"), Metadata: []byte("{}")}}); err == nil {
		t.Fatal("the store still appends after Main.Close")
	}
	if err := m.Close(); !errors.Is(err, boom) {
		t.Fatalf("second Close = %v, want the first's answer", err)
	}
}
