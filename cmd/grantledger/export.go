package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/grantledger/grantledger/adapters/hledger"
	"github.com/grantledger/grantledger/adapters/iati"
)

func cmdExport(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stderr, trText(a.lang, `Usage: grantledger export hledger|iati [flags]

  hledger  a journal for hledger: budget rules and dated transactions
  iati     IATI 2.03 activity XML, one iati-activity per agreement

Run 'grantledger export hledger --help' for the flags. docs/INTEROP.md
describes both formats.
`))
		if len(args) == 0 {
			return usagef("export needs a format: hledger or iati")
		}
		return flag.ErrHelp
	}
	format, rest := args[0], args[1:]
	var about string
	switch format {
	case "hledger":
		about = `
Writes a plain-text journal that hledger reads: a periodic rule (~) per
budget line and implementation year for the planned amount (amendments
dated when they took effect) and a dated transaction, tagged with its
event id, for every spending, reversal, carry-over, return, ineligible
expenditure and recovery. For one implementation year FROM..TO,

  hledger -f FILE bal --budget -b FROM -e TO+1 '^expenses:AGREEMENT:'

prints per line the actual and planned amounts of 'grantledger report'.
The journal's comments give the exact command for every year.`
	case "iati":
		about = `
Writes IATI 2.03 activity XML: one iati-activity per agreement with its
organisations, Latvian and English narratives, dates, a budget per
implementation year (original, and revised after an amendment),
expenditure transactions (reversals as negative values) and results with
target and actual per indicator year. Validate it with
  xmllint --noout --schema iati-activities-schema.xsd FILE`
	default:
		return usagef("unknown export format %q: expected hledger or iati", format)
	}
	fs := a.flags("export "+format, "", about)
	var numbers []string
	fs.Func("agreement", "agreement number to export (repeatable; default every agreement)", func(v string) error {
		numbers = append(numbers, v)
		return nil
	})
	out := fs.String("out", "", "file to write (default standard output)")
	var orgRef, reporting *string
	if format == "iati" {
		orgRef = fs.String("org-ref", "", "IATI identifier of the reporting organisation, e.g. LV-RUR-90000012345 (default a placeholder derived from its name)")
		reporting = fs.String("reporting", iati.ReportingFunder, "whose export: funder (outgoing commitment, disbursements) or grantee (incoming commitment, incoming funds)")
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	if reporting != nil && *reporting != iati.ReportingFunder && *reporting != iati.ReportingGrantee {
		return usagef("--reporting %q: expected funder or grantee", *reporting)
	}
	if fs.NArg() > 0 {
		return usagef("export %s takes no arguments (got %q); use --out FILE", format, fs.Arg(0))
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	return writeOut(a, *out, func(w io.Writer) error {
		if format == "hledger" {
			return hledger.Export(ctx, store, w, hledger.Options{Agreements: numbers})
		}
		return iati.Export(ctx, store, w, iati.Options{Agreements: numbers, OrgRef: *orgRef, Reporting: *reporting, Now: a.now()})
	})
}

// writeOut writes to standard output, or to a file that appears only when
// complete (written beside it, then renamed).
func writeOut(a *app, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(a.stdout)
	}
	tmp, err := createOutputTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errorf("write %s: %w", path, err)
	}
	fmt.Fprint(a.stderr, tr(a.lang, "wrote %s\n", path))
	return nil
}
