package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// gauges reads every unlabelled gauge and counter from the registry, as
// Prometheus would scrape them.
func gauges(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			if len(mt.GetLabel()) != 0 {
				continue
			}
			switch {
			case mt.GetGauge() != nil:
				out[mf.GetName()] = mt.GetGauge().GetValue()
			case mt.GetCounter() != nil:
				out[mf.GetName()] = mt.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestStateCacheMetrics: the figures docs/SERVER.md ("Memory") tells an
// operator to watch are scraped as the command service counts them. Two
// agreements of 3 events written in turn under a bound of 4 events: the
// second state pushes the cache past its bound, so each command reads
// its agreement back and drops the other.
func TestStateCacheMetrics(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{MaxCachedEvents: 4})
	m := metrics.New()
	m.WatchStateCache(svc)
	y := domain.Period{From: domain.MustDate("2025-01-01"), To: domain.MustDate("2025-12-31")}
	for _, n := range []string{"SC-1", "SC-2"} {
		ref := domain.Ref{Agreement: n}
		for _, cmd := range []domain.Command{
			domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
				Period: y, Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "civil"}}},
			domain.PlanBudget{Ref: ref, Line: "civil", Year: 1, Amount: 1_000_000},
		} {
			if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "off", "", cmd)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 4; i++ {
		n := []string{"SC-1", "SC-2"}[i%2]
		spend := domain.RecordSpending{Ref: domain.Ref{Agreement: n}, Line: "civil", Year: 1, Amount: 100,
			Date: domain.MustDate("2025-03-01"), Document: fmt.Sprintf("D%d", i)}
		if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "acc", "", spend)); err != nil {
			t.Fatal(err)
		}
	}
	got := gauges(t, m)
	st := svc.CacheStats()
	if st.Reads < 4 || st.Dropped < 4 {
		t.Fatalf("the service counted %d reads and %d drops; four commands on two agreements that do not fit together should read and drop at every command", st.Reads, st.Dropped)
	}
	for name, want := range map[string]float64{
		"grantledger_agreement_states_events":        float64(st.Events),
		"grantledger_agreement_states_limit_events":  4,
		"grantledger_agreement_state_reads_total":    float64(st.Reads),
		"grantledger_agreement_states_dropped_total": float64(st.Dropped),
	} {
		v, ok := got[name]
		if !ok {
			t.Errorf("%s is not exported", name)
			continue
		}
		if v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
}
