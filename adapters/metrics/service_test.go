package metrics_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// The decorator is a whole command.Handler of its own: if the interface
// grows, this stops compiling until the new method is written here.
var _ command.Handler = (*metrics.Service)(nil)

// commandCounts reads grantledger_commands_total and the count of
// grantledger_command_duration_seconds from the registry, as Prometheus
// would scrape them: type -> outcome -> count, and type -> observations.
func commandCounts(t *testing.T, m *metrics.Metrics) (map[string]map[string]int, map[string]int) {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts, seconds := map[string]map[string]int{}, map[string]int{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range mt.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case "grantledger_commands_total":
				if counts[labels["type"]] == nil {
					counts[labels["type"]] = map[string]int{}
				}
				counts[labels["type"]][labels["outcome"]] += int(mt.GetCounter().GetValue())
			case "grantledger_command_duration_seconds":
				seconds[labels["type"]] += int(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return counts, seconds
}

// TestServiceCountsEveryCommand sends commands through the decorator in
// batches of many and of one, applied, retried and refused, and reads the
// metrics back: every command handed over is counted once, by its type
// and outcome, with one latency observation; a View is no command and
// counts nothing.
func TestServiceCountsEveryCommand(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	svc := metrics.WrapService(command.New(memstore.New(), command.Options{}), m)

	envs := seeds.Scenario004()
	want := map[string]map[string]int{}
	count := func(typ, outcome string) {
		if want[typ] == nil {
			want[typ] = map[string]int{}
		}
		want[typ][outcome]++
	}
	// The scenario in one batch: every command applies (seeds say so).
	for i, o := range commandtest.HandleBatch(ctx, svc, envs) {
		if o.Err != nil {
			t.Fatalf("seed command %d (%s): %v", i, envs[i].Type, o.Err)
		}
		count(envs[i].Type, "ok")
	}
	// The last command again, alone: a duplicate.
	last := envs[len(envs)-1]
	if res, err := commandtest.Handle(ctx, svc, last); err != nil || !res.Duplicate {
		t.Fatalf("retry: duplicate %v, error %v; want a duplicate", res.Duplicate, err)
	}
	count(last.Type, "duplicate")
	// Spending on an agreement that does not exist: refused, not found.
	missing := domain.NewEnvelope(uuid.New(), "tester", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "NO/SUCH/1"}, Line: "l", Year: 1, Amount: 100, Date: domain.MustDate("2024-03-01"), Document: "D-1"})
	if _, err := commandtest.Handle(ctx, svc, missing); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("spending on an unknown agreement: %v, want %s", err, domain.ENotFound)
	}
	count(missing.Type, domain.ENotFound)
	// A View reads, it is not a command.
	if err := svc.View(ctx, seeds.Seed004, func(*domain.Agreement) error { return nil }); err != nil {
		t.Fatal(err)
	}

	got, seconds := commandCounts(t, m)
	total := 0
	for typ, outs := range want {
		n := 0
		for outcome, c := range outs {
			if got[typ][outcome] != c {
				t.Errorf("%s %s: counted %d, want %d", typ, outcome, got[typ][outcome], c)
			}
			n += c
		}
		if seconds[typ] != n {
			t.Errorf("%s: %d latency observations, want %d", typ, seconds[typ], n)
		}
		total += n
	}
	for typ, outs := range got {
		for outcome, c := range outs {
			if want[typ][outcome] == 0 {
				t.Errorf("%s %s counted %d times, sent never", typ, outcome, c)
			}
		}
	}
	if total != len(envs)+2 {
		t.Fatalf("expected %d commands, the test sent %d", total, len(envs)+2)
	}
}
