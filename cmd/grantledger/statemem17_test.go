package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 17: the command service keeps each agreement's state it has used,
// bounded by the events folded into them (--cache-events). What one
// event costs in that cache decides how many agreements a server keeps
// without reading their streams back, so docs/PERFORMANCE.md ("Scale")
// and the option's help state it: at most stateBytesPerEvent bytes an
// event on the data set of 'grantledger generate'. The test applies
// that data set (1 000 agreements, 67 000 events) to an in-memory store,
// then loads every agreement's state into a new service with no bound
// and measures the live heap before and after.
func TestCachedStateMemoryPerEvent(t *testing.T) {
	const agreements = 1000
	const stateBytesPerEvent = 250 // docs/PERFORMANCE.md, "Scale"
	ctx := context.Background()
	var jsonl bytes.Buffer
	if err := generate(ctx, &jsonl, agreements, 1); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	svc := command.New(store, command.Options{MaxCachedEvents: -1})
	sc := bufio.NewScanner(&jsonl)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var envs []domain.Envelope
	var numbers []string
	flush := func() {
		for _, r := range commandtest.HandleBatch(ctx, svc, envs) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		envs = envs[:0]
	}
	for sc.Scan() {
		env, err := wire.DecodeEnvelope(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if env.Type == "register_agreement" {
			var reg domain.RegisterAgreement
			if err := json.Unmarshal(env.Data, &reg); err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, reg.Agreement)
		}
		envs = append(envs, env)
		if len(envs) == 1000 {
			flush()
		}
	}
	flush()
	if len(numbers) != agreements {
		t.Fatalf("generated %d agreements, want %d", len(numbers), agreements)
	}

	fresh := command.New(store, command.Options{MaxCachedEvents: -1})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, n := range numbers {
		if err := fresh.View(ctx, n, func(*domain.Agreement) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	events := fresh.CachedEvents()
	if want := int64(agreements * 67); events != want {
		t.Fatalf("the states hold %d events, want %d (67 an agreement)", events, want)
	}
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	per := float64(grew) / float64(events)
	t.Logf("%d agreements' states, %d events: %d bytes live, %.0f an event", agreements, events, grew, per)
	if per > stateBytesPerEvent {
		t.Fatalf("a cached state holds %.0f bytes an event; docs/PERFORMANCE.md states at most %d", per, stateBytesPerEvent)
	}
	runtime.KeepAlive(fresh)

	// A dropped state is kept encoded (app/command/spill.go): at most
	// encodedBytesPerEvent bytes an event, as docs/SERVER.md states for
	// --cache-encoded-mb. A cache of one event drops every state after
	// its use; the encodings' bytes are counted by the service.
	const encodedBytesPerEvent = 100
	dropping := command.New(store, command.Options{MaxCachedEvents: 1, MaxSpilledBytes: 1 << 30})
	for _, n := range numbers {
		if err := dropping.View(ctx, n, func(*domain.Agreement) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	st := dropping.CacheStats()
	encodedEvents := int64(agreements*67) - st.Events
	if st.Dropped < agreements-1 || encodedEvents < int64(agreements-1)*67 {
		t.Fatalf("a cache of one event dropped %d of %d states (%d events still held)", st.Dropped, agreements, st.Events)
	}
	perEncoded := float64(st.Encoded) / float64(encodedEvents)
	t.Logf("%d states dropped and kept encoded: %d bytes, %.0f an event", st.Dropped, st.Encoded, perEncoded)
	if perEncoded > encodedBytesPerEvent {
		t.Fatalf("a state kept encoded takes %.0f bytes an event; docs/SERVER.md states at most %d", perEncoded, encodedBytesPerEvent)
	}
	runtime.KeepAlive(store)
}
