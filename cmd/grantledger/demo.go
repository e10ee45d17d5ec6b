package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/domain"
)

func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo", "", `
Loads the seed scenarios of shared/seeds into a fresh ledger and prints their
yearly reports: seed 004 as agreement KNVOC-2022-2025 (three implementation
years, two budget lines, spending, carry-over, return, indicators), seed 001
and seed 003 as grant projects. Without --db/--store a new ledger file is
made in a temporary folder and kept, so you can explore it afterwards with
the commands the demo prints. Re-running on the same ledger appends nothing:
the seed commands carry fixed command ids.`)
	lang := fs.String("lang", "en", "report language: en or lv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *lang != "en" && *lang != "lv" {
		return usagef("--lang must be en or lv, not %q", *lang)
	}
	if a.storeSpec == "" {
		dir, err := os.MkdirTemp("", "grantledger-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		a.storeSpec = "sqlite:" + filepath.Join(dir, "grantledger.db")
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	w := a.stdout
	fmt.Fprintf(w, "grantledger demo — ledger: %s\n\n", a.spec())

	envs := seeds.All()
	applied, dup, events := 0, 0, 0
	for i, r := range svc.HandleBatch(ctx, envs) {
		if r.Err != nil {
			return fmt.Errorf("demo: seed command %d (%s): %w", i+1, envs[i].Type, r.Err)
		}
		if r.Result.Duplicate {
			dup++
		} else {
			applied++
			events += len(r.Result.Events)
		}
	}
	fmt.Fprintf(w, "Recorded %d seed commands as %d events (%d were already in this ledger).\n", applied, events, dup)
	fmt.Fprintln(w, "Seed 004's year 3 is given only as a total (48 871,72 spent, 128,28 returned):")
	fmt.Fprintln(w, "its split between the two budget lines below is illustrative; the totals are exact.")
	fmt.Fprintln(w, "Seeds 001 and 003 give a total and a period but no spending, so none is recorded.")
	fmt.Fprintln(w)

	// The gap the summary of seed 004 leaves open must be shown, not hidden.
	fmt.Fprintln(w, "Trying to close year 2 of KNVOC-2022-2025 (15.07.2023.–14.07.2024.):")
	if _, err := svc.Handle(ctx, seeds.CloseYear2()); err != nil {
		fmt.Fprintf(w, "  REFUSED: %v\n", err)
		fmt.Fprintln(w, "  Year 2 received 1 213,47 carried in from year 1, spent exactly its planned 49 000,00,")
		fmt.Fprintln(w, "  and the summary says nothing of the 1 213,47: it is neither spent, carried over nor")
		fmt.Fprintln(w, "  returned, so the year stays open and every report lists it as a finding.")
	} else {
		fmt.Fprintln(w, "  closed (unexpected: the seed figures leave 1 213,47 unexplained)")
	}
	fmt.Fprintln(w)

	for _, number := range []string{seeds.Seed004, seeds.Seed001, seeds.Seed003} {
		if err := printDemoReports(ctx, a, svc, number, *lang); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "Explore this ledger:\n  go run ./cmd/grantledger report --store %s --agreement %s --year 2\n", a.spec(), seeds.Seed004)
	fmt.Fprintf(w, "  go run ./cmd/grantledger history --store %s --agreement %s\n", a.spec(), seeds.Seed004)
	fmt.Fprintf(w, "  go run ./cmd/grantledger verify --store %s\n", a.spec())
	return nil
}

// printDemoReports prints every implementation year's report of an agreement.
func printDemoReports(ctx context.Context, a *app, svc *ledger.Service, number, lang string) error {
	return svc.View(ctx, number, func(ag *domain.Agreement) error {
		for _, y := range ag.Years {
			if err := printYearReport(a, ag, y.Year, lang); err != nil {
				return err
			}
		}
		return nil
	})
}

// printYearReport prints one year's figures per budget line.
func printYearReport(a *app, ag *domain.Agreement, year int, lang string) error {
	w := a.stdout
	y := ag.Year(year)
	money := func(m domain.Money) string { return m.String() }
	period := y.Period().String()
	if lang == "lv" {
		money = func(m domain.Money) string { return m.Latvian() }
		period = y.Period().Latvian()
	}
	fmt.Fprintf(w, "%s — year %d (%s)%s\n", ag.Number, year, period, map[bool]string{true: ", closed", false: ", open"}[y.Closed])
	fmt.Fprintf(w, "  %-10s %12s %12s %12s %12s %12s %12s\n", "line", "planned", "carried in", "actual", "carried over", "returned", "remainder")
	for _, l := range ag.Lines {
		c := ag.Cell(l.Line, year)
		fmt.Fprintf(w, "  %-10s %12s %12s %12s %12s %12s %12s\n", l.Line, money(c.Planned), money(c.CarriedIn), money(c.Actual), money(c.CarriedOver), money(c.Returned), money(c.Remainder()))
	}
	t := ag.YearTotal(year)
	fmt.Fprintf(w, "  %-10s %12s %12s %12s %12s %12s %12s\n\n", "total", money(t.Planned), money(t.CarriedIn), money(t.Actual), money(t.CarriedOver), money(t.Returned), money(t.Remainder()))
	return nil
}
