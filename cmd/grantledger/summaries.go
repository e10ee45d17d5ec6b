package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/summaries"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func cmdSummaries(ctx context.Context, a *app, args []string) error {
	fs := a.flags("summaries", "", `
Writes the yearly report of every agreement (or of those in scope) for one
implementation year, or for the implementation year that contains a date,
into a directory, in the chosen formats, plus an index (index-yearN.md and
index-yearN.json, or index-DATE.* for --date). Run
twice, it rewrites nothing that has not changed, so a scheduled job can run
it freely. Exits 4 when any agreement has findings, so the job can alert.`)
	scope := scopeFlags(fs)
	year := fs.Int("year", 0, "implementation year")
	date := fs.String("date", "", "instead of --year: each agreement's implementation year that contains this date (YYYY-MM-DD)")
	outDir := fs.String("out", "summaries", "directory to write to (created if missing)")
	formats := fs.String("formats", "md,html,json", "comma-separated formats: "+strings.Join(yearFormats, ", "))
	lang := fs.String("lang", defaultLang(), langHelp)
	var rf reportFlags
	fs.StringVar(&rf.csv, "csv", rpt.CSVMachine, csvHelp)
	fs.StringVar(&rf.asOf, "as-of", "", "as the ledger was recorded at this moment (RFC 3339)")
	fs.StringVar(&rf.today, "today", "", "judge what is overdue against this date (default today)")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	rf.lang, rf.format = *lang, "text"
	l, asOf, today, err := rf.settings(a, "text")
	if err != nil {
		return err
	}
	var at domain.Date
	switch {
	case *year > 0 && *date == "":
	case *year == 0 && *date != "":
		if at, err = domain.ParseDate(*date); err != nil {
			return usagef("--date: %v", err)
		}
	default:
		fs.Usage()
		return usagef("summaries needs --year N or --date YYYY-MM-DD")
	}
	var fmts []string
	for _, f := range strings.Split(*formats, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, k := range yearFormats {
			ok = ok || k == f
		}
		if !ok {
			return usagef("--formats: %q is not one of %s", f, strings.Join(yearFormats, ", "))
		}
		fmts = append(fmts, f)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	rm, err := a.readModel(ctx, asOf)
	if err != nil {
		return err
	}
	opts := summaries.Options{Year: *year, Date: at, Scope: *scope, Today: today, AsOf: asOf, Formats: fmts}
	if st := a.report; st != nil {
		opts.Checkpoint = &summaries.Checkpoint{Size: st.Size, Root: st.Root, Verified: st.Verified, Signed: st.Signed}
	}
	tty := isTerminal(a.stderr)
	if tty {
		opts.Progress = func(done, total int, agreement string) {
			fmt.Fprintf(a.stderr, "\rsummaries: %d/%d %s\033[K", done, total, agreement)
		}
	}
	out := &dirSink{dir: *outDir}
	res, err := summaries.Run(rm, opts, summaryRenderer{lang: l, csv: rf.csv, state: a.report}, out)
	if err != nil {
		return err
	}
	if tty {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	fmt.Fprint(a.stdout, tr(a.lang, "%d yearly reports in %s (%d files changed); %d with findings\n", res.Reports, *outDir, out.written, res.WithFindings))
	if res.WithFindings > 0 {
		return exitf(exitFindings, "%d of %d agreements have findings; see %s", res.WithFindings, res.Reports, filepath.Join(*outDir, res.Index+".md"))
	}
	if res.Overdue > 0 { // of any year, not only the one written
		return exitf(exitFindings, "%d reporting obligation(s) overdue; see grantledger obligations --overdue", res.Overdue)
	}
	return nil
}

// dirSink writes the job's files into a directory, each only when it
// changed (writeIfChanged), and counts those it wrote.
type dirSink struct {
	dir     string
	written int
}

func (d *dirSink) Write(name string, data []byte) error {
	changed, err := writeIfChanged(filepath.Join(d.dir, name), data)
	if changed {
		d.written++
	}
	return err
}

// summaryRenderer renders the job's files with the report adapter, as
// 'report' renders one yearly report, in language lang.
type summaryRenderer struct {
	lang  document.Lang
	csv   string // CSV dialect
	state *reportState
}

func (s summaryRenderer) Year(r projections.YearReport) func(format string) ([]byte, error) {
	doc := document.YearDocument(r, s.lang)
	return func(format string) ([]byte, error) {
		var b bytes.Buffer
		if err := render(&b, format, s.csv, r, doc, s.state); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
}

func (s summaryRenderer) IndexMarkdown(index []summaries.Entry, st *summaries.Checkpoint) []byte {
	l := s.lang
	var md bytes.Buffer
	fmt.Fprintf(&md, "# %s\n\n| %s | %s | %s | %s | %s |\n| --- | ---: | --- | --- | --- |\n", document.L(l, "yearly.title"),
		document.L(l, "agreement"), document.L(l, "year"), document.L(l, "window"), document.L(l, "findings"), document.L(l, "files"))
	for _, e := range index {
		var links []string
		for _, f := range e.Files {
			links = append(links, fmt.Sprintf("[%s](%s)", filepath.Ext(f)[1:], f))
		}
		var named []string
		for _, c := range e.Findings {
			named = append(named, document.CodeLabel(l, c))
		}
		finds := strings.Join(named, ", ")
		if finds == "" {
			finds = document.L(l, "none")
		}
		fmt.Fprintf(&md, "| %s | %d | %s | %s | %s |\n", e.Agreement, e.Year, document.FormatPeriod(e.Period, l), finds, strings.Join(links, " "))
	}
	if st != nil {
		fmt.Fprintf(&md, "\n%s: %s %d, %s `%s`", document.L(l, "state.heading"), document.L(l, "state.events"), st.Size, document.L(l, "state.root"), st.Root)
		if !st.Verified {
			fmt.Fprintf(&md, " (%s)", document.L(l, "state.unverified"))
		}
		fmt.Fprintln(&md)
		if st.Signed != "" {
			fmt.Fprintf(&md, "\n```\n%s```\n", st.Signed)
		}
	}
	return md.Bytes()
}

// writeIfChanged writes data to path unless the file already holds exactly
// that, atomically (a temporary file renamed into place). It reports
// whether it wrote.
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	tmp, err := createOutputTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return false, err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return false, errorf("write %s: %v", path, errorsJoin(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return false, err
	}
	return true, nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
