package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

func cmdHistory(ctx context.Context, a *app, args []string) error {
	fs := a.flags("history", "", `
Lists every event of one agreement in the order it was recorded: revision,
global position, time recorded, actor, event type, what it says, and the
reason given. Nothing is ever edited: corrections appear as their own events.`)
	number := fs.String("agreement", "", "agreement number, e.g. KNVOC-2022-2025 (required)")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *number == "" {
		fs.Usage()
		return usagef("history needs --agreement NUMBER")
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	if a.state, err = a.checkReads(ctx, store, nil); err != nil {
		return err
	}
	stream := domain.StreamFor(*number)
	reg := domain.NewEventRegistry()
	tw := bufio.NewWriter(a.stdout)
	enc := json.NewEncoder(a.stdout)
	var all []domain.RecordedEvent
	from := uint64(0)
	for {
		evs, err := store.ReadStream(ctx, stream, from, domain.Forwards, 1000)
		if errors.Is(err, domain.ErrNotFound) {
			return &domain.Error{Code: domain.ENotFound, Field: "agreement", Message: fmt.Sprintf("agreement %q has no events in this ledger", *number), Err: domain.ErrNotFound}
		}
		if err != nil {
			return err
		}
		all = append(all, evs...)
		if len(evs) < 1000 {
			break
		}
		from = evs[len(evs)-1].Revision + 1
		if from == math.MaxUint64 {
			break
		}
	}
	// Every event shown must be the leaf the tree stored when it was
	// appended, wherever the last verified point is.
	if err := a.checkLeaves(ctx, store, all); err != nil {
		return err
	}
	for _, e := range all {
		m, err := domain.DecodeMetadata(e.Metadata)
		if err != nil {
			return errorf("revision %d: %w", e.Revision, err)
		}
		ev, err := reg.Decode(e.Type, m.SchemaVersion, e.Data)
		if err != nil {
			return errorf("revision %d: %w", e.Revision, err)
		}
		if *asJSON {
			enc.Encode(map[string]any{"revision": e.Revision, "position": e.Position, "event_id": e.ID, "type": e.Type,
				"recorded_at": m.RecordedAt, "actor": m.Actor, "command_id": m.CommandID, "reason": m.Reason, "hash": m.Hash, "data": ev})
			continue
		}
		// One event to a paragraph, wrapped to a terminal's 100 columns:
		// revision, position, time, actor and type, then what it says and
		// the reason, indented.
		typ := e.Type
		if a.lang == document.LV {
			typ = document.CodeLabel(a.lang, e.Type) + " (" + e.Type + ")"
		}
		fmt.Fprint(tw, rpt.WrapIndent(fmt.Sprintf("%d  %s  %s UTC  %s  %s", e.Revision, e.Position, m.RecordedAt.UTC().Format("2006-01-02 15:04:05"), m.Actor, typ), ""))
		fmt.Fprint(tw, rpt.WrapIndent(describeEvent(a.lang, e.ID.String(), ev), "    "))
		if m.Reason != "" {
			fmt.Fprint(tw, rpt.WrapIndent(m.Reason, "    "+tr(a.lang, "reason")+": "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a.state != nil && !*asJSON {
		fmt.Fprint(a.stdout, "\n"+rpt.WrapIndent(tr(a.lang, "Ledger state (Merkle log checkpoint): %d events, root hash %s%s", a.state.Size, a.state.Root,
			map[bool]string{true: tr(a.lang, " (NOT VERIFIED: --no-verify)")}[a.noVerify]), ""))
	}
	return nil
}

// describeEvent says in a few words, in language l, what an event
// records; an event recorded into a closed year after closing says so.
// English keeps the ledger's plain amounts and ISO dates; Latvian writes
// them as its reports do (1 213,47; 15.07.2023.).
func describeEvent(l document.Lang, id string, e domain.Event) string {
	d := describeEventOnly(l, id, e)
	if postClosure(e) {
		d += tr(l, " [into the closed year: post-closure adjustment]")
	}
	return d
}

func postClosure(e domain.Event) bool {
	switch v := e.(type) {
	case domain.SpendingReversed:
		return v.PostClosure
	case domain.UnspentReturned:
		return v.PostClosure
	case domain.IneligibleExpenditureDeclared:
		return v.PostClosure
	case domain.IneligibleExpenditureRecovered:
		return v.PostClosure
	}
	return false
}

func describeEventOnly(l document.Lang, id string, e domain.Event) string {
	m := func(x domain.Money) string {
		if l == document.LV {
			return document.FormatAmount(x, l)
		}
		return x.String()
	}
	d := func(x domain.Date) string {
		if l == document.LV {
			return document.FormatDate(x, l)
		}
		return x.String()
	}
	switch v := e.(type) {
	case domain.AgreementRegistered:
		p := v.Period.String()
		if l == document.LV {
			p = document.FormatPeriod(v.Period, l)
		}
		return tr(l, "%s %q, %s → %s, %s, %d years, %d lines", v.Kind, v.Number, v.Funder, v.Grantee, p, len(v.Years), len(v.Lines))
	case domain.BudgetLineAdded:
		return tr(l, "line %s %q", v.Line, v.Name)
	case domain.BudgetPlanned:
		return tr(l, "line %s year %d planned %s", v.Line, v.Year, m(v.Amount))
	case domain.BudgetAmended:
		return tr(l, "line %s year %d plan %s → %s from %s", v.Line, v.Year, m(v.Previous), m(v.Amount), d(v.EffectiveDate))
	case domain.SpendingRecorded:
		return tr(l, "line %s year %d spent %s on %s, doc %s (spending %s)", v.Line, v.Year, m(v.Amount), d(v.Date), v.Document, id)
	case domain.SpendingReversed:
		return tr(l, "line %s year %d reversed %s of spending %s", v.Line, v.Year, m(v.Amount), v.Spending)
	case domain.RemainderCarriedOver:
		return tr(l, "line %s carried %s from year %d to year %d", v.Line, m(v.Amount), v.FromYear, v.ToYear)
	case domain.UnspentReturned:
		return tr(l, "line %s year %d returned %s to %s (due %s: refund with record_refund)", v.Line, v.Year, m(v.Amount), v.To, id)
	case domain.IneligibleExpenditureDeclared:
		return tr(l, "line %s year %d ineligible %s (ineligible %s)", v.Line, v.Year, m(v.Amount), id)
	case domain.IneligibleExpenditureRecovered:
		return tr(l, "line %s year %d recovered %s of %s (due %s: refund with record_refund)", v.Line, v.Year, m(v.Amount), v.Ineligible, id)
	case domain.IndicatorDefined:
		return tr(l, "indicator %s (%s, %s) %d targets", v.Indicator, v.Aggregation, v.Unit, len(v.Targets))
	case domain.IndicatorDelivered:
		if len(v.Identifiers) > 0 {
			return tr(l, "indicator %s year %d delivered %d identifiers on %s", v.Indicator, v.Year, len(v.Identifiers), d(v.Date))
		}
		return tr(l, "indicator %s year %d delivered %d on %s", v.Indicator, v.Year, v.Quantity, d(v.Date))
	case domain.YearClosed:
		return tr(l, "year %d closed", v.Year)
	case domain.DisbursementPlanned:
		return tr(l, "payment scheduled: %s year %d %s on %s", v.Kind, v.Year, m(v.Amount), d(v.Date))
	case domain.DisbursementRecorded:
		return tr(l, "paid %s for year %d on %s, ref %s (disbursement %s)", m(v.Amount), v.Year, d(v.Date), v.Reference, id)
	case domain.DisbursementReversed:
		return tr(l, "payment %s of %s reversed", v.Disbursement, m(v.Amount))
	case domain.RefundRecorded:
		return tr(l, "refunded %s of %s %s (line %s year %d), ref %s", m(v.Amount), v.Kind, v.For, v.Line, v.Year, v.Reference)
	}
	return e.EventType()
}
