package csvimport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

const number = "CSV/2022/1"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newLedger registers an agreement with two years and two lines.
func newLedger(t *testing.T) (*memstore.Store, *command.Service) {
	t.Helper()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	d := domain.MustDate
	cmds := []domain.Command{
		domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant, Title: "CSV", Grantee: "Biedrība", Funder: "Ministrija",
			Period: domain.Period{From: d("2022-07-15"), To: d("2024-07-14")},
			Years:  []domain.YearSpec{{Year: 1, From: d("2022-07-15"), To: d("2023-07-14")}, {Year: 2, From: d("2023-07-15"), To: d("2024-07-14")}},
			Lines:  []domain.LineSpec{{Line: "civil"}, {Line: "minority"}}},
		domain.PlanBudget{Ref: domain.Ref{Agreement: number}, Line: "civil", Year: 1, Amount: domain.MustMoney("30000")},
	}
	for _, c := range cmds {
		if _, err := commandtest.Handle(context.Background(), svc, domain.NewEnvelope(uuid.New(), "test", "", c)); err != nil {
			t.Fatal(err)
		}
	}
	return store, svc
}

func importFile(t *testing.T, store domain.EventStore, svc *command.Service, data []byte, m Mapping, dry bool) ([]Result, Summary) {
	t.Helper()
	agr, err := LoadAgreement(context.Background(), store, number)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Read(data, agr, m, "accountant@example.lv", "")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	res, sum, err := Run(context.Background(), svc, agr, rows, dry)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, sum
}

func streamLen(t *testing.T, store domain.EventStore) int {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), domain.StreamFor(number), 0, domain.Forwards, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestImportLatvianFile(t *testing.T) {
	store, svc := newLedger(t)
	data := fixture(t, "spending_lv.csv")
	res, sum := importFile(t, store, svc, data, Mapping{}, false)
	if want := (Summary{Rows: 9, Recorded: 3, Rejected: 6}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	wantRows := []struct {
		row    int
		status Status
		column string
		msg    string
	}{
		{2, Recorded, "", ""},
		{3, Recorded, "", ""},
		{4, Rejected, "Summa", "more than one decimal separator"},
		{5, Rejected, "Datums", "not a calendar day"},
		{6, Rejected, "Rinda", `no budget line "travel"`},
		{8, Rejected, "Datums", "lies in no implementation year"},
		{9, Rejected, "Dokuments", "no document reference"},
		{10, Rejected, "Summa", "negative amounts are not accepted"},
		{11, Recorded, "", ""},
	}
	if len(res) != len(wantRows) {
		t.Fatalf("results = %d, want %d", len(res), len(wantRows))
	}
	for i, w := range wantRows {
		r := res[i]
		t.Run(w.msg+string(w.status), func(t *testing.T) {
			if r.Row != w.row || r.Status != w.status {
				t.Fatalf("result %d = row %d %s (%v), want row %d %s", i, r.Row, r.Status, r.Err, w.row, w.status)
			}
			if w.status != Rejected {
				return
			}
			var re *RowError
			if !errors.As(r.Err, &re) {
				t.Fatalf("error %v is not a *RowError", r.Err)
			}
			if re.Row != w.row || re.Column != w.column || !strings.Contains(re.Error(), w.msg) {
				t.Errorf("error = %q (column %q), want row %d, column %q, containing %q", re.Error(), re.Column, w.row, w.column, w.msg)
			}
		})
	}
	t.Run("amounts and years parsed", func(t *testing.T) {
		got := []string{res[0].Spending.Amount.String(), res[1].Spending.Amount.String(), res[8].Spending.Amount.String()}
		if strings.Join(got, " ") != "1234.56 12000.00 5000.00" {
			t.Errorf("amounts = %v, want 1234.56 12000.00 5000.00", got)
		}
		if res[8].Spending.Year != 1 || res[8].Spending.Description != "Gada pēdējā diena" {
			t.Errorf("row 11 = %+v, want year 1 (derived from 14.07.2023.)", res[8].Spending)
		}
		if res[1].Spending.Description != "Pasākums; kafijas pauze" {
			t.Errorf("quoted description = %q", res[1].Spending.Description)
		}
	})

	t.Run("second import records nothing", func(t *testing.T) {
		before := streamLen(t, store)
		_, sum := importFile(t, store, svc, data, Mapping{}, false)
		if want := (Summary{Rows: 9, AlreadyRecorded: 3, Rejected: 6}); sum != want {
			t.Errorf("summary = %+v, want %+v", sum, want)
		}
		if after := streamLen(t, store); after != before {
			t.Errorf("stream grew from %d to %d events", before, after)
		}
	})
	t.Run("dry run after import says already recorded", func(t *testing.T) {
		_, sum := importFile(t, store, svc, data, Mapping{}, true)
		if want := (Summary{Rows: 9, AlreadyRecorded: 3, Rejected: 6, DryRun: true}); sum != want {
			t.Errorf("summary = %+v, want %+v", sum, want)
		}
	})
	t.Run("a later export repeating the rows adds only the new one", func(t *testing.T) {
		more := append(append([]byte{}, data...), []byte("01.03.2024;10,00;civil;RĒĶ-010;Jauna rinda\n")...)
		res, sum := importFile(t, store, svc, more, Mapping{}, false)
		if want := (Summary{Rows: 10, Recorded: 1, AlreadyRecorded: 3, Rejected: 6}); sum != want {
			t.Errorf("summary = %+v, want %+v", sum, want)
		}
		if last := res[len(res)-1]; last.Status != Recorded || last.Spending.Year != 2 {
			t.Errorf("new row = %s year %d, want recorded in year 2", last.Status, last.Spending.Year)
		}
	})
}

func TestDryRunAppendsNothing(t *testing.T) {
	store, svc := newLedger(t)
	before := streamLen(t, store)
	_, sum := importFile(t, store, svc, fixture(t, "spending_lv.csv"), Mapping{}, true)
	if want := (Summary{Rows: 9, Recorded: 3, Rejected: 6, DryRun: true}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if after := streamLen(t, store); after != before {
		t.Errorf("dry run appended: stream went from %d to %d events", before, after)
	}
	if got := sum.String(); got != "9 row(s): 3 would be recorded, 0 skipped as already recorded, 6 rejected" {
		t.Errorf("summary text = %q", got)
	}
}

func TestImportWithMappingFile(t *testing.T) {
	store, svc := newLedger(t)
	f, err := os.Open(filepath.Join("..", "..", "testdata", "interop", "spending_plain.mapping"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadMapping(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Date != "Posting date" || m.Year != "Impl. year" || m.Comma != ',' {
		t.Fatalf("mapping = %+v", m)
	}
	res, sum := importFile(t, store, svc, fixture(t, "spending_plain.csv"), m, false)
	if want := (Summary{Rows: 4, Recorded: 2, Rejected: 2}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if res[1].Spending.Amount != domain.MustMoney("80.50") || res[0].Spending.Year != 2 {
		t.Errorf("rows = %+v %+v", res[0].Spending, res[1].Spending)
	}
	var re *RowError
	if !errors.As(res[2].Err, &re) || re.Row != 4 || re.Column != "Posting date" || !strings.Contains(re.Error(), "outside year 1") {
		t.Errorf("row 4 error = %v, want the date outside year 1 named in column \"Posting date\"", res[2].Err)
	}
	if !errors.As(res[3].Err, &re) || re.Row != 5 || re.Column != "Value EUR" {
		t.Errorf("row 5 error = %v, want column \"Value EUR\"", res[3].Err)
	}
}

func TestReadRejectsTheFile(t *testing.T) {
	agr := &Agreement{Number: number}
	tests := []struct {
		name, data string
		m          Mapping
		want       string
	}{
		{"empty file", "", Mapping{}, "the file is empty"},
		{"no amount column", "date;line;document\n", Mapping{}, `no amount column`},
		{"column index out of range", "a,b\n", Mapping{Date: "7", Amount: "a", Line: "a", Document: "a"}, "date column 7: the file has 2 columns"},
		// "Apmaksa ēdināšanai" with ē (0xE7) in Windows-1257, on line 3.
		{"not UTF-8", "date;amount;line;document;description\n2022-05-01;10,00;civil;D1;ok\n2022-05-02;11,00;civil;D2;Apmaksa \xe7din\xe2\xf0anai\n", Mapping{}, "the file is not UTF-8 (first bad byte 0xe7 on line 3); nothing was imported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read([]byte(tt.data), agr, tt.m, "a", "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("fixed line and column positions", func(t *testing.T) {
		agr := &Agreement{Number: number, Years: []domain.YearSpec{{Year: 1, From: domain.MustDate("2022-01-01"), To: domain.MustDate("2022-12-31")}}}
		rows, err := Read([]byte("x\tsum\tdoc\n2022-05-01\t1 000,5\tD1\n"), agr, Mapping{Date: "1", Amount: "2", Document: "3", FixedLine: "civil"}, "a", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Err != nil || rows[0].Spending.Line != "civil" || rows[0].Spending.Amount != domain.MustMoney("1000.50") {
			t.Errorf("rows = %+v", rows)
		}
	})
}

func TestReadMapping(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown field", "colour = red\n", `unknown field "colour"`},
		{"no equals sign", "date Datums\n", "expected field = column"},
		{"bad delimiter", "delimiter = ;;\n", "expected one character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadMapping(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadMapping error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
