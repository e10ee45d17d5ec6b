package main

import (
	"context"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func cmdReconcile(ctx context.Context, a *app, args []string) error {
	fs := a.flags("reconcile", "", `
Compares planned and actual funding per budget line across agreements: for a
funder, a programme, a grantee, one agreement, or everything; over one
implementation year (--year), a calendar year (--calendar-year) or any date
range (--from/--to). Per line: planned (original and revised), carried in,
actual, variance (available minus actual), utilisation %, carried over,
returned and remainder, with totals. For a date range, actual is the
spending dated inside it, and planned, carried in, carried over and returned
are those of the implementation years that overlap it (docs/REPORTS.md).
--multi-year puts every implementation year of each line side by side.`)
	scope := scopeFlags(fs)
	year := fs.Int("year", 0, "implementation year")
	cal := fs.Int("calendar-year", 0, "calendar year, e.g. 2023")
	from := fs.String("from", "", "start of a date range (YYYY-MM-DD)")
	to := fs.String("to", "", "end of a date range, included (YYYY-MM-DD)")
	multi := fs.Bool("multi-year", false, "years side by side as columns")
	var rf reportFlags
	rf.add(fs, "text, json, csv, xlsx")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	lang, asOf, _, err := rf.settings(a, allFormats...)
	if err != nil {
		return err
	}
	var w projections.Window
	n := 0
	if *year > 0 {
		w.Year = *year
		n++
	}
	if *cal > 0 {
		if *cal < 1900 || *cal > 2200 {
			return usagef("--calendar-year %d: expected a year between 1900 and 2200", *cal)
		}
		w = projections.CalendarYear(*cal)
		n++
	}
	if *from != "" || *to != "" {
		if w.From, err = domain.ParseDate(*from); err != nil {
			return usagef("--from: %v", err)
		}
		if w.To, err = domain.ParseDate(*to); err != nil {
			return usagef("--to: %v", err)
		}
		n++
	}
	if *multi {
		n++
	}
	if n != 1 {
		fs.Usage()
		return usagef("reconcile needs exactly one of --year N, --calendar-year YYYY, --from DATE --to DATE, or --multi-year")
	}
	if err := w.Check(); !*multi && err != nil {
		return usagef("%v", err)
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	reads := reportsOf(rm, domain.DateOf(a.now()))
	q := readmodel.Query{Scope: *scope, Year: w.Year, From: w.From, To: w.To}
	if *multi {
		m, err := reads.MultiYear(ctx, q)
		if err != nil {
			return err
		}
		return a.emit(&rf, m.Report, document.MultiYearDocument(m.Report, lang))
	}
	r, err := reads.Reconciliation(ctx, q)
	if err != nil {
		return err
	}
	return a.emit(&rf, r.Report, document.ReconDocument(r.Report, lang))
}
