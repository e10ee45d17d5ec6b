package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// summaryEntry is one line of the summaries index (index-yearN.json).
type summaryEntry struct {
	Agreement string        `json:"agreement"`
	Year      int           `json:"year"`
	Period    domain.Period `json:"period"`
	Closed    bool          `json:"closed"`
	Findings  []string      `json:"findings"`
	Files     []string      `json:"files"`
	// Checkpoint is the ledger state every report was computed from.
	Checkpoint *reportState `json:"checkpoint,omitempty"`
}

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
	var reports []projections.YearReport
	rm.View(func(led *projections.Ledger) error {
		for _, v := range led.Agreements() {
			if !scope.Matches(v.Agg) {
				continue
			}
			n := *year
			if at != 0 {
				n = 0
				for _, y := range v.Agg.Years() {
					if y.Period().Contains(at) {
						n = y.Year
					}
				}
			}
			if r, err := v.YearReport(n, today); err == nil {
				if !asOf.IsZero() {
					t := asOf.UTC()
					r.AsOf = &t
				}
				reports = append(reports, r)
			}
		}
		return nil
	})
	sort.Slice(reports, func(i, j int) bool { return reports[i].Agreement < reports[j].Agreement })
	tty := isTerminal(a.stderr)
	var index []summaryEntry
	names := fileNamer{}
	written, withFindings := 0, 0
	for i, r := range reports {
		if tty {
			fmt.Fprintf(a.stderr, "\rsummaries: %d/%d %s\033[K", i+1, len(reports), r.Agreement)
		}
		e := summaryEntry{Agreement: r.Agreement, Year: r.Year, Period: r.Period, Closed: r.Closed, Findings: []string{}, Checkpoint: a.report}
		for _, f := range r.Findings {
			e.Findings = append(e.Findings, f.Code)
		}
		if len(r.Findings) > 0 {
			withFindings++
		}
		doc := rpt.YearDocument(r, l)
		base := names.name(r.Agreement)
		for _, f := range fmts {
			var b bytes.Buffer
			if err := render(&b, f, rf.csv, r, doc, a.report); err != nil {
				return err
			}
			ext := f
			if f == "text" {
				ext = "txt"
			}
			name := fmt.Sprintf("%s-year%d.%s", base, r.Year, ext)
			changed, err := writeIfChanged(filepath.Join(*outDir, name), b.Bytes())
			if err != nil {
				return err
			}
			if changed {
				written++
			}
			e.Files = append(e.Files, name)
		}
		index = append(index, e)
	}
	if tty {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if index == nil {
		index = []summaryEntry{}
	}
	ij, _ := json.MarshalIndent(index, "", "  ")
	base := fmt.Sprintf("index-year%d", *year)
	if at != 0 {
		base = "index-" + at.String()
	}
	if c, err := writeIfChanged(filepath.Join(*outDir, base+".json"), append(ij, '\n')); err != nil {
		return err
	} else if c {
		written++
	}
	var md bytes.Buffer
	fmt.Fprintf(&md, "# %s\n\n| %s | %s | %s | %s | %s |\n| --- | ---: | --- | --- | --- |\n", rpt.L(l, "yearly.title"),
		rpt.L(l, "agreement"), rpt.L(l, "year"), rpt.L(l, "window"), rpt.L(l, "findings"), rpt.L(l, "files"))
	for _, e := range index {
		var links []string
		for _, f := range e.Files {
			links = append(links, fmt.Sprintf("[%s](%s)", filepath.Ext(f)[1:], f))
		}
		var named []string
		for _, c := range e.Findings {
			named = append(named, rpt.CodeLabel(l, c))
		}
		finds := strings.Join(named, ", ")
		if finds == "" {
			finds = rpt.L(l, "none")
		}
		fmt.Fprintf(&md, "| %s | %d | %s | %s | %s |\n", e.Agreement, e.Year, rpt.FormatPeriod(e.Period, l), finds, strings.Join(links, " "))
	}
	if st := a.report; st != nil {
		fmt.Fprintf(&md, "\n%s: %s %d, %s `%s`", rpt.L(l, "state.heading"), rpt.L(l, "state.events"), st.Size, rpt.L(l, "state.root"), st.Root)
		if !st.Verified {
			fmt.Fprintf(&md, " (%s)", rpt.L(l, "state.unverified"))
		}
		fmt.Fprintln(&md)
		if st.Signed != "" {
			fmt.Fprintf(&md, "\n```\n%s```\n", st.Signed)
		}
	}
	if c, err := writeIfChanged(filepath.Join(*outDir, base+".md"), md.Bytes()); err != nil {
		return err
	} else if c {
		written++
	}
	fmt.Fprint(a.stdout, tr(a.lang, "%d yearly reports in %s (%d files changed); %d with findings\n", len(reports), *outDir, written, withFindings))
	if withFindings > 0 {
		return exitf(exitFindings, "%d of %d agreements have findings; see %s", withFindings, len(reports), filepath.Join(*outDir, base+".md"))
	}
	if n := overdueObligations(rm, *scope, today); n > 0 { // of any year, not only the one written (work.go)
		return exitf(exitFindings, "%d reporting obligation(s) overdue; see grantledger obligations --overdue", n)
	}
	return nil
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
