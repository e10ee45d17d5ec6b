package main

import (
	"context"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/document"
)

// cmdCash prints the grantee's cash position of one agreement (issue 14):
// the ceiling and intensity, received − eligible spent − refunded = held
// per implementation year and to date, the payment schedule, the payments,
// what is due back, and the cash findings.
func cmdCash(ctx context.Context, a *app, args []string) error {
	fs := a.flags("cash", "", `
Prints the grantee's cash position of one agreement: the ceiling (total
funding) and support intensity; what was planned and scheduled; per
implementation year and to date what the funder paid, the eligible
spending, what was refunded and what the grantee holds (negative:
pre-financed), with the returns and recoveries still due; the payment
schedule, every payment (reversed ones marked) and every due with its due
date; and the findings on money that moves (paid above the schedule or the
ceiling, refunds overdue, pre-financing). The JSON form is documented in
docs/REPORTS.md ("Cash position").`)
	number := fs.String("agreement", "", "agreement number, e.g. KNVOC-2022-2025 (required)")
	var rf reportFlags
	rf.add(fs, strings.Join(yearFormats, ", "))
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *number == "" {
		fs.Usage()
		return usagef("cash needs --agreement NUMBER")
	}
	lang, asOf, today, err := rf.settings(a, yearFormats...)
	if err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	r, err := reportsOf(rm, today).CashReport(ctx, *number, time.Time{})
	if err != nil {
		return err
	}
	return a.emit(&rf, r.Report, document.CashDocument(r.Report, lang))
}
