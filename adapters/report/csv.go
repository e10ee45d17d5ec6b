package report

import (
	"encoding/csv"
	"io"
)

// WriteCSV writes the document's main table (its first) as CSV for other
// programs: a header row of column labels, then one row per line, then
// the totals. Amounts are plain decimals with a point ("47786.53"),
// percentages "95.83", dates "2022-07-15", whatever the language of the
// labels. Further tables, if asked for, follow with WriteCSVTable.
func WriteCSV(w io.Writer, d Document) error {
	ts := d.Tables()
	if len(ts) == 0 {
		return nil
	}
	return WriteCSVTable(w, ts[0])
}

// WriteCSVTable writes one table as CSV.
func WriteCSVTable(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Columns); err != nil {
		return err
	}
	for _, r := range append(append([][]Cell{}, t.Rows...), t.Footer...) {
		rec := make([]string, len(t.Columns))
		for i := range rec {
			if i < len(r) {
				rec[i] = r[i].Plain()
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
