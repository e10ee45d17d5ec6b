// Package summaries is the yearly summaries job, a use case of its own:
// for one implementation year (or, for each agreement, the implementation
// year that contains a date), the yearly report of every agreement in
// scope, in each of the chosen formats, one file per agreement and format,
// and an index of them (JSON and Markdown); with the count of agreements
// that have findings and of the reporting obligations overdue, which the
// caller turns into an alert.
//
// It does no I/O of its own: it reads through ReadModel, renders through
// Renderer (the report formats are an adapter's) and hands every file to
// Sink (the command line writes them into a directory and rewrites only
// what changed), in a fixed order.
package summaries

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Formats are the formats a yearly report can be written in.
var Formats = []string{"text", "json", "csv", "xlsx", "md", "html"}

// Options say which reports the job writes.
type Options struct {
	// Year is the implementation year (1, 2, …); with Date set it is 0.
	Year int
	// Date, when not zero, picks for each agreement its implementation
	// year that contains it (and names the index after it).
	Date domain.Date
	// Scope limits the agreements (funder, programme, grantee, agreement).
	Scope projections.Scope
	// Today is the day what is overdue is judged against.
	Today domain.Date
	// AsOf, when not zero, is the moment the ledger was read as of; each
	// report carries it.
	AsOf time.Time
	// Formats are the formats to write each report in, in order (each one
	// of Formats).
	Formats []string
	// Checkpoint is the ledger state every report was computed from, named
	// in the index; nil for a store without a Merkle log.
	Checkpoint *Checkpoint
	// Progress, when set, is told before each report is rendered.
	Progress func(done, total int, agreement string)
}

// Checkpoint is the state of the ledger the reports were computed from: the
// size and root hash of the Merkle log at the read model's position,
// whether the log was checked, and the signed checkpoint of that state.
type Checkpoint struct {
	Size     int64       `json:"size"`
	Root     merkle.Hash `json:"root_hash"`
	Verified bool        `json:"verified"` // false when the log was not checked
	Signed   string      `json:"signed_checkpoint,omitempty"`
}

// Entry is one line of the index (index-yearN.json, index-DATE.json).
type Entry struct {
	Agreement string        `json:"agreement"`
	Year      int           `json:"year"`
	Period    domain.Period `json:"period"`
	Closed    bool          `json:"closed"`
	Findings  []string      `json:"findings"` // finding codes
	Files     []string      `json:"files"`
	// Checkpoint is the ledger state every report was computed from.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// ReadModel is what the job reads: a consistent view of the read model
// (readmodel.Runner is one).
type ReadModel interface {
	View(fn func(*projections.Ledger) error) error
}

// Renderer renders the files. The command line's renders with the report
// adapter, in the language chosen.
type Renderer interface {
	// Year returns the renderer of one yearly report, called once for
	// each format, in the order of Options.Formats.
	Year(r projections.YearReport) func(format string) ([]byte, error)
	// IndexMarkdown renders the Markdown index of the entries.
	IndexMarkdown(entries []Entry, cp *Checkpoint) []byte
}

// Sink receives the files, each with its name (a plain file name, no
// directory), in this order: for each agreement by number, its report in
// each format; then the index, JSON and then Markdown.
type Sink interface {
	Write(name string, data []byte) error
}

// Result says what the job found.
type Result struct {
	Reports      int    // yearly reports written (agreements)
	WithFindings int    // of them, those with findings
	Overdue      int    // reporting obligations overdue in scope, of any year
	Index        string // the index's base name: index-yearN or index-DATE
}

// Run writes the yearly reports and the index. It stops at the first
// error from Renderer or Sink; the files handed over before it stay.
func Run(rm ReadModel, opts Options, rnd Renderer, out Sink) (Result, error) {
	var res Result
	reports, overdue := selectReports(rm, opts)
	res.Reports, res.Overdue = len(reports), overdue
	res.Index = fmt.Sprintf("index-year%d", opts.Year)
	if opts.Date != 0 {
		res.Index = "index-" + opts.Date.String()
	}
	index := []Entry{}
	names := fileNamer{}
	for i, r := range reports {
		if opts.Progress != nil {
			opts.Progress(i+1, len(reports), r.Agreement)
		}
		e := Entry{Agreement: r.Agreement, Year: r.Year, Period: r.Period, Closed: r.Closed, Findings: []string{}, Checkpoint: opts.Checkpoint}
		for _, f := range r.Findings {
			e.Findings = append(e.Findings, f.Code)
		}
		if len(r.Findings) > 0 {
			res.WithFindings++
		}
		render := rnd.Year(r)
		base := names.name(r.Agreement)
		for _, f := range opts.Formats {
			b, err := render(f)
			if err != nil {
				return res, err
			}
			ext := f
			if f == "text" {
				ext = "txt"
			}
			name := fmt.Sprintf("%s-year%d.%s", base, r.Year, ext)
			if err := out.Write(name, b); err != nil {
				return res, err
			}
			e.Files = append(e.Files, name)
		}
		index = append(index, e)
	}
	ij, _ := json.MarshalIndent(index, "", "  ")
	if err := out.Write(res.Index+".json", append(ij, '\n')); err != nil {
		return res, err
	}
	if err := out.Write(res.Index+".md", rnd.IndexMarkdown(index, opts.Checkpoint)); err != nil {
		return res, err
	}
	return res, nil
}

// selectReports returns the yearly reports the job writes, sorted by
// agreement number: of every agreement in scope, the report of the year
// asked for (an agreement without that year has none); and the number of
// reporting obligations overdue in scope, read in the same view.
func selectReports(rm ReadModel, opts Options) (reports []projections.YearReport, overdue int) {
	rm.View(func(led *projections.Ledger) error {
		for _, v := range led.Agreements() {
			if !opts.Scope.Matches(v.Agg) {
				continue
			}
			n := opts.Year
			if opts.Date != 0 {
				n = 0
				for _, y := range v.Agg.Years() {
					if y.Period().Contains(opts.Date) {
						n = y.Year
					}
				}
			}
			if r, err := v.YearReport(n, opts.Today); err == nil {
				if !opts.AsOf.IsZero() {
					t := opts.AsOf.UTC()
					r.AsOf = &t
				}
				reports = append(reports, r)
			}
		}
		for _, r := range led.Obligations(opts.Scope, opts.Today).Rows {
			if r.Overdue {
				overdue++
			}
		}
		return nil
	})
	sort.Slice(reports, func(i, j int) bool { return reports[i].Agreement < reports[j].Agreement })
	return reports, overdue
}

// safeName turns an agreement number into a file name, one-to-one:
// Unicode letters and digits, "-" and "." (not first) are kept, and every
// other byte, "_" included, is written as "_" and two upper-case hex
// digits ("LV/NVOF/MIC/031/10" is "LV_2FNVOF_2FMIC_2F031_2F10", and
// "LV_NVOF" is "LV_5FNVOF"), so two numbers never share a name and a name
// never holds a path separator, a control character or starts with a dot.
// A name longer than 200 bytes is cut at 180 and ends in "~" and the first
// 16 hex digits of the number's SHA-256.
func safeName(number string) string {
	var b strings.Builder
	for i, r := range number {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || (r == '.' && i > 0) {
			b.WriteRune(r)
			continue
		}
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		if r == utf8.RuneError {
			buf[0], n = number[i], 1
		}
		for _, c := range buf[:n] {
			fmt.Fprintf(&b, "_%02X", c)
		}
	}
	name := b.String()
	if len(name) > 200 {
		cut := 180
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		sum := sha256.Sum256([]byte(number))
		name = name[:cut] + "~" + hex.EncodeToString(sum[:8])
	}
	return name
}

// fileNamer gives each agreement of one run its own file name, also on a
// file system that ignores case (macOS, Windows): a number whose safeName
// differs from an earlier one's only in case (possible only in ledgers
// written before such numbers were refused) gets "~" and the first 16 hex
// digits of its SHA-256 appended. Numbers are met in sorted order, so the
// names are the same on every run.
type fileNamer map[string]string // lower-cased name -> number

func (f fileNamer) name(number string) string {
	n := safeName(number)
	key := strings.ToLower(n)
	if owner, taken := f[key]; taken && owner != number {
		sum := sha256.Sum256([]byte(number))
		n += "~" + hex.EncodeToString(sum[:8])
		key = strings.ToLower(n)
	}
	f[key] = number
	return n
}
