package main

import (
	"context"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/projections"
)

func cmdIndicators(ctx context.Context, a *app, args []string) error {
	fs := a.flags("indicators", "", `
Lists performance indicators per agreement and implementation year: target,
delivered (a sum, a count of distinct identifiers, or the latest value),
achievement %, due date, whether the target is overdue and unmet, and every
delivery with its evidence reference.`)
	scope := scopeFlags(fs)
	year := fs.Int("year", 0, "only this implementation year")
	overdue := fs.Bool("overdue", false, "only targets past their due date and unmet")
	var rf reportFlags
	rf.add(fs, "text, json, csv, xlsx")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	lang, asOf, today, err := rf.settings(a, allFormats...)
	if err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	var r projections.IndicatorsReport
	rm.View(func(l *projections.Ledger) error { r = l.Indicators(*scope, *year, today); return nil })
	if *overdue {
		kept := r.Rows[:0]
		for _, row := range r.Rows {
			if row.Overdue {
				kept = append(kept, row)
			}
		}
		r.Rows = kept
	}
	return a.emit(&rf, r, rpt.IndicatorsDocument(r, lang))
}
