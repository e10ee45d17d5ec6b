package readmodel_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/hledger"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// The benchmarks share one embedded ledger of GL_BENCH_SPENDINGS spending
// events (default 100 000) over 1 000 agreements, built once per run in a
// temporary directory.
var (
	benchOnce sync.Once
	benchDir  string
	benchDB   string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchSpendings() int {
	if n, err := strconv.Atoi(os.Getenv("GL_BENCH_SPENDINGS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func benchLedger(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "glbench-*")
		if benchErr != nil {
			return
		}
		benchDB = filepath.Join(benchDir, "bench.db")
		benchErr = buildBenchLedger(benchDB, 1000, benchSpendings())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDB
}

func buildBenchLedger(path string, agreements, spendings int) error {
	ctx := context.Background()
	store, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	d := domain.MustDate
	var envs []domain.Envelope
	flush := func() error {
		for _, r := range commandtest.HandleBatch(ctx, svc, envs) {
			if r.Err != nil {
				return r.Err
			}
		}
		envs = envs[:0]
		return nil
	}
	add := func(c domain.Command) error {
		envs = append(envs, domain.NewEnvelope(uuid.New(), "bench", "", c))
		if len(envs) == 1000 {
			return flush()
		}
		return nil
	}
	years := []domain.YearSpec{{Year: 1, From: d("2022-01-01"), To: d("2022-12-31")}, {Year: 2, From: d("2023-01-01"), To: d("2023-12-31")}, {Year: 3, From: d("2024-01-01"), To: d("2024-12-31")}}
	for i := 0; i < agreements; i++ {
		r := domain.Ref{Agreement: fmt.Sprintf("BENCH/%04d", i)}
		add(domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "Benchmark project", Grantee: fmt.Sprintf("NGO %d", i%50),
			Funder: fmt.Sprintf("Funder %d", i%5), Period: domain.Period{From: d("2022-01-01"), To: d("2024-12-31")}, Years: years,
			Lines: []domain.LineSpec{{Line: "staff", Name: "Staff"}, {Line: "events", Name: "Events"}}})
		for y := 1; y <= 3; y++ {
			add(domain.PlanBudget{Ref: r, Line: "staff", Year: y, Amount: domain.MustMoney("30000.00")})
			add(domain.PlanBudget{Ref: r, Line: "events", Year: y, Amount: domain.MustMoney("19000.00")})
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for i := 0; i < spendings; i++ {
		y := years[i%3]
		if err := add(domain.RecordSpending{Ref: domain.Ref{Agreement: fmt.Sprintf("BENCH/%04d", i%agreements)}, Line: []string{"staff", "events"}[i%2],
			Year: y.Year, Amount: domain.Money(1000 + i%50000), Date: y.From.AddDays(i % 365), Document: fmt.Sprintf("INV-%07d", i), Description: "benchmark spending"}); err != nil {
			return err
		}
	}
	return flush()
}

// BenchmarkRebuild measures, in the same iteration on the same file, a bare
// loop that only reads every row (store.ReadAll, no decoding) and a full
// rebuild of the read model (read, decode, fold), and reports both rates and
// their ratio. The json-decoder variant decodes every event with
// encoding/json instead of the flat scanner.
func BenchmarkRebuild(b *testing.B) {
	path := benchLedger(b)
	for _, variant := range []string{"fast-decoder", "json-decoder"} {
		b.Run(variant, func(b *testing.B) {
			ctx := context.Background()
			store, err := sqlite.Open(path, sqlite.ReadOnly())
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			dec := codec.NewDecoder(nil)
			dec.Slow = variant == "json-decoder"
			var readNs, buildNs, readCPU, buildCPU time.Duration
			var events int
			for i := 0; i < b.N; i++ {
				// A-B-A: the bare read loop runs before and after the
				// rebuild, and its average is the baseline, so a change of
				// machine load during the iteration biases neither side.
				n := 0
				for pass := 0; pass < 2; pass++ {
					if pass == 1 {
						runtime.GC() // neither phase pays for the other's garbage
						t1, c1 := time.Now(), cpuTime()
						r := readmodel.New(store, readmodel.Options{NoSnapshots: true, Decoder: dec})
						got, err := r.CatchUp(ctx)
						if err != nil {
							b.Fatal(err)
						}
						buildNs += time.Since(t1)
						buildCPU += cpuTime() - c1
						if got != n {
							b.Fatalf("rebuild read %d events, bare loop %d", got, n)
						}
					}
					runtime.GC()
					t0, c0 := time.Now(), cpuTime()
					var from domain.Position
					n = 0
					for {
						evs, err := store.ReadAll(ctx, from, 4096)
						if err != nil {
							b.Fatal(err)
						}
						if len(evs) == 0 {
							break
						}
						n += len(evs)
						from = evs[len(evs)-1].Position
					}
					readNs += time.Since(t0) / 2
					readCPU += (cpuTime() - c0) / 2
				}
				events = n
			}
			readRate := float64(events) * float64(b.N) / readNs.Seconds()
			buildRate := float64(events) * float64(b.N) / buildNs.Seconds()
			b.ReportMetric(readRate, "read-ev/s")
			b.ReportMetric(buildRate, "rebuild-ev/s")
			b.ReportMetric(buildRate/readRate, "ratio")
			b.ReportMetric(float64(events), "events")
			// CPU time (user + system, all threads, GC included) per event:
			// steadier than wall time on a shared machine.
			b.ReportMetric(readCPU.Seconds()/buildCPU.Seconds(), "cpu-ratio")
		})
	}
}

// BenchmarkNewProcessReconcile answers the reconciliation of implementation
// year 1 over the whole ledger as a new process would: open the store,
// bring the read model up to date (from its snapshot, or rebuilt from the
// events), build the report and render it as text.
func BenchmarkNewProcessReconcile(b *testing.B) {
	path := benchLedger(b)
	ctx := context.Background()
	{ // make sure a current snapshot exists
		s, err := sqlite.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := readmodel.Open(ctx, s, readmodel.Options{}); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	for _, variant := range []string{"from-snapshot", "rebuild"} {
		b.Run(variant, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				newProcessReconcile(b, path, variant == "rebuild", io.Discard)
			}
		})
	}
}

// newProcessReconcile does what a new process answering the reconciliation
// of implementation year 1 does: open the store, bring the read model up to
// date (from its snapshot, or rebuilt from every event), build the report
// and render it as text to w.
func newProcessReconcile(b *testing.B, path string, rebuild bool, w io.Writer) {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r, err := readmodel.Open(ctx, s, readmodel.Options{NoSnapshots: rebuild})
	if err != nil {
		b.Fatal(err)
	}
	if r.Restored() == rebuild {
		b.Fatalf("restored = %v, want %v", r.Restored(), !rebuild)
	}
	err = r.View(func(l *projections.Ledger) error {
		rec, err := l.Reconcile(projections.Scope{}, projections.Window{Year: 1})
		if err != nil {
			return err
		}
		return report.WriteText(w, document.ReconDocument(rec, document.EN))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVersusHledger answers the same question side by side, in the
// same run, on the same ledger: the budget report of implementation year 1
// (2022-01-01..2022-12-31) over all 1 000 agreements, by
//
//	hledger -f FILE bal --budget -b 2022-01-01 -e 2023-01-01 expenses
//
// on the journal adapters/hledger exports, and by a new process of ours
// (read model from its snapshot, and rebuilt from the events), done in this
// process as BenchmarkNewProcessReconcile does it; and by a real new
// process, `grantledger reconcile --db FILE --year 1` (the command line,
// built once per run with the go command; read model from its snapshot),
// which also pays for starting, for faulting in fresh memory and for a
// garbage collector that starts from an empty heap. Each iteration runs
// all four once, in turn; the medians and the ratios hledger/ours are
// reported. It skips when hledger is not on PATH. Run it with -benchtime
// 3x.
func BenchmarkVersusHledger(b *testing.B) {
	bin, err := exec.LookPath("hledger")
	if err != nil {
		b.Skip("hledger is not on PATH (apt-get install -y hledger): nothing to compare with")
	}
	path := benchLedger(b)
	ctx := context.Background()
	journal := filepath.Join(b.TempDir(), "bench.journal")
	{ // export the journal, and make sure a current snapshot exists
		s, err := sqlite.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(journal)
		if err != nil {
			b.Fatal(err)
		}
		if err := hledger.Export(ctx, s, f, hledger.Options{}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := readmodel.Open(ctx, s, readmodel.Options{}); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	cli := filepath.Join(b.TempDir(), "grantledger")
	if out, err := exec.Command("go", "build", "-o", cli, "github.com/grantledger/grantledger/cmd/grantledger").CombinedOutput(); err != nil {
		b.Fatalf("build the command line: %v\n%s", err, out)
	}
	var hl, snap, proc, rebuild []time.Duration
	var ours bytes.Buffer
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		out, err := exec.Command(bin, "-f", journal, "bal", "--budget", "-b", "2022-01-01", "-e", "2023-01-01", "expenses").Output()
		hl = append(hl, time.Since(t0))
		if err != nil {
			b.Fatalf("hledger: %v", err)
		}
		// One row per agreement and line (2 000) plus header and total.
		if n := bytes.Count(out, []byte("\n")); n < 2000 {
			b.Fatalf("hledger printed %d lines, want at least 2 000:\n%.500s", n, out)
		}
		t0 = time.Now()
		newProcessReconcile(b, path, false, io.Discard)
		snap = append(snap, time.Since(t0))
		t0 = time.Now()
		out, err = exec.Command(cli, "reconcile", "--db", path, "--year", "1").Output()
		proc = append(proc, time.Since(t0))
		if err != nil || !bytes.Contains(out, []byte("BENCH/0999")) {
			b.Fatalf("grantledger reconcile: %v\n%.500s", err, out)
		}
		ours.Reset()
		t0 = time.Now()
		newProcessReconcile(b, path, true, &ours)
		rebuild = append(rebuild, time.Since(t0))
		if !bytes.Contains(ours.Bytes(), []byte("BENCH/0999")) {
			b.Fatalf("our reconciliation does not name the last agreement:\n%.500s", ours.Bytes())
		}
	}
	h, s, p, r := median(hl), median(snap), median(proc), median(rebuild)
	b.ReportMetric(h.Seconds(), "hledger-s")
	b.ReportMetric(s.Seconds(), "snapshot-s")
	b.ReportMetric(p.Seconds(), "process-s")
	b.ReportMetric(r.Seconds(), "rebuild-s")
	b.ReportMetric(h.Seconds()/s.Seconds(), "x-snapshot")
	b.ReportMetric(h.Seconds()/p.Seconds(), "x-process")
	b.ReportMetric(h.Seconds()/r.Seconds(), "x-rebuild")
}

// median returns the middle duration (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// syntheticLedger folds agreements agreements x 3 years x 2 lines with
// spendings spending events each, straight into a Ledger (no store).
func syntheticLedger(agreements, spendings int) (*projections.Ledger, int) {
	l := projections.NewLedger(time.Time{})
	d := domain.MustDate
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pos := uint64(0)
	events := 0
	years := []domain.YearSpec{{Year: 1, From: d("2022-01-01"), To: d("2022-12-31")}, {Year: 2, From: d("2023-01-01"), To: d("2023-12-31")}, {Year: 3, From: d("2024-01-01"), To: d("2024-12-31")}}
	for i := 0; i < agreements; i++ {
		stream := fmt.Sprintf("s-%d", i)
		apply := func(e domain.Event) {
			pos++
			events++
			l.Apply(projections.Event{Position: domain.Position{Commit: pos, Prepare: pos}, Stream: stream, ID: uuid.New(), Type: e.EventType(),
				Meta: projections.Meta{Actor: "bench", RecordedAt: at, Hash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, Data: e})
		}
		apply(domain.AgreementRegistered{Number: fmt.Sprintf("SYN/%05d", i), Kind: domain.KindGrant, Title: "Synthetic", Grantee: "NGO", Funder: fmt.Sprintf("F%d", i%5),
			Period: domain.Period{From: d("2022-01-01"), To: d("2024-12-31")}, Years: years, Lines: []domain.LineSpec{{Line: "staff"}, {Line: "events"}}})
		for y := 1; y <= 3; y++ {
			apply(domain.BudgetPlanned{Line: "staff", Year: y, Amount: 3000000})
			apply(domain.BudgetPlanned{Line: "events", Year: y, Amount: 1900000})
		}
		for k := 0; k < spendings; k++ {
			y := years[k%3]
			apply(domain.SpendingRecorded{Line: []string{"staff", "events"}[k%2], Year: y.Year, Amount: domain.Money(1000 + k), Date: y.From.AddDays(k * 7 % 365), Document: "INV-1"})
		}
	}
	return l, events
}

// BenchmarkReconcile10k runs reports over 10 000 agreements x 3 years from
// the live read model, and reports the bytes the read model holds per
// agreement and per event.
func BenchmarkReconcile10k(b *testing.B) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	l, events := syntheticLedger(10_000, 10)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	held := float64(m1.HeapAlloc - m0.HeapAlloc)
	for _, c := range []struct {
		name string
		w    projections.Window
	}{{"implementation-year", projections.Window{Year: 2}}, {"calendar-year", projections.CalendarYear(2023)}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r, err := l.Reconcile(projections.Scope{}, c.w)
				if err != nil || len(r.Rows) != 20_000 {
					b.Fatalf("rows %d err %v", len(r.Rows), err)
				}
			}
			b.ReportMetric(held/10_000, "B/agreement")
			b.ReportMetric(held/float64(events), "B/event")
		})
	}
	b.Run("multi-year", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if m := l.MultiYear(projections.Scope{}); len(m.Rows) != 20_000 {
				b.Fatal(len(m.Rows))
			}
		}
	})
	runtime.KeepAlive(l)
}

// BenchmarkYearReport builds one agreement's yearly report from the live
// read model (seed 004, year 2, with its findings).
func BenchmarkYearReport(b *testing.B) {
	ctx := context.Background()
	store := newMem()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	if err := projtest.RecordSeed004(ctx, command.New(store, command.Options{Clock: clock.Now}), clock); err != nil {
		b.Fatal(err)
	}
	l, _ := projtest.Fold(ctx, store, time.Time{})
	today := domain.MustDate("2025-11-23")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := l.YearReport(projtest.Seed004, 2, today)
		if err != nil || len(r.Findings) != 2 {
			b.Fatal(err)
		}
	}
}

func newMem() *memstore.Store { return memstore.New() }

// cpuTime returns the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
