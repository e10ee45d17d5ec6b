package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo", "", `
Loads the seed scenarios of shared/seeds into a fresh ledger and prints their
yearly reports: seed 004 as agreement KNVOC-2022-2025 (three implementation
years, two budget lines, spending, carry-over, return, indicators), seed 001
and seed 003 as grant projects. Without --db/--store a new ledger file is
made in a temporary folder and removed when the demo ends; give --db PATH to
keep the ledger and explore it afterwards with the commands the demo prints.
Every figure is written in the one format of --lang (default
$GRANTLEDGER_LANG, else en). Re-running on the same ledger appends nothing:
the seed commands carry fixed command ids.`)
	lang := fs.String("lang", defaultLang(), langHelp)
	if err := parse(fs, args); err != nil {
		return err
	}
	lg, err := parseLang(*lang)
	if err != nil {
		return err
	}
	temporary := a.storeSpec == ""
	if temporary {
		dir, err := os.MkdirTemp("", "grantledger-demo-")
		if err != nil {
			return errorf("demo: %w", err)
		}
		// The temporary ledger goes when the demo ends, however it ends:
		// the store is closed first, then its folder removed.
		defer func() {
			a.close()
			os.RemoveAll(dir)
		}()
		// A reader that stops early (demo | head) must not leave the
		// temporary ledger behind: with SIGPIPE caught, a write to the
		// closed pipe fails (EPIPE) instead of killing the process, the
		// demo stops at its next check and the removal above runs.
		pipe := make(chan os.Signal, 1)
		signal.Notify(pipe, syscall.SIGPIPE)
		defer signal.Stop(pipe)
		a.storeSpec = "sqlite:" + filepath.Join(dir, "grantledger.db")
	}
	amt := func(s string) string { return document.FormatAmount(domain.MustMoney(s), lg) }
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	w := &stopWriter{w: a.stdout}
	if temporary {
		fmt.Fprint(w, rpt.WrapIndent(tr(lg, "grantledger demo — temporary ledger (removed at the end; --db PATH keeps one): %s", a.spec()), "")+"\n")
	} else {
		fmt.Fprint(w, tr(lg, "grantledger demo — ledger: %s\n\n", a.spec()))
	}

	envs := seeds.All()
	applied, dup, events := 0, 0, 0
	for i, r := range handleEnvelopes(ctx, svc, envs) {
		if r.Err != nil {
			return errorf("demo: seed command %d (%s): %w", i+1, envs[i].Type, r.Err)
		}
		if r.Result.Duplicate {
			dup++
		} else {
			applied++
			events += len(r.Result.Events)
		}
	}
	fmt.Fprint(w, tr(lg, "Recorded %d seed commands as %d events (%d were already in this ledger).\n", applied, events, dup))
	fmt.Fprint(w, tr(lg, "Seed 004's year 3 is given only as a total (%s spent, %s returned):\n", amt("48871.72"), amt("128.28")))
	fmt.Fprintln(w, tr(lg, "its split between the two budget lines below is illustrative; the totals are exact."))
	fmt.Fprintln(w, tr(lg, "Seeds 001 and 003 give a total and a period but no spending, so none is recorded."))
	fmt.Fprintln(w)

	// The gap the summary of seed 004 leaves open must be shown, not hidden.
	y2 := domain.Period{From: domain.MustDate("2023-07-15"), To: domain.MustDate("2024-07-14")}
	fmt.Fprint(w, tr(lg, "Trying to close year 2 of KNVOC-2022-2025 (%s):\n", document.FormatPeriod(y2, lg)))
	if err := handleEnvelopes(ctx, svc, []domain.Envelope{seeds.CloseYear2()})[0].Err; err != nil {
		if lg == document.LV {
			var text string
			if svc.View(ctx, seeds.Seed004, func(a *domain.Agreement) error {
				text = refusalIn(lg, err, a) // budget lines by name
				return nil
			}) != nil {
				text = refusalIn(lg, err, nil)
			}
			fmt.Fprint(w, rpt.WrapIndent(text, tr(lg, "  REFUSED: ")))
		} else {
			fmt.Fprint(w, rpt.WrapIndent(document.LocaliseAmounts(err.Error(), lg), tr(lg, "  REFUSED: ")))
		}
		fmt.Fprint(w, tr(lg, "  Year 2 received %s carried in from year 1, spent exactly its planned %s,\n", amt("1213.47"), amt("49000.00")))
		fmt.Fprint(w, tr(lg, "  and the summary says nothing of the %s: it is neither spent, carried over nor\n", amt("1213.47")))
		fmt.Fprintln(w, tr(lg, "  returned, so the year stays open and every report lists it as a finding."))
	} else {
		fmt.Fprint(w, tr(lg, "  closed (unexpected: the seed figures leave %s unexplained)\n", amt("1213.47")))
	}
	fmt.Fprintln(w)

	rm, err := a.readModel(ctx, time.Time{})
	if err != nil {
		return err
	}
	today := domain.DateOf(a.now())
	err = rm.View(func(l *projections.Ledger) error {
		for _, number := range []string{seeds.Seed004, seeds.Seed001, seeds.Seed003} {
			if w.err != nil {
				return nil // the reader has gone: nothing more to say
			}
			for year := 1; ; year++ {
				r, err := l.YearReport(number, year, today)
				if domain.ErrorCode(err) == domain.ENotFound && year > 1 {
					break
				}
				if err != nil {
					return err
				}
				if err := rpt.WriteText(w, document.YearDocument(r, lg)); err != nil {
					return err
				}
				fmt.Fprintln(w)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	spec := a.spec()
	if temporary {
		spec = "sqlite:demo.db"
		fmt.Fprint(w, tr(lg, "This ledger was temporary and is removed now. To keep one and explore it:\n"))
		fmt.Fprintf(w, "  go run ./cmd/grantledger demo --db demo.db\n")
	} else {
		fmt.Fprint(w, tr(lg, "Explore this ledger:\n"))
	}
	fmt.Fprintf(w, "  go run ./cmd/grantledger report --store %s --agreement %s --year 2\n", spec, seeds.Seed004)
	fmt.Fprintf(w, "  go run ./cmd/grantledger history --store %s --agreement %s\n", spec, seeds.Seed004)
	fmt.Fprintf(w, "  go run ./cmd/grantledger verify --store %s\n", spec)
	return nil
}

// stopWriter remembers the first failed write (a reader that went away)
// and writes nothing after it.
type stopWriter struct {
	w   io.Writer
	err error
}

func (s *stopWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
