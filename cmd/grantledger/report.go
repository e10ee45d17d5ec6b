package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/app/summaries"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// reportFlags are the flags every report shares.
type reportFlags struct {
	format string
	lang   string
	asOf   string
	today  string
	out    string
	csv    string // CSV dialect: machine or excel
	width  int    // text: widest line in columns; 0 no limit
}

func (r *reportFlags) add(fs *flag.FlagSet, formats string) {
	fs.StringVar(&r.format, "format", "text", "output format: "+formats)
	fs.StringVar(&r.lang, "lang", defaultLang(), langHelp)
	fs.StringVar(&r.asOf, "as-of", "", "show the ledger as recorded at this moment (RFC 3339, e.g. 2024-01-31T12:00:00Z)")
	fs.StringVar(&r.today, "today", "", "judge what is overdue against this date (YYYY-MM-DD; default: today, or the --as-of date)")
	fs.StringVar(&r.out, "out", "", "write to this file instead of standard output")
	fs.StringVar(&r.csv, "csv", rpt.CSVMachine, csvHelp)
	fs.IntVar(&r.width, "width", rpt.TextWidth, "text: the widest line in columns; wider tables are split into blocks (0: no limit)")
}

// textWidth is the Document.Width of a --width: 0 is no limit.
func textWidth(w int) int {
	if w <= 0 {
		return -1
	}
	return max(w, 40)
}

// csvHelp is the help text of every --csv flag.
const csvHelp = "CSV dialect with --format csv: machine (comma, decimal point, no BOM; for programs) or excel (UTF-8 BOM, ';', decimal comma in Latvian, agreement and year in every row of a yearly report; for spreadsheets)"

// settings checks the shared flags.
func (r *reportFlags) settings(a *app, formats ...string) (lang document.Lang, asOf time.Time, today domain.Date, err error) {
	if lang, err = parseLang(r.lang); err != nil {
		return lang, asOf, today, err
	}
	if r.csv, err = rpt.ParseCSVDialect(r.csv); err != nil {
		return lang, asOf, today, usagef("--csv: %v", err)
	}
	ok := false
	for _, f := range formats {
		ok = ok || f == r.format
	}
	if !ok {
		return lang, asOf, today, usagef("--format %q: expected one of %s", r.format, strings.Join(formats, ", "))
	}
	if r.asOf != "" {
		if asOf, err = time.Parse(time.RFC3339Nano, r.asOf); err != nil {
			return lang, asOf, today, usagef("--as-of %q: expected an RFC 3339 time such as 2024-01-31T12:00:00Z", r.asOf)
		}
	}
	switch {
	case r.today != "":
		if today, err = domain.ParseDate(r.today); err != nil {
			return lang, asOf, today, usagef("--today: %v", err)
		}
	case !asOf.IsZero():
		today = domain.DateOf(asOf)
	default:
		today = domain.DateOf(a.now())
	}
	return lang, asOf, today, nil
}

// reportsOf is the read-model service over rm, the command line's read
// model (caught up, and its log checked, by readModel), read as it stands,
// with today (the --today flag, else the --as-of date, else the clock) as
// the date that decides what is due or overdue. The API and the web pages
// read through the same service (serve.go).
func reportsOf(rm *readmodel.Runner, today domain.Date) *readmodel.Service {
	return readmodel.NewService(rm, readmodel.ServiceOptions{Fixed: true, Clock: today.Time})
}

// readModel opens the store and brings the read model up to date: from
// its saved snapshot when the store keeps one, otherwise (and always for
// --as-of) by folding the events. Progress goes to a terminal only.
func (a *app) readModel(ctx context.Context, asOf time.Time) (*readmodel.Runner, error) {
	// A read model saved by an earlier call is written before this one
	// loads it (and before this one's save could come first).
	if err := a.finishSaves(nil); err != nil {
		return nil, err
	}
	store, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	// NoSave: the read model is saved only once the log is checked below,
	// and never under --no-verify.
	opts := readmodel.Options{AsOf: asOf, NoSave: true, Warn: func(m string) { fmt.Fprintln(a.stderr, "grantledger: warning:", m) }}
	if isTerminal(a.stderr) {
		last := time.Time{}
		opts.Progress = func(n int) {
			if now := time.Now(); now.Sub(last) > 200*time.Millisecond {
				last = now
				fmt.Fprint(a.stderr, tr(a.lang, "\rreading the ledger: %d events", n))
			}
		}
		defer fmt.Fprint(a.stderr, "\r\033[K")
	}
	r := readmodel.New(store, opts)
	if err := r.Load(ctx); err != nil {
		return nil, errorf("bring the read model up to date: %w", err)
	}
	// The log is checked before anything is shown, from the snapshot the
	// read model was restored from (its header was checked against the
	// tree as it loaded), else from the first leaf, since every event is
	// folded: in the same pass as the fold (readcheck.go).
	from := merkle.Verified{}
	if size, root, ok := r.SnapshotTree(); ok {
		from = merkle.Verified{Size: size, Root: root}
	}
	state, err := a.foldAndCheck(ctx, store, r, from)
	if err != nil {
		return nil, err
	}
	if !a.noVerify {
		// Saved while the report is computed and printed (issue 17: the
		// first report after a large import saves about 100 MB); run
		// waits for the save before the process ends (finishSaves). The
		// save encodes the read model under the runner's lock, so the
		// report reads it once encoded, and what the report shows is
		// what is saved.
		done := make(chan error, 1)
		go func() { done <- r.SaveNow(ctx) }()
		a.saving = append(a.saving, done)
	}
	a.state = state
	if err := a.computeState(ctx, store, r); err != nil {
		return nil, err
	}
	return r, nil
}

// finishSaves waits for the read models being saved (readModel) and
// returns err, the command's result, or the save's error when the
// command succeeded. A snapshot only spares the next reader work
// (docs/STORAGE.md): a store that cannot take it (a full disk, a read-only
// file) does not fail the report, which is complete; another error of the
// save fails the command (exit 1) after its report was printed.
func (a *app) finishSaves(err error) error {
	for _, done := range a.saving {
		saveErr := <-done
		switch {
		case saveErr == nil:
		case domain.ErrorCode(saveErr) == domain.EUnavailable:
			fmt.Fprintln(a.stderr, tr(a.lang, "grantledger: warning: the read model was not saved (%v); the report is complete, the next one reads the ledger again", saveErr))
		case err == nil:
			err = errorf("save the read model: %w", saveErr)
		default:
			fmt.Fprintln(a.stderr, "grantledger: save the read model:", saveErr)
		}
	}
	a.saving = nil
	return err
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// emit writes a report in the chosen format: json writes v, the others
// render doc.
func (a *app) emit(rf *reportFlags, v any, doc document.Document) error {
	w := a.stdout
	var f *os.File
	if rf.format == "xlsx" && rf.out == "" && isTerminal(a.stdout) {
		return usagef("--format xlsx is a binary workbook and stdout is a terminal; give --out FILE.xlsx or redirect stdout to a file (nothing was written)")
	}
	if rf.out != "" {
		var err error
		if f, err = os.Create(rf.out); err != nil {
			return err
		}
		w = f
	}
	doc.Width = textWidth(rf.width)
	err := render(w, rf.format, rf.csv, v, doc, a.report)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func render(w io.Writer, format, dialect string, v any, doc document.Document, st *reportState) error {
	if format == "json" {
		var err error
		if v, err = withState(v, st); err != nil {
			return err
		}
	} else {
		doc = docWithState(doc, st, format)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "csv":
		return rpt.WriteCSVDialect(w, doc, dialect)
	case "xlsx":
		return rpt.WriteXLSX(w, doc)
	case "md", "markdown":
		return rpt.WriteMarkdown(w, doc)
	case "html":
		return rpt.WriteHTML(w, doc)
	}
	return rpt.WriteText(w, doc)
}

var allFormats = []string{"text", "json", "csv", "xlsx"}
var yearFormats = summaries.Formats

func cmdReport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("report", "", `
Prints the yearly report of one agreement and implementation year, in the
shape of the ministry summary: task, performer, delegation period; planned
against actual per budget line and in total; the remainder carried over or
returned (and to whom); ineligible expenditure and unrecovered funds;
indicators; and findings (overspend, unexplained remainder, a year open past
its end, an indicator behind its target). The JSON form is a contract,
documented in docs/REPORTS.md.`)
	number := fs.String("agreement", "", "agreement number, e.g. KNVOC-2022-2025 (required)")
	year := fs.Int("year", 0, "implementation year, 1, 2, … (required unless --whole)")
	whole := fs.Bool("whole", false, "the summary of the whole period: every implementation year and the total, with the narratives")
	var rf reportFlags
	rf.add(fs, strings.Join(yearFormats, ", "))
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *number != "" && *whole && *year == 0 {
		return cmdPeriodSummary(ctx, a, &rf, *number)
	}
	if *number == "" || *year <= 0 {
		fs.Usage()
		return usagef("report needs --agreement NUMBER and --year N")
	}
	lang, asOf, today, err := rf.settings(a, yearFormats...)
	if err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	r, err := reportsOf(rm, today).YearReport(ctx, *number, *year, time.Time{})
	if err != nil {
		return err
	}
	return a.emit(&rf, r.Report, document.YearDocument(r.Report, lang))
}

// scopeFlags select agreements.
func scopeFlags(fs *flag.FlagSet) *projections.Scope {
	var s projections.Scope
	fs.StringVar(&s.Funder, "funder", "", "only agreements of this funder")
	fs.StringVar(&s.Programme, "programme", "", "only agreements of this programme")
	fs.StringVar(&s.Grantee, "grantee", "", "only agreements of this grantee")
	fs.StringVar(&s.Agreement, "agreement", "", "only this agreement")
	return &s
}
