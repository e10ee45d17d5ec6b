package main

import (
	"context"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func cmdAudit(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit", "", `
Prints the audit trail: every event (of one agreement, or of the whole
ledger) with its global position, time recorded, actor, command id, reason
and hash, filtered by time, actor and event type; beside it, the result of
recomputing the hash chains. Exits 3 when a chain is broken.`)
	number := fs.String("agreement", "", "only this agreement")
	from := fs.String("from", "", "only events recorded at or after (RFC 3339 or YYYY-MM-DD)")
	to := fs.String("to", "", "only events recorded at or before (RFC 3339, or YYYY-MM-DD for the whole day)")
	actor := fs.String("actor", "", "only events by this actor")
	types := fs.String("type", "", "only these event types, comma-separated (e.g. SpendingRecorded,SpendingReversed)")
	verify := fs.Bool("verify", true, "recompute the hash chains")
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
	f := projections.AuditFilter{Agreement: *number, Actor: *actor}
	if f.From, err = auditTime(*from, false); err != nil {
		return usagef("--from: %v", err)
	}
	if f.To, err = auditTime(*to, true); err != nil {
		return usagef("--to: %v", err)
	}
	if *types != "" {
		f.Types = strings.Split(*types, ",")
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	st, err := reportsOf(rm, domain.DateOf(a.now())).Audit(ctx, readmodel.AuditQuery{AuditFilter: f})
	if err != nil {
		return err
	}
	r := st.Report
	if *verify {
		store, _ := a.open(ctx)
		var streams []string
		if *number != "" {
			streams = []string{domain.StreamFor(*number)}
		}
		v, err := readmodel.VerifyChains(ctx, store, streams...)
		if err != nil {
			return err
		}
		r.Verification = &v
	}
	if err := a.emit(&rf, r, document.AuditDocument(r, lang)); err != nil {
		return err
	}
	if r.Verification != nil && !r.Verification.OK {
		b := r.Verification.Breaks[0]
		return exitf(exitTampered, "hash chain broken: %s revision %d: %s", b.Stream, b.Revision, b.Problem)
	}
	return nil
}

// auditTime reads an RFC 3339 time or a date; a date as the end of a
// range means the end of that day.
func auditTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return time.Time{}, errorf("%q: expected RFC 3339 (2024-01-31T12:00:00Z) or a date", s)
	}
	if end {
		return d.AddDays(1).Time().Add(-time.Nanosecond), nil
	}
	return d.Time(), nil
}
