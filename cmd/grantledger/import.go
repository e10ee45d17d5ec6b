package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/grantledger/grantledger/adapters/csvimport"
)

func cmdImport(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "spending" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(a.stderr, trText(a.lang, "Usage: grantledger import spending FILE.csv --agreement NUMBER [flags]\n\nRun 'grantledger import spending --help' for the flags."))
			return flag.ErrHelp
		}
		return usagef("import needs what to import: grantledger import spending FILE.csv --agreement NUMBER")
	}
	fs := a.flags("import spending", "FILE.csv --agreement NUMBER", `
Records spending from a CSV export of accounting software: one
record_spending command per row. Columns are found by their header (date /
datums, amount / summa, line / rinda, document / dokuments, description /
apraksts, year / gads) or named with the flags below or a mapping file
(lines "field = column"; see docs/INTEROP.md). Amounts may be written
"1 234,56" or "1234.56"; dates "2022-07-15" or "15.07.2022.". Without a
year column the implementation year is the one whose dates hold the date.

Each row's command id comes from the agreement and the row's content, so
importing the same file again records nothing twice. A rejected row is
reported with its row number and column and does not keep the others out.
The exit code is 1 when any row was rejected.`)
	number := fs.String("agreement", "", "agreement number the spending belongs to (required)")
	mappingFile := fs.String("mapping", "", "mapping file: one \"field = column\" per line")
	var m csvimport.Mapping
	fs.StringVar(&m.Date, "date-col", "", "column of the date (header text or 1-based number)")
	fs.StringVar(&m.Amount, "amount-col", "", "column of the amount")
	fs.StringVar(&m.Line, "line-col", "", "column of the budget line")
	fs.StringVar(&m.Document, "document-col", "", "column of the document reference")
	fs.StringVar(&m.Description, "description-col", "", "column of the description (optional)")
	fs.StringVar(&m.Year, "year-col", "", "column of the implementation year (optional)")
	fs.StringVar(&m.FixedLine, "line", "", "budget line of every row, when the file has no line column")
	delim := fs.String("delimiter", "", "field separator: ; or , or tab (default: detected from the header)")
	dryRun := fs.Bool("dry-run", false, "show what would be recorded; record nothing")
	actor := fs.String("actor", "", "who is importing (default $GRANTLEDGER_ACTOR, else $USER)")
	reason := fs.String("reason", "", "reason kept with every recorded row (optional)")
	files, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(files) != 1 || *number == "" {
		fs.Usage()
		return usagef("import spending needs one FILE.csv and --agreement NUMBER")
	}
	if *mappingFile != "" {
		f, err := os.Open(*mappingFile)
		if err != nil {
			return usagef("mapping file: %v", err)
		}
		fm, err := csvimport.ReadMapping(f)
		f.Close()
		if err != nil {
			return usagef("%s: %v", *mappingFile, err)
		}
		// Flags given on the command line win over the file.
		for _, p := range []struct{ flagv, filev *string }{{&m.Date, &fm.Date}, {&m.Amount, &fm.Amount}, {&m.Line, &fm.Line},
			{&m.Document, &fm.Document}, {&m.Description, &fm.Description}, {&m.Year, &fm.Year}, {&m.FixedLine, &fm.FixedLine}} {
			if *p.flagv == "" {
				*p.flagv = *p.filev
			}
		}
		m.Comma = fm.Comma
	}
	if *delim != "" {
		c, err := csvimport.ParseDelimiter(*delim)
		if err != nil {
			return usagef("--delimiter: %v", err)
		}
		m.Comma = c
	}
	who := *actor
	for _, env := range []string{"GRANTLEDGER_ACTOR", "USER"} {
		if who == "" {
			who = a.getenv(env)
		}
	}
	if strings.TrimSpace(who) == "" {
		return usagef("say who is importing: --actor NAME (or set GRANTLEDGER_ACTOR)")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	agr, err := csvimport.LoadAgreement(ctx, svc.Store(), *number)
	if err != nil {
		return err
	}
	rows, err := csvimport.Read(data, agr, m, who, *reason)
	if err != nil {
		return errorf("%s: %w", files[0], err)
	}
	results, sum, err := csvimport.Run(ctx, svc, agr, rows, *dryRun)
	if serr := svc.SaveIndex(ctx); serr != nil { // the next process loads the index instead of reading the ledger (issue 17)
		fmt.Fprintln(a.stderr, "grantledger: warning:", serr)
	}
	for _, r := range results {
		s := r.Spending
		switch r.Status {
		case csvimport.Rejected:
			fmt.Fprintf(a.stderr, "%s: %v\n", files[0], r.Err)
		default:
			fmt.Fprint(a.stdout, tr(a.lang, "row %d: %s: %s on line %s, year %d, %s, document %s\n", r.Row, r.Status, s.Amount, s.Line, s.Year, s.Date, s.Document))
		}
	}
	if err != nil {
		return errorf("import stopped: %w (rows reported above stay as reported)", err)
	}
	fmt.Fprintln(a.stdout, sum)
	if sum.Rejected > 0 {
		return exitf(exitFailure, "%d row(s) rejected; the other rows were %s", sum.Rejected, map[bool]string{true: tr(a.lang, "only checked (dry run)"), false: tr(a.lang, "recorded or already recorded")}[*dryRun])
	}
	return nil
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, as in "import spending FILE.csv --agreement N".
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(pos) > 100 {
			return nil, errors.New("too many arguments")
		}
	}
}
