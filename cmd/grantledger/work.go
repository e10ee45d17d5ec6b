package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Reporting obligations, restatements and documents (issue 15).

func cmdObligations(ctx context.Context, a *app, args []string) error {
	fs := a.flags("obligations", "", `
Lists the reporting obligations of every agreement (or of those in scope):
report, kind, year, due date and status on the day judged (due, overdue,
submitted, accepted, returned), when it was submitted and with which
SHA-256, accepted or returned with which reason. Exits 4 when any is
overdue, so a scheduled job can alert.`)
	scope := scopeFlags(fs)
	overdue := fs.Bool("overdue", false, "only obligations past their due date and not submitted")
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
	st, err := reportsOf(rm, today).Obligations(ctx, readmodel.Query{Scope: *scope})
	if err != nil {
		return err
	}
	r := st.Report
	late := 0
	kept := r.Rows[:0]
	for _, row := range r.Rows {
		if row.Overdue {
			late++
		}
		if !*overdue || row.Overdue {
			kept = append(kept, row)
		}
	}
	r.Rows = kept
	if err := a.emit(&rf, r, document.ObligationsDocument(r, lang)); err != nil {
		return err
	}
	if late > 0 {
		return exitf(4, "%d reporting obligation(s) overdue", late)
	}
	return nil
}

func cmdRestatement(ctx context.Context, a *app, args []string) error {
	fs := a.flags("restatement", "", `
Compares a submitted (sealed) report with the ledger now: the year's
figures per budget line and the indicators as sealed and as they stand, and
every event recorded after the seal that changes them.`)
	number := fs.String("agreement", "", "the agreement (required)")
	report := fs.String("report", "", "the report's code, as in require_report (required)")
	var rf reportFlags
	rf.add(fs, "text, json, csv, xlsx")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *number == "" || *report == "" {
		fs.Usage()
		return usagef("restatement needs --agreement and --report")
	}
	lang, asOf, _, err := rf.settings(a, allFormats...)
	if err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	r, err := reportsOf(rm, domain.DateOf(a.now())).Restatement(ctx, *number, *report, time.Time{})
	if err != nil {
		return err
	}
	return a.emit(&rf, r.Report, document.RestatementDocument(r.Report, lang))
}

// documentMatch is a registered document or a submitted report a file is.
type documentMatch struct {
	Agreement string `json:"agreement"`
	What      string `json:"what"` // document or submitted_report
	Code      string `json:"code"`
	Kind      string `json:"kind"`
	Name      string `json:"name,omitempty"`
	Size      int64  `json:"size"`
}

func cmdDocument(ctx context.Context, a *app, args []string) error {
	fs := a.flags("document check", "FILE", `
Says which registered document (register_document) or submitted report
(submit_report) a file is, by its SHA-256: the file itself never enters
the ledger. Exits 1 when it matches none.`)
	format := fs.String("format", "text", "text or json")
	a.noVerifyFlag(fs)
	if len(args) > 0 && args[0] == "check" {
		args = args[1:]
	} else if len(args) == 0 || (args[0] != "-h" && args[0] != "--help" && args[0] != "-help") {
		return usagef("document: use 'grantledger document check FILE [--format json]'")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("document check needs one FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	rm, err := a.readModel(ctx, time.Time{})
	if err != nil {
		return err
	}
	matches := []documentMatch{}
	rm.View(func(l *projections.Ledger) error {
		for _, v := range l.Agreements() {
			w := v.Agg.Work()
			for _, code := range w.DocOrder {
				if d := w.Documents[code]; d.SHA256 == sum {
					matches = append(matches, documentMatch{Agreement: v.Agg.AgreementNumber(), What: "document", Code: code, Kind: d.Kind, Name: d.Name, Size: d.Size})
				}
			}
			for _, o := range v.Agg.SortedObligations() {
				if s := o.Submitted; s != nil && s.SHA256 == sum {
					matches = append(matches, documentMatch{Agreement: v.Agg.AgreementNumber(), What: "submitted_report", Code: o.Report, Kind: o.Kind, Name: o.Name, Size: s.Size})
				}
			}
		}
		return nil
	})
	if *format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"file": fs.Arg(0), "sha256": sum, "size": size, "matches": matches}); err != nil {
			return err
		}
	} else {
		fmt.Fprint(a.stdout, tr(a.lang, "%s\nSHA-256 %s, %d bytes\n", fs.Arg(0), sum, size))
		for _, m := range matches {
			note := ""
			if m.Size != size {
				note = fmt.Sprintf(" (registered with size %d)", m.Size)
			}
			fmt.Fprint(a.stdout, tr(a.lang, "is %s %s of %s: %s %q%s\n", m.What, m.Code, m.Agreement, m.Kind, m.Name, note))
		}
	}
	if len(matches) == 0 {
		return exitf(1, "%s (SHA-256 %s) matches no registered document or submitted report", fs.Arg(0), sum)
	}
	return nil
}

// cmdPeriodSummary is report --whole: the summary of every year.
func cmdPeriodSummary(ctx context.Context, a *app, rf *reportFlags, number string) error {
	lang, asOf, today, err := rf.settings(a, yearFormats...)
	if err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	s, err := reportsOf(rm, today).PeriodSummary(ctx, number, time.Time{})
	if err != nil {
		return err
	}
	return a.emit(rf, s.Report, document.PeriodDocument(s.Report, lang))
}

// sealNamespace derives seal's default command id, so that running the
// same seal twice submits once.
var sealNamespace = uuid.MustParse("3c1b6f0e-9a55-4e21-b0d2-5f15a6c1e015")

func cmdSeal(ctx context.Context, a *app, args []string) error {
	fs := a.flags("seal", "", `
Submits a report and seals it (submit_report): hashes the rendered report
FILE (SHA-256 and size) and, with --checkpoint, takes the tree size and root
hash of that signed checkpoint of the Merkle log into the seal. The file
stays outside the ledger; 'grantledger document check FILE' finds it again
by its hash. Run twice with the same agreement, report, file and date, it
submits once (the command id is derived from them unless --command-id).`)
	number := fs.String("agreement", "", "the agreement (required)")
	report := fs.String("report", "", "the report's code, as in require_report (required)")
	file := fs.String("file", "", "the rendered report file (required)")
	date := fs.String("date", "", "the date of submission, YYYY-MM-DD (required)")
	cpPath := fs.String("checkpoint", "", "a signed checkpoint file (grantledger checkpoint --out) to seal with the report")
	doc := fs.String("document", "", "a registered document that is the report")
	actor := fs.String("actor", "", "who submits (required)")
	cmdID := fs.String("command-id", "", "the command id (default derived from agreement, report, file hash and date)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *number == "" || *report == "" || *file == "" || *date == "" || *actor == "" {
		fs.Usage()
		return usagef("seal needs --agreement, --report, --file, --date and --actor")
	}
	d, err := domain.ParseDate(*date)
	if err != nil {
		return usagef("--date: %v", err)
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return err
	}
	c := domain.SubmitReport{Ref: domain.Ref{Agreement: *number}, Report: *report, Date: d, SHA256: hex.EncodeToString(h.Sum(nil)), Size: size, Document: *doc}
	if *cpPath != "" {
		cp, _, err := readCheckpointFile(*cpPath, nil)
		if err != nil {
			return err
		}
		c.Checkpoint = &domain.SealCheckpoint{TreeSize: uint64(cp.Size), RootHash: hex.EncodeToString(cp.Root[:])}
	}
	id := uuid.NewSHA1(sealNamespace, []byte(*number+"\x00"+*report+"\x00"+c.SHA256+"\x00"+d.String()))
	if *cmdID != "" {
		if id, err = uuid.Parse(*cmdID); err != nil {
			return usagef("--command-id: %v", err)
		}
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	out := handleEnvelopes(ctx, svc, []domain.Envelope{domain.NewEnvelope(id, *actor, "", c)})[0]
	if out.Err != nil {
		return out.Err
	}
	res := out.Result
	note := ""
	if res.Duplicate {
		note = " (already submitted with this command id: nothing appended)"
	}
	cpNote := "no checkpoint"
	if c.Checkpoint != nil {
		cpNote = fmt.Sprintf("checkpoint of %d events, root %s", c.Checkpoint.TreeSize, c.Checkpoint.RootHash)
	}
	fmt.Fprint(a.stdout, tr(a.lang, "sealed report %s of %s: SHA-256 %s, %d bytes, %s; event %s%s\n", *report, *number, c.SHA256, size, cpNote, res.Events[0].ID, note))
	return nil
}
