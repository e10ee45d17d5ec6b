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
// agreements of 2 events, then four spendings on them in turn, under a
// bound of 4 events: from the first spending on, the two states do not
// fit together, so each command finds its agreement dropped and drops
// the other. Kept encoded (the default), a dropped state is decoded, not
// read: the store is read only at each agreement's first use.
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
	if st.Reads != 2 || st.Restored < 3 || st.Dropped < 4 || st.Encoded == 0 {
		t.Fatalf("the service counted %+v; want 2 reads (first uses), and a drop at every spending and a restore at every one but the first", st)
	}
	for name, want := range map[string]float64{
		"grantledger_agreement_states_events":              float64(st.Events),
		"grantledger_agreement_states_limit_events":        4,
		"grantledger_agreement_state_reads_total":          2,
		"grantledger_agreement_states_dropped_total":       float64(st.Dropped),
		"grantledger_agreement_state_restores_total":       float64(st.Restored),
		"grantledger_agreement_states_encoded_bytes":       float64(st.Encoded),
		"grantledger_agreement_states_encoded_limit_bytes": float64(command.DefaultMaxSpilledBytes),
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
