package main

import (
	"context"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
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
	byResp := fs.Bool("by-responsible", false, "group the rows by the organisation responsible for each task (the grantee when none is named)")
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
	grantees := map[string]string{}
	rm.View(func(l *projections.Ledger) error {
		r = l.Indicators(*scope, *year, today)
		for _, row := range r.Rows {
			grantees[row.Agreement] = l.Grantee(row.Agreement)
		}
		return nil
	})
	if *overdue {
		kept := r.Rows[:0]
		for _, row := range r.Rows {
			if row.Overdue {
				kept = append(kept, row)
			}
		}
		r.Rows = kept
	}
	if *byResp {
		groups := projections.ByResponsible(r.Rows, func(n string) string { return grantees[n] })
		if groups == nil {
			groups = []projections.ResponsibleGroup{}
		}
		out := struct {
			Scope  projections.Scope              `json:"scope"`
			Year   int                            `json:"year,omitempty"`
			Today  domain.Date                    `json:"today"`
			Groups []projections.ResponsibleGroup `json:"groups"`
		}{r.Scope, r.Year, r.Today, groups}
		return a.emit(&rf, out, document.IndicatorsByResponsibleDocument(r, groups, lang))
	}
	return a.emit(&rf, r, document.IndicatorsDocument(r, lang))
}
