package main

// Benchmarks behind the figures of docs/PERFORMANCE.md, section "Command
// line: apply and single commands". Each compares grantledger with a
// baseline measured in the same run, because these machines are shared and
// noisy: the ratio is what is reported.
//
//	go test -run '^$' -bench 'ApplyVsBareInsert|CommandVsFsync' -benchtime 3x ./cmd/grantledger

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// writeBenchJSONL writes the set-up commands (agreements and plans) and the
// spending commands of the apply benchmark as two JSONL files.
func writeBenchJSONL(tb testing.TB, dir string, agreements, spendings int) (setup, spend string) {
	tb.Helper()
	setup, spend = filepath.Join(dir, "setup.jsonl"), filepath.Join(dir, "spend.jsonl")
	write := func(path string, envs func(emit func(domain.Envelope))) {
		f, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		envs(func(e domain.Envelope) {
			if err := enc.Encode(e); err != nil {
				tb.Fatal(err)
			}
		})
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		f.Close()
	}
	number := func(i int) string { return fmt.Sprintf("BENCH/%04d", i) }
	d := domain.MustDate
	write(setup, func(emit func(domain.Envelope)) {
		for i := 0; i < agreements; i++ {
			r := domain.Ref{Agreement: number(i)}
			emit(domain.NewEnvelope(uuid.New(), "bench", "", domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "Benchmark agreement",
				Grantee: fmt.Sprintf("NGO %d", i%97), Funder: "Ministry", Period: domain.Period{From: d("2024-01-01"), To: d("2026-12-31")},
				Years: []domain.YearSpec{{Year: 1, From: d("2024-01-01"), To: d("2024-12-31")}, {Year: 2, From: d("2025-01-01"), To: d("2025-12-31")}, {Year: 3, From: d("2026-01-01"), To: d("2026-12-31")}},
				Lines: []domain.LineSpec{{Line: "staff"}, {Line: "events"}}}))
			for y := 1; y <= 3; y++ {
				emit(domain.NewEnvelope(uuid.New(), "bench", "", domain.PlanBudget{Ref: r, Line: "staff", Year: y, Amount: 3_000_000}))
				emit(domain.NewEnvelope(uuid.New(), "bench", "", domain.PlanBudget{Ref: r, Line: "events", Year: y, Amount: 2_000_000}))
			}
		}
	})
	write(spend, func(emit func(domain.Envelope)) {
		lines := []string{"staff", "events"}
		for i := 0; i < spendings; i++ {
			y := 1 + i%3
			emit(domain.NewEnvelope(uuid.New(), "bench", "", domain.RecordSpending{Ref: domain.Ref{Agreement: number(i % agreements)},
				Line: lines[i%2], Year: y, Amount: domain.Money(1000 + i%5000), Date: d(fmt.Sprintf("%d-%02d-15", 2023+y, 1+i%12)),
				Document: fmt.Sprintf("INV-%06d", i), Description: "Benchmark spending"}))
		}
	})
	return setup, spend
}

// bareInsert inserts rows into a fresh file of the same kind (SQLite, WAL,
// synchronous=FULL, the events table with its unique keys), 1 000 rows per
// transaction, and returns rows per second.
func bareInsert(tb testing.TB, path string, rows []domain.RecordedEvent) float64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", `CREATE TABLE events (
		pos INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, event_id BLOB NOT NULL,
		type TEXT NOT NULL, data BLOB NOT NULL, metadata BLOB NOT NULL, created INTEGER NOT NULL,
		UNIQUE (stream, revision))`} { // the store's schema (version 2)
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	start := time.Now()
	for i := 0; i < len(rows); i += 1000 {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st, err := tx.Prepare("INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rows[i:min(i+1000, len(rows))] {
			if _, err := st.Exec(r.Stream, r.Revision, r.ID[:], r.Type, r.Data, r.Metadata, r.Created.UnixNano()); err != nil {
				tb.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return float64(len(rows)) / time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkApplyVsBareInsert applies 100 000 spending commands over 1 000
// agreements through 'grantledger apply' and compares its rows/s with a bare
// loop inserting the very event rows apply wrote.
func BenchmarkApplyVsBareInsert(b *testing.B) {
	agreements, spendings := 1000, 100_000
	if testing.Short() {
		agreements, spendings = 100, 5000
	}
	dir := b.TempDir()
	setup, spend := writeBenchJSONL(b, dir, agreements, spendings)
	var applyRates, bareRates []float64
	for i := 0; b.Loop(); i++ {
		db := filepath.Join(dir, fmt.Sprintf("apply-%d.db", i))
		if _, errs, code := runCLI(b, "", "apply", "--db", db, setup); code != 0 {
			b.Fatalf("setup: %s", errs)
		}
		start := time.Now()
		if _, errs, code := runCLI(b, "", "apply", "--db", db, spend); code != 0 {
			b.Fatalf("apply: %s", errs)
		}
		applyRates = append(applyRates, float64(spendings)/time.Since(start).Seconds())

		// The rows apply wrote for the spendings, inserted bare into a new file.
		s, err := sqlite.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		all, err := s.ReadAll(context.Background(), domain.Position{}, 0)
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
		rows := all[len(all)-spendings:]
		bareRates = append(bareRates, bareInsert(b, filepath.Join(dir, fmt.Sprintf("bare-%d.db", i)), rows))
	}
	a, bare := median(applyRates), median(bareRates)
	b.ReportMetric(a, "apply-rows/s")
	b.ReportMetric(bare, "bare-rows/s")
	b.ReportMetric(a/bare, "ratio")
	b.Logf("apply %d spendings over %d agreements: median %.0f rows/s; bare insert of the same rows: median %.0f rows/s; ratio %.2f (runs %d)", spendings, agreements, a, bare, a/bare, len(applyRates))
}

// BenchmarkCommandVsFsync compares the latency of one durable command
// (command.Service.Handle on the embedded store) with the latency of writing
// and fsyncing a small file on the same disk.
func BenchmarkCommandVsFsync(b *testing.B) {
	const n = 200
	dir := b.TempDir()
	var cmdLat, syncLat []float64
	for i := 0; b.Loop(); i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("fsync-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 300)
		s, err := sqlite.Open(filepath.Join(dir, fmt.Sprintf("cmd-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		svc := command.New(s, command.Options{})
		ctx := context.Background()
		d := domain.MustDate
		r := domain.Ref{Agreement: "LAT-1"}
		if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "bench", "", domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: domain.Period{From: d("2024-01-01"), To: d("2024-12-31")},
			Years: []domain.YearSpec{{Year: 1, From: d("2024-01-01"), To: d("2024-12-31")}}, Lines: []domain.LineSpec{{Line: "l"}}})); err != nil {
			b.Fatal(err)
		}
		// Samples alternate, one fsync then one command, so that whatever
		// else the machine does falls on both alike.
		for k := 0; k < n; k++ {
			start := time.Now()
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			syncLat = append(syncLat, float64(time.Since(start).Microseconds()))

			env := domain.NewEnvelope(uuid.New(), "bench", "", domain.RecordSpending{Ref: r, Line: "l", Year: 1, Amount: 100, Date: d("2024-03-01"), Document: "D"})
			start = time.Now()
			if _, err := commandtest.Handle(ctx, svc, env); err != nil {
				b.Fatal(err)
			}
			cmdLat = append(cmdLat, float64(time.Since(start).Microseconds()))
		}
		f.Close()
		s.Close()
	}
	c, fs := median(cmdLat), median(syncLat)
	b.ReportMetric(c, "command-µs")
	b.ReportMetric(fs, "fsync-µs")
	b.ReportMetric(c/fs, "ratio")
	b.Logf("one durable command: median %.0f µs; write+fsync of 300 bytes: median %.0f µs; ratio %.2f (%d samples each)", c, fs, c/fs, len(cmdLat))
}

// BenchmarkReportVerifyOverhead is what the read-path check of the Merkle
// log adds to a report run as a new process would run it. The ledger holds
// 100 000 spendings over 1 000 agreements (the apply benchmark's
// commands) and a saved read model. Each sample first applies ten new
// spendings (as between two reports of a working day), then opens the
// ledger afresh in a new app and times the check alone, as the report
// runs it once the projector has restored its snapshot (app.checkReads
// from the snapshot's tree header: the tree's root at that size, every
// event after it against its stored leaf, the root now), then runs the
// whole report (runCLI: new app, new store, snapshot, catch-up, check,
// report) for scale.
//
//	go test -run '^$' -bench ReportVerifyOverhead -benchtime 1x ./cmd/grantledger
func BenchmarkReportVerifyOverhead(b *testing.B) {
	agreements, spendings := 1000, 100_000
	if testing.Short() {
		agreements, spendings = 100, 5000
	}
	dir := b.TempDir()
	setup, spend := writeBenchJSONL(b, dir, agreements, spendings)
	db := filepath.Join(dir, "report.db")
	for _, f := range []string{setup, spend} {
		if _, errs, code := runCLI(b, "", "apply", "--db", db, f); code != 0 {
			b.Fatalf("apply: %s", errs)
		}
	}
	report := []string{"report", "--db", db, "--agreement", "BENCH/0007", "--year", "1", "--format", "json"}
	if _, errs, code := runCLI(b, "", report...); code != 0 { // saves the read model
		b.Fatal(errs)
	}
	ctx := context.Background()
	var check, whole []float64
	for i := 0; b.Loop(); i++ {
		for k := 0; k < 20; k++ {
			extra := filepath.Join(dir, fmt.Sprintf("extra-%d-%d", i, k))
			os.MkdirAll(extra, 0o755)
			_, s := writeBenchJSONL(b, extra, agreements, 10)
			if _, errs, code := runCLI(b, "", "apply", "--db", db, s); code != 0 {
				b.Fatal(errs)
			}
			a := &app{stdout: io.Discard, stderr: io.Discard, now: time.Now, getenv: os.Getenv, storeSpec: "sqlite:" + db}
			store, err := a.open(ctx)
			if err != nil {
				b.Fatal(err)
			}
			// What the report passes: the header of the snapshot the
			// projector restored (read with the read model, not timed).
			size, root, ok, err := readmodel.SnapshotTree(ctx, store, "")
			if err != nil || !ok {
				b.Fatalf("no snapshot header: %v", err)
			}
			start := time.Now()
			if _, err := a.checkReads(ctx, store, &merkle.Verified{Size: size, Root: root}); err != nil {
				b.Fatal(err)
			}
			check = append(check, float64(time.Since(start).Microseconds()))
			if a.checkedFrom == 0 {
				b.Fatal("the check started from 0, not from the snapshot")
			}
			a.close()
			start = time.Now()
			if _, errs, code := runCLI(b, "", report...); code != 0 {
				b.Fatal(errs)
			}
			whole = append(whole, float64(time.Since(start).Microseconds()))
		}
	}
	c, w := median(check), median(whole)
	b.ReportMetric(c, "check-µs")
	b.ReportMetric(w, "report-µs")
	b.Logf("on %d spendings, 10 new events since the saved read model: the log check takes median %.2f ms; the whole report in a new app %.1f ms (%d samples)", spendings, c/1000, w/1000, len(check))
}
