package main

import (
	"bufio"
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// BenchmarkReadModelMemory measures the read model's memory (issue 17:
// "the read model's memory per (agreement, year, line) cell is stated"):
// the data set of 'grantledger generate' (2 000 agreements, 6 cells and
// 67 events each) is applied to an in-memory store, read back, and folded
// into a projections.Ledger; the live heap before and after the fold,
// each after a collection, gives the read model's bytes, reported per
// cell and per event. Part of each event's share is its audit row, held
// in memory for the audit trail (docs/PERFORMANCE.md, "Scale"): the
// row's size is reported beside it (its struct plus the 64-byte hash
// string each row keeps).
func BenchmarkReadModelMemory(b *testing.B) {
	const agreements = 2000
	ctx := context.Background()
	var jsonl bytes.Buffer
	if err := generate(ctx, &jsonl, agreements, 1); err != nil {
		b.Fatal(err)
	}
	store := memstore.New()
	svc := command.New(store, command.Options{})
	sc := bufio.NewScanner(&jsonl)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var envs []domain.Envelope
	flush := func() {
		for _, r := range commandtest.HandleBatch(ctx, svc, envs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		envs = envs[:0]
	}
	for sc.Scan() {
		env, err := wire.DecodeEnvelope(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		envs = append(envs, env)
		if len(envs) == 1000 {
			flush()
		}
	}
	flush()
	evs, err := store.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	cells := agreements * genYears * genLines
	var perCell, perEvent, auditPerEvent float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		dec := codec.NewDecoder(nil)
		l := projections.NewLedger(time.Time{})
		for _, e := range evs {
			pe, err := dec.Decode(e)
			if err != nil {
				b.Fatal(err)
			}
			l.Apply(pe)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		grew := float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
		perCell, perEvent = grew/float64(cells), grew/float64(len(evs))
		if l.Applied() != len(evs) {
			b.Fatalf("folded %d of %d events", l.Applied(), len(evs))
		}
		auditPerEvent = float64(l.AuditEncodedBytes()+l.AuditHeldRows()*int(unsafe.Sizeof(projections.AuditEntry{})+64)) / float64(len(evs))
		runtime.KeepAlive(l)
	}
	b.ReportMetric(perCell, "B/cell")
	b.ReportMetric(perEvent, "B/event")
	// The audit trail's part: its chunks, and the rows of its open block
	// (each a struct and its 64-byte hash).
	b.ReportMetric(auditPerEvent, "audit-B/event")
	b.Logf("%d agreements, %d cells, %d events: read model %.0f bytes per cell, %.0f per event (audit trail %.0f per event)",
		agreements, cells, len(evs), perCell, perEvent, auditPerEvent)
}
