// Package csvimport records spending from the CSV exports of accounting
// software. A Mapping names the columns of date, amount (Latvian
// "1 234,56" or plain "1234.56"), budget line, document reference,
// description and, optionally, implementation year (else derived from the
// date). Every row becomes one record_spending command whose command id is
// derived from the agreement and the row's content, so importing the same
// file again, or a later export that repeats its rows, records nothing
// twice. A bad row is reported with its row number and column and does not
// keep the other rows out.
package csvimport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// namespace of the command ids of imported rows.
var namespace = uuid.MustParse("3c0f6d1e-7a52-4b8e-9a1d-2f6c5e8b4a70")

// MaxRows bounds one import.
const MaxRows = 100_000

// RowError is what was wrong with one row: its number in the file (the
// line it starts on; the header is row 1, as a spreadsheet shows it), the
// column at fault (its header text), and why.
type RowError struct {
	Row    int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("row %d, column %q: %v", e.Row, e.Column, e.Err)
	}
	return fmt.Sprintf("row %d: %v", e.Row, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Row is one data row of the file turned into a command, or the error that
// kept it from becoming one.
type Row struct {
	Row      int
	Envelope domain.Envelope
	Spending domain.RecordSpending
	Err      *RowError
	columns  map[string]string // field -> header text of its column
}

// Agreement is what an import needs to know of the agreement: its number
// and implementation years (to derive a row's year from its date), and the
// command ids already applied to it (to tell a dry run what is recorded).
type Agreement struct {
	Number   string
	Years    []domain.YearSpec
	State    *domain.Agreement
	Commands map[uuid.UUID]bool
}

// LoadAgreement reads an agreement's stream.
func LoadAgreement(ctx context.Context, store domain.EventStore, number string) (*Agreement, error) {
	reg := domain.NewEventRegistry()
	a := &Agreement{Number: number, State: domain.NewAgreement(), Commands: map[uuid.UUID]bool{}}
	stream := domain.StreamFor(number)
	for from := uint64(0); ; {
		evs, err := store.ReadStream(ctx, stream, from, domain.Forwards, 1000)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, &domain.Error{Code: domain.ENotFound, Field: "agreement", Message: fmt.Sprintf("agreement %q is not registered", number), Err: domain.ErrNotFound}
		}
		if err != nil {
			return nil, fmt.Errorf("read agreement %s: %w", number, err)
		}
		for _, e := range evs {
			m, err := domain.DecodeMetadata(e.Metadata)
			if err != nil {
				return nil, fmt.Errorf("%s revision %d: %w", stream, e.Revision, err)
			}
			ev, err := reg.Decode(e.Type, m.SchemaVersion, e.Data)
			if err != nil {
				return nil, fmt.Errorf("%s revision %d: %w", stream, e.Revision, err)
			}
			a.State.Apply(e.ID, ev)
			a.Commands[m.CommandID] = true
		}
		if len(evs) < 1000 {
			break
		}
		from = evs[len(evs)-1].Revision + 1
	}
	for _, y := range a.State.Years() {
		a.Years = append(a.Years, y.YearSpec)
	}
	return a, nil
}

// Read parses the CSV file and returns one Row per data row. The error is
// for the file as a whole: unreadable, no header, or a mapped column that
// the header lacks.
func Read(data []byte, agr *Agreement, m Mapping, actor, reason string) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// A whole-file problem, not a row's: most likely an export in a
		// legacy code page, where every letter such as ā or š would be
		// recorded wrong. Nothing is imported.
		at := 0
		for at < len(data) {
			r, size := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		line := 1 + bytes.Count(data[:at], []byte("\n"))
		return nil, fmt.Errorf("the file is not UTF-8 (first bad byte 0x%02x on line %d); nothing was imported. "+
			"If it was exported in a Windows code page, convert it first, e.g. iconv -f WINDOWS-1257 -t UTF-8 FILE > FILE-utf8.csv", data[at], line)
	}
	if m.Comma == 0 {
		m.Comma = detectComma(data)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = m.Comma
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("the file is empty: expected a header row naming the columns")
	}
	if err != nil {
		return nil, fmt.Errorf("header row: %v", err)
	}
	cols := map[string]int{}
	for _, f := range []string{FieldDate, FieldAmount, FieldLine, FieldDocument, FieldDescription, FieldYear} {
		if f == FieldLine && m.FixedLine != "" && m.Line == "" {
			continue
		}
		i, err := findColumn(header, f, m.column(f))
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			cols[f] = i
		}
	}
	names := map[string]string{}
	for f, i := range cols {
		names[f] = header[i]
	}
	var rows []Row
	seen := map[string]int{}
	for n := 2; ; n++ {
		rec, err := r.Read()
		if err == nil {
			n, _ = r.FieldPos(0)
		}
		if err == io.EOF {
			break
		}
		if len(rows) >= MaxRows {
			return rows, fmt.Errorf("more than %d rows: split the file", MaxRows)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				n = pe.StartLine
			}
			rows = append(rows, Row{Row: n, Err: &RowError{Row: n, Err: fmt.Errorf("unreadable CSV: %v", err)}})
			continue
		}
		if blank(rec) {
			continue
		}
		row := Row{Row: n, columns: names}
		cmd, rerr := rowCommand(rec, header, cols, agr, m, n)
		if rerr != nil {
			row.Err = rerr
			rows = append(rows, row)
			continue
		}
		// The command id is derived from the agreement and the row's
		// content, and how often the same content came before in this file:
		// the same row imported again gets the same id and is not recorded
		// twice, even from a later export that repeats it among new rows.
		key := fmt.Sprintf("%s\x00%s\x00%d\x00%s\x00%d\x00%s\x00%s", agr.Number, cmd.Line, cmd.Year, cmd.Amount, cmd.Date, cmd.Document, cmd.Description)
		seen[key]++
		sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(seen[key])))
		row.Spending = cmd
		row.Envelope = domain.NewEnvelope(uuid.NewSHA1(namespace, sum[:]), actor, reason, cmd)
		rows = append(rows, row)
	}
	return rows, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// detectComma picks the separator that occurs most in the header line.
func detectComma(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// findColumn returns the index of the column for field, -1 when an
// optional field has no column, or an error naming what was looked for.
func findColumn(header []string, field, want string) (int, error) {
	names := defaults[field]
	if want != "" {
		names = []string{want}
	}
	for _, name := range names {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
				return i, nil
			}
		}
	}
	if want != "" {
		if k, err := strconv.Atoi(want); err == nil {
			if k < 1 || k > len(header) {
				return 0, fmt.Errorf("%s column %d: the file has %d columns", field, k, len(header))
			}
			return k - 1, nil
		}
	}
	if field == FieldDescription || field == FieldYear {
		return -1, nil
	}
	return 0, fmt.Errorf("no %s column: the header (%s) has none named %s; name it with --%s-col or in the mapping file",
		field, strings.Join(header, ", "), strings.Join(quote(names), " or "), field)
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func rowCommand(rec, header []string, cols map[string]int, agr *Agreement, m Mapping, n int) (domain.RecordSpending, *RowError) {
	cmd := domain.RecordSpending{Ref: domain.Ref{Agreement: agr.Number}}
	get := func(field string) (string, string, bool) {
		i, ok := cols[field]
		if !ok {
			return "", "", false
		}
		if i >= len(rec) {
			return "", header[i], true
		}
		return strings.TrimSpace(rec[i]), header[i], true
	}
	fail := func(col string, format string, args ...any) *RowError {
		return &RowError{Row: n, Column: col, Err: fmt.Errorf(format, args...)}
	}
	v, col, _ := get(FieldDate)
	d, err := domain.ParseDate(v)
	if err != nil {
		return cmd, &RowError{Row: n, Column: col, Err: err}
	}
	cmd.Date = d
	v, col, _ = get(FieldAmount)
	amt, err := domain.ParseMoney(v)
	if err != nil {
		return cmd, &RowError{Row: n, Column: col, Err: err}
	}
	if amt == 0 {
		return cmd, fail(col, "amount is zero: nothing to record")
	}
	cmd.Amount = amt
	if m.FixedLine != "" && m.Line == "" {
		cmd.Line = m.FixedLine
	} else {
		v, col, _ = get(FieldLine)
		if v == "" {
			return cmd, fail(col, "no budget line given")
		}
		cmd.Line = v
	}
	v, col, _ = get(FieldDocument)
	if v == "" {
		return cmd, fail(col, "no document reference: every spending needs the invoice or voucher it rests on")
	}
	cmd.Document = v
	if v, _, ok := get(FieldDescription); ok {
		cmd.Description = v
	}
	if v, col, ok := get(FieldYear); ok && v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1 {
			return cmd, fail(col, "year %q: expected the implementation year's number (1, 2, …)", v)
		}
		cmd.Year = y
	} else {
		for _, y := range agr.Years {
			if y.Period().Contains(d) {
				cmd.Year = y.Year
				break
			}
		}
		if cmd.Year == 0 {
			_, dcol, _ := get(FieldDate)
			return cmd, fail(dcol, "date %s lies in no implementation year of %s (%s)", d, agr.Number, yearList(agr.Years))
		}
	}
	if err := wire.Validate(cmd); err != nil {
		names := map[string]string{}
		for f, i := range cols {
			names[f] = header[i]
		}
		return cmd, &RowError{Row: n, Column: columnOf(err, names), Err: err}
	}
	return cmd, nil
}

func yearList(ys []domain.YearSpec) string {
	if len(ys) == 0 {
		return "it has none"
	}
	parts := make([]string, len(ys))
	for i, y := range ys {
		parts[i] = fmt.Sprintf("year %d %s", y.Year, y.Period())
	}
	return strings.Join(parts, ", ")
}

// columnOf names the column behind a domain error's field, if any.
func columnOf(err error, names map[string]string) string {
	field := ""
	var de *domain.Error
	if errors.As(err, &de) {
		field = de.Field
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		switch re.Rule {
		case "date-outside-year":
			field = FieldDate
		case "year-closed":
			field = FieldYear
		}
	}
	if field == FieldYear && names[FieldYear] == "" {
		field = FieldDate // the year was derived from the date
	}
	return names[field]
}

// Status is what became of a row.
type Status string

// Row statuses.
const (
	Recorded        Status = "recorded"
	WouldRecord     Status = "would record"
	AlreadyRecorded Status = "already recorded"
	Rejected        Status = "rejected"
)

// Result is the outcome of one row.
type Result struct {
	Row      int
	Status   Status
	Spending domain.RecordSpending
	EventID  uuid.UUID // the SpendingRecorded event (recorded or already recorded)
	Err      error     // a *RowError when rejected
}

// Summary counts the outcomes.
type Summary struct {
	Rows, Recorded, AlreadyRecorded, Rejected int
	DryRun                                    bool
}

func (s Summary) String() string {
	rec := "recorded"
	if s.DryRun {
		rec = "would be recorded"
	}
	return fmt.Sprintf("%d row(s): %d %s, %d skipped as already recorded, %d rejected", s.Rows, s.Recorded, rec, s.AlreadyRecorded, s.Rejected)
}

// Run records (or, with dryRun, only decides) the rows and returns one
// Result per row and the summary.
func Run(ctx context.Context, svc command.Handler, agr *Agreement, rows []Row, dryRun bool) ([]Result, Summary, error) {
	out := make([]Result, len(rows))
	sum := Summary{Rows: len(rows), DryRun: dryRun}
	var envs []domain.Envelope
	var idx []int
	for i, r := range rows {
		out[i] = Result{Row: r.Row, Spending: r.Spending}
		if r.Err != nil {
			out[i].Status, out[i].Err = Rejected, r.Err
			continue
		}
		envs = append(envs, r.Envelope)
		idx = append(idx, i)
	}
	if dryRun {
		state := agr.State
		for k, env := range envs {
			i := idx[k]
			if agr.Commands[env.CommandID] {
				out[i].Status = AlreadyRecorded
				continue
			}
			evs, err := domain.Decide(state, rows[i].Spending, env.Reason)
			if err != nil {
				out[i].Status, out[i].Err = Rejected, rowErr(rows[i], err)
				continue
			}
			for _, e := range evs {
				state.Apply(env.CommandID, e)
			}
			out[i].Status = WouldRecord
		}
	} else if len(envs) > 0 {
		// Each row's command as the service takes it: decoded back from
		// its envelope with the same strict decoding and validation as a
		// line of 'apply'. A row that does not decode is rejected.
		reqs := make([]command.Request, 0, len(envs))
		sent := make([]int, 0, len(envs))
		for k, env := range envs {
			cmd, err := wire.DecodeCommand(env)
			if err != nil {
				out[idx[k]].Status, out[idx[k]].Err = Rejected, rowErr(rows[idx[k]], err)
				continue
			}
			reqs = append(reqs, command.Request{Envelope: env, Command: cmd})
			sent = append(sent, idx[k])
		}
		var res []command.Outcome
		if len(reqs) > 0 {
			res = svc.Handle(ctx, reqs)
		}
		for k, r := range res {
			i := sent[k]
			switch {
			case r.Err != nil:
				if errors.Is(r.Err, context.Canceled) || domain.ErrorCode(r.Err) == domain.EUnavailable {
					return out[:i], sum, r.Err
				}
				out[i].Status, out[i].Err = Rejected, rowErr(rows[i], r.Err)
			case r.Result.Duplicate:
				out[i].Status = AlreadyRecorded
			default:
				out[i].Status = Recorded
			}
			if len(r.Result.Events) > 0 {
				out[i].EventID = r.Result.Events[0].ID
			}
		}
	}
	for _, r := range out {
		switch r.Status {
		case Recorded, WouldRecord:
			sum.Recorded++
		case AlreadyRecorded:
			sum.AlreadyRecorded++
		case Rejected:
			sum.Rejected++
		}
	}
	return out, sum, nil
}

func rowErr(r Row, err error) *RowError {
	return &RowError{Row: r.Row, Column: columnOf(err, r.columns), Err: err}
}
