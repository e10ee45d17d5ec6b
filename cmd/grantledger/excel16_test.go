package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// Issue 16, item 4: the files a Latvian accountant opens in a spreadsheet
// are read back with readers that are not ours: Python's csv module with
// Excel's dialect and ';', and openpyxl for XLSX (Debian's python3 and
// python3-openpyxl, installed by .ci/run). The figures expected are seed
// 004's year 2 from its summary (shared/seeds): planned 30 000,00 and
// 19 000,00 (49 000,00), carried in 1 040,13 and 173,34 (1 213,47), spent
// 30 000,00 and 19 000,00 (49 000,00), so 1 040,13 and 173,34 remain
// (1 213,47).

// python finds a python3 that has openpyxl: $GRANTLEDGER_PYTHON, Debian's
// /usr/bin/python3, or python3 on PATH.
func python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, p := range []string{os.Getenv("GRANTLEDGER_PYTHON"), "/usr/bin/python3", "python3"} {
		if p == "" {
			continue
		}
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import openpyxl, csv").Run() == nil {
			return path
		}
		tried = append(tried, path)
	}
	envtest.Missing(t, "no python3 with openpyxl (tried %v): install Debian's python3-openpyxl or set GRANTLEDGER_PYTHON", tried)
	return ""
}

// readerScript prints, as JSON, what the outside readers see in the files
// named on its command line: for a CSV its first bytes and rows; for an
// XLSX its properties, sheet names, the first sheet's column A and every
// sheet's rows (numbers as exact decimal strings).
const readerScript = `
import csv, json, sys, decimal, openpyxl
out = {}
for path in sys.argv[1:]:
    if path.endswith('.csv'):
        raw = open(path, 'rb').read()
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f, dialect='excel', delimiter=';'))
        out[path] = {'bom': raw[:3] == b'\xef\xbb\xbf', 'rows': rows}
    else:
        wb = openpyxl.load_workbook(path)
        def cell(v):
            if v is None: return ''
            if isinstance(v, (int, float)) and not isinstance(v, bool): return str(decimal.Decimal(repr(v)).quantize(decimal.Decimal('0.01')))
            return str(v)
        ro = openpyxl.load_workbook(path, read_only=True)
        dims = {ws.title: ws.calculate_dimension() for ws in ro.worksheets}
        used = {}
        for ws in wb.worksheets:
            cells = [(c.row, c.column) for r in ws.iter_rows() for c in r if c.value is not None]
            used[ws.title] = 'A1:%s%d' % (openpyxl.utils.get_column_letter(max(c for _, c in cells)), max(r for r, _ in cells))
        p = wb.properties
        out[path] = {'creator': p.creator or '', 'created': p.created.isoformat() if p.created else '',
            'sheets': wb.sheetnames, 'dims': dims, 'used': used,
            'sheet_rows': {ws.title: [[cell(c) for c in r] for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}}
print(json.dumps(out))
`

type readBack struct {
	BOM       bool                  `json:"bom"`
	Rows      [][]string            `json:"rows"`
	Creator   string                `json:"creator"`
	Created   string                `json:"created"`
	Sheets    []string              `json:"sheets"`
	SheetRows map[string][][]string `json:"sheet_rows"`
	Dims      map[string]string     `json:"dims"` // as the file declares (read-only readers trust it)
	Used      map[string]string     `json:"used"` // as the cells with values span
}

func readOutside(t *testing.T, py string, files ...string) map[string]readBack {
	t.Helper()
	out, err := exec.Command(py, append([]string{"-c", readerScript}, files...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("python reader: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("python reader: %v", err)
	}
	var m map[string]readBack
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("python reader's output: %v\n%s", err, out)
	}
	return m
}

// column returns the index of the header cell that is name, else of the
// first that starts with name followed by a space.
func column(head []string, name string) int {
	for i, h := range head {
		if h == name {
			return i
		}
	}
	for i, h := range head {
		if strings.HasPrefix(h, name+" ") {
			return i
		}
	}
	return -1
}

func TestExcelFilesReadBack(t *testing.T) {
	py := python(t)
	db := demoDB(t)
	dir := t.TempDir()
	t.Logf("files in %s", dir)
	files := map[string][]string{
		"lv.csv":  {"--format", "csv", "--csv", "excel", "--lang", "lv"},
		"en.csv":  {"--format", "csv", "--csv", "excel", "--lang", "en"},
		"m.csv":   {"--format", "csv", "--lang", "lv"}, // the machine dialect stays as it was
		"lv.xlsx": {"--format", "xlsx", "--lang", "lv"},
	}
	var paths []string
	for name, flags := range files {
		p := filepath.Join(dir, name)
		args := append([]string{"report", "--db", db, "--agreement", seeds.Seed004, "--year", "2", "--out", p}, flags...)
		if _, errs, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		paths = append(paths, p)
	}
	got := readOutside(t, py, paths...)

	// Seed 004, year 2, per line (civil, minority) and in total.
	type want struct{ planned, carriedIn, actual, remainder string }
	lines := []want{{"30000.00", "1040.13", "30000.00", "1040.13"}, {"19000.00", "173.34", "19000.00", "173.34"}, {"49000.00", "1213.47", "49000.00", "1213.47"}}
	heads := map[string][4]string{"lv": {"Plānots", "Pārcelts no", "Faktiski", "Atlikums"}, "en": {"Planned", "Carried in", "Actual", "Remainder"}}
	for _, c := range []struct {
		file, lang string
		comma      bool
	}{{"lv.csv", "lv", true}, {"en.csv", "en", false}} {
		r := got[filepath.Join(dir, c.file)]
		if !r.BOM {
			t.Errorf("%s: no UTF-8 byte-order mark", c.file)
		}
		if len(r.Rows) != 4 {
			t.Fatalf("%s: %d rows read, want a header, two lines and the total: %q", c.file, len(r.Rows), r.Rows)
		}
		head := r.Rows[0]
		agr, yr := map[bool]string{true: "Līgums", false: "Agreement"}[c.lang == "lv"], map[bool]string{true: "Gads", false: "Year"}[c.lang == "lv"]
		if len(head) < 2 || head[0] != agr || head[1] != yr {
			t.Errorf("%s: header %q, want %s and %s first", c.file, head, agr, yr)
		}
		for i, w := range lines {
			row := r.Rows[i+1]
			if row[0] != seeds.Seed004 || row[1] != "2" {
				t.Errorf("%s row %d: agreement and year %q %q, want %s 2", c.file, i+1, row[0], row[1], seeds.Seed004)
			}
			for k, v := range []string{w.planned, w.carriedIn, w.actual, w.remainder} {
				col := column(head, heads[c.lang][k])
				if c.comma {
					v = strings.Replace(v, ".", ",", 1)
				}
				if col < 0 || row[col] != v {
					t.Errorf("%s row %d, %s: got %q, want %q (header %q)", c.file, i+1, heads[c.lang][k], at(row, col), v, head)
				}
			}
		}
	}
	if m := got[filepath.Join(dir, "m.csv")]; m.BOM || len(m.Rows) == 0 || len(m.Rows[0]) != 1 {
		// The machine dialect has ',' between cells, so the ';' reader
		// sees one cell per row; and it has no BOM.
		t.Errorf("machine CSV changed: BOM %v, first row %q", m.BOM, at2(m.Rows))
	}

	x := got[filepath.Join(dir, "lv.xlsx")]
	if x.Creator != "grantledger" || !strings.HasPrefix(x.Created, "20") || strings.HasPrefix(x.Created, "2006") {
		t.Errorf("XLSX properties: creator %q created %q, want grantledger and the time it was made", x.Creator, x.Created)
	}
	for _, s := range x.Sheets {
		if s == "Lines" || s == "Indicators" || s == "Summary" {
			t.Errorf("XLSX sheet %q is named in English in a Latvian workbook: %q", s, x.Sheets)
		}
	}
	for sh, d := range x.Used {
		if x.Dims[sh] != d {
			t.Errorf("XLSX sheet %s declares the dimension %s, its cells span %s", sh, x.Dims[sh], d)
		}
	}
	if len(x.Sheets) < 2 {
		t.Fatalf("XLSX sheets %q", x.Sheets)
	}
	first := x.SheetRows[x.Sheets[0]]
	for i, r := range first {
		// A row with a value in B (a field) has a heading above it.
		if len(r) > 1 && r[1] != "" && i > 0 && allEmpty(first[i-1]) {
			t.Errorf("XLSX first sheet row %d %q has no heading above it", i+1, r)
		}
	}
	sheet := x.SheetRows[x.Sheets[1]]
	if len(sheet) != 4 {
		t.Fatalf("XLSX %s: %d rows, want 4: %q", x.Sheets[1], len(sheet), sheet)
	}
	for i, w := range lines {
		for k, v := range []string{w.planned, w.carriedIn, w.actual, w.remainder} {
			col := column(sheet[0], heads["lv"][k])
			if col < 0 || sheet[i+1][col] != v {
				t.Errorf("XLSX %s row %d, %s: got %q, want %s", x.Sheets[1], i+2, heads["lv"][k], at(sheet[i+1], col), v)
			}
		}
	}
}

func at(r []string, i int) string {
	if i < 0 || i >= len(r) {
		return "(no such column)"
	}
	return r[i]
}

func at2(rows [][]string) []string {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

func allEmpty(r []string) bool {
	for _, c := range r {
		if c != "" {
			return false
		}
	}
	return true
}
