package codec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/internal/testsupport/randomledger"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// TestAuditSameInEveryForm: the audit trail answers the same whether the
// ledger holds it encoded as it folds (the blocks of AuditBlock rows
// encoded, issue 17), as rows in structs (a ledger folded from the same
// events with their times in another zone, which no chunk can hold, so
// every block stays as structs: the form a ledger had before), restored
// from a snapshot (the stored section, split on first need), or restored
// and then folding more (stored chunks, then chunks sealed after the
// restore). Over a random ledger of several blocks, for the whole trail
// and for filters by agreement, actor, type and period (which skip
// chunks by their names and times). The rows' own fields (position,
// stream, revision, type, time, actor, command, reason, hash) are also
// checked against the stored events, which none of those forms produced.
func TestAuditSameInEveryForm(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	// A clock a minute on per command, so that periods select parts of
	// the trail.
	clock := projtest.NewClock(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))
	minute := func() time.Time { t := clock.Now(); clock.Set(t.Add(time.Minute)); return t }
	svc := command.New(store, command.Options{Clock: minute})
	rng := rand.New(rand.NewPCG(17, 1))
	ags, err := randomledger.Build(ctx, svc, rng, 260)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.ReadAll(ctx, domain.Position{}, 1<<22)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 2*projections.AuditBlock+1 {
		t.Fatalf("the random ledger has %d events, want more than two blocks (%d)", len(evs), 2*projections.AuditBlock)
	}
	// Fold the first part, snapshot it, fold the rest into the restored
	// ledger: its trail is the stored chunks, then chunks sealed after.
	cut := projections.AuditBlock + len(evs)/3
	dec := codec.NewDecoder(nil)
	folded, plain, part := projections.NewLedger(time.Time{}), projections.NewLedger(time.Time{}), projections.NewLedger(time.Time{})
	riga := time.FixedZone("Riga", 2*3600)
	for i, e := range evs {
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		folded.Apply(pe)
		if i < cut {
			part.Apply(pe)
		}
		pe.Meta.RecordedAt = pe.Meta.RecordedAt.In(riga)
		plain.Apply(pe)
	}
	if n := folded.AuditHeldRows(); n >= projections.AuditBlock {
		t.Errorf("the folded ledger holds %d audit rows decoded, want fewer than a block (%d)", n, projections.AuditBlock)
	}
	if n := plain.AuditHeldRows(); n != len(evs) {
		t.Fatalf("the ledger with times outside UTC holds %d rows as structs, want all %d", n, len(evs))
	}
	restored := restore(t, marshal(t, folded))
	resumed := restore(t, marshal(t, part))
	for _, e := range evs[cut:] {
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		resumed.Apply(pe)
	}
	utc := func(rows []projections.AuditRow) []projections.AuditRow {
		for i := range rows {
			rows[i].RecordedAt = rows[i].RecordedAt.UTC()
		}
		return rows
	}

	// The rows' own fields, from the events as stored (their metadata
	// read as plain JSON).
	all := folded.AuditRows()
	if len(all) != len(evs) {
		t.Fatalf("%d audit rows for %d events", len(all), len(evs))
	}
	metas := make([]domain.Metadata, len(evs))
	for i, e := range evs {
		m := &metas[i]
		if err := json.Unmarshal(e.Metadata, m); err != nil {
			t.Fatal(err)
		}
		r := all[i]
		if r.Position != e.Position || r.Stream != e.Stream || r.Revision != e.Revision || r.Type != e.Type || !r.RecordedAt.Equal(m.RecordedAt) ||
			r.Actor != m.Actor || r.CommandID != m.CommandID || r.Reason != m.Reason || r.Hash != m.Hash || r.Hash == "" {
			t.Fatalf("row %d is %+v, the stored event's metadata %+v", i, r, *m)
		}
	}

	// Filters: each agreement of a sample, its first actor, types, and
	// periods cut at random minutes, alone and combined.
	first, last := metas[0].RecordedAt, metas[len(metas)-1].RecordedAt
	span := last.Sub(first)
	filters := []projections.AuditFilter{{}}
	for k := 0; k < 6; k++ {
		a := ags[rng.IntN(len(ags))]
		from := first.Add(time.Duration(rng.Int64N(int64(span))))
		to := from.Add(time.Duration(rng.Int64N(int64(span) / 4)))
		filters = append(filters,
			projections.AuditFilter{Agreement: a.Number},
			projections.AuditFilter{From: from, To: to},
			projections.AuditFilter{From: from},
			projections.AuditFilter{To: to.Add(-time.Nanosecond)},
			projections.AuditFilter{Agreement: a.Number, From: from},
			projections.AuditFilter{Actor: all[rng.IntN(len(all))].Actor, Types: []string{"spendingrecorded", " BudgetPlanned "}},
			projections.AuditFilter{Types: []string{all[rng.IntN(len(all))].Type}, To: to},
		)
	}
	// Periods that start or end at the first and last times of the
	// chunks (a chunk is skipped by them): the folded ledger's chunks of
	// AuditBlock rows, and the restored one's (the snapshot's up to the
	// cut, then AuditBlock rows at a time after it).
	var edges [][2]int
	for b := 0; b < len(all); b += projections.AuditBlock {
		edges = append(edges, [2]int{b, min(b+projections.AuditBlock, len(all))})
	}
	edges = append(edges, [2]int{projections.AuditBlock, cut})
	for b := cut; b < len(all); b += projections.AuditBlock {
		edges = append(edges, [2]int{b, min(b+projections.AuditBlock, len(all))})
	}
	for _, e := range edges {
		lo, hi := all[e[0]].RecordedAt, all[e[0]].RecordedAt
		for _, r := range all[e[0]:e[1]] {
			if r.RecordedAt.Before(lo) {
				lo = r.RecordedAt
			}
			if r.RecordedAt.After(hi) {
				hi = r.RecordedAt
			}
		}
		for _, d := range []time.Duration{-time.Nanosecond, 0, time.Nanosecond} {
			filters = append(filters, projections.AuditFilter{From: hi.Add(d)}, projections.AuditFilter{To: lo.Add(-d)},
				projections.AuditFilter{From: lo.Add(d), To: hi.Add(-d)})
		}
	}
	filters = append(filters, projections.AuditFilter{Agreement: "no such agreement"}, projections.AuditFilter{Actor: "NOBODY"},
		projections.AuditFilter{From: last.Add(time.Second)}, projections.AuditFilter{To: first.Add(-time.Second)})
	nonEmpty := 0
	for i, f := range filters {
		want := plain.Audit(f)
		want.Rows = utc(want.Rows)
		// The oracle's own count: the rows of the whole trail that pass.
		n := 0
		for _, r := range all {
			if (f.Agreement == "" || r.Agreement == f.Agreement) && (f.From.IsZero() || !r.RecordedAt.Before(f.From)) &&
				(f.To.IsZero() || !r.RecordedAt.After(f.To)) && (f.Actor == "" || r.Actor == f.Actor) && typeIn(r.Type, f.Types) {
				n++
			}
		}
		if len(want.Rows) != n {
			t.Fatalf("filter %d %+v: the struct-held ledger gives %d rows, the whole trail has %d that pass", i, f, len(want.Rows), n)
		}
		if n > 0 {
			nonEmpty++
		}
		for name, l := range map[string]*projections.Ledger{"folded": folded, "restored": restored, "restored, then folded": resumed} {
			got := l.Audit(f)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("filter %d %+v: %s ledger gives %d rows, the struct-held one %d%s", i, f, name, len(got.Rows), len(want.Rows), firstDiff(got.Rows, want.Rows))
			}
		}
	}
	if nonEmpty < len(filters)/2 {
		t.Errorf("only %d of %d filters select any row: the test checks little", nonEmpty, len(filters))
	}
	for name, l := range map[string]*projections.Ledger{"restored": restored, "restored, then folded": resumed} {
		if g, w := l.AuditRows(), all; !reflect.DeepEqual(g, w) {
			t.Errorf("%s ledger: AuditRows differ from the folded one's%s", name, firstDiff(g, w))
		}
		if n := l.AuditHeldRows(); n >= projections.AuditBlock {
			t.Errorf("%s ledger holds %d audit rows decoded after the queries, want fewer than a block", name, n)
		}
	}
}

func typeIn(typ string, types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if len(t) > 0 && equalFoldTrim(t, typ) {
			return true
		}
	}
	return false
}

// equalFoldTrim compares an ASCII type name as the filter documents it:
// case and surrounding spaces do not matter.
func equalFoldTrim(filter, typ string) bool {
	lower := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 32
			}
		}
		return string(b)
	}
	start, end := 0, len(filter)
	for start < end && filter[start] == ' ' {
		start++
	}
	for end > start && filter[end-1] == ' ' {
		end--
	}
	return lower(filter[start:end]) == lower(typ)
}

func firstDiff(got, want []projections.AuditRow) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf(": first difference at row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	return ""
}
