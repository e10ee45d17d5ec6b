package summaries_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/app/summaries"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
)

// seedLedger is the read model of the three seed scenarios (shared/seeds):
// seed 001 and 003 have one implementation year, seed 004 three.
func seedLedger(t *testing.T) *readmodel.Runner {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	envs := seeds.All()
	for i, o := range commandtest.HandleBatch(ctx, svc, envs) {
		if o.Err != nil {
			t.Fatalf("seed command %d (%s): %v", i, envs[i].Type, o.Err)
		}
	}
	rm, err := readmodel.Open(ctx, store, readmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rm
}

// labelled renders each file as a line naming what it is, so the test can
// tell which report went into which file.
type labelled struct{}

func (labelled) Year(r projections.YearReport) func(string) ([]byte, error) {
	return func(format string) ([]byte, error) {
		return fmt.Appendf(nil, "%s of %s year %d", format, r.Agreement, r.Year), nil
	}
}

func (labelled) IndexMarkdown(entries []summaries.Entry, cp *summaries.Checkpoint) []byte {
	return fmt.Appendf(nil, "index of %d, checkpoint %v", len(entries), cp != nil)
}

type file struct {
	name string
	data string
}

// recorder keeps the files in the order they were handed over; failAt,
// when > 0, fails that write (1 = the first).
type recorder struct {
	files  []file
	failAt int
}

var errFull = errors.New("disk full")

func (r *recorder) Write(name string, data []byte) error {
	if r.failAt > 0 && len(r.files)+1 == r.failAt {
		return errFull
	}
	r.files = append(r.files, file{name, string(data)})
	return nil
}

func (r *recorder) index(t *testing.T, name string) []summaries.Entry {
	t.Helper()
	for _, f := range r.files {
		if f.name == name {
			var es []summaries.Entry
			if err := json.Unmarshal([]byte(f.data), &es); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return es
		}
	}
	t.Fatalf("no %s among %v", name, r.files)
	return nil
}

// The file names are the agreement numbers made safe as docs/cli.md
// and docs/REPORTS.md say ("/" is written "_2F"), in agreement order, each
// with its year and format.
var (
	name001 = "2021.LV_2FNVOF_2FMIC_2F031_2F10"
	name003 = "AIF_2F2022_2FKAPAC2_2F104"
	name004 = "KNVOC-2022-2025"
)

func TestRunYearOneWritesEveryAgreement(t *testing.T) {
	rm := seedLedger(t)
	out := &recorder{}
	cp := &summaries.Checkpoint{Size: 7, Verified: true}
	res, err := summaries.Run(rm, summaries.Options{Year: 1, Formats: []string{"json", "text"}, Today: domain.MustDate("2026-03-01"), Checkpoint: cp}, labelled{}, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []file{
		{name001 + "-year1.json", "json of " + seeds.Seed001 + " year 1"},
		{name001 + "-year1.txt", "text of " + seeds.Seed001 + " year 1"},
		{name003 + "-year1.json", "json of " + seeds.Seed003 + " year 1"},
		{name003 + "-year1.txt", "text of " + seeds.Seed003 + " year 1"},
		{name004 + "-year1.json", "json of " + seeds.Seed004 + " year 1"},
		{name004 + "-year1.txt", "text of " + seeds.Seed004 + " year 1"},
	}
	if len(out.files) != len(want)+2 {
		t.Fatalf("%d files handed over, want %d reports and the two index files: %v", len(out.files), len(want), out.files)
	}
	if !reflect.DeepEqual(out.files[:len(want)], want) {
		t.Errorf("report files:\n%v\nwant\n%v", out.files[:len(want)], want)
	}
	if out.files[6].name != "index-year1.json" || out.files[7] != (file{"index-year1.md", "index of 3, checkpoint true"}) {
		t.Errorf("index files: %v, %v", out.files[6].name, out.files[7])
	}
	if res.Reports != 3 || res.Index != "index-year1" {
		t.Errorf("result %+v, want 3 reports and index-year1", res)
	}
	es := out.index(t, "index-year1.json")
	for i, number := range []string{seeds.Seed001, seeds.Seed003, seeds.Seed004} {
		e := es[i]
		if e.Agreement != number || e.Year != 1 || len(e.Files) != 2 || e.Files[0] != want[2*i].name || e.Files[1] != want[2*i+1].name {
			t.Errorf("index entry %d: %+v, want %s year 1 with %s and %s", i, e, number, want[2*i].name, want[2*i+1].name)
		}
		if e.Checkpoint == nil || *e.Checkpoint != *cp {
			t.Errorf("index entry %d names checkpoint %+v, want %+v", i, e.Checkpoint, cp)
		}
		if e.Findings == nil {
			t.Errorf("index entry %d: findings is null, want a list (the JSON index contract)", i)
		}
	}
}

// Seed 004's year 2 leaves 1 213,47 carried in neither spent, carried over
// nor returned (shared/DOMAIN.md): its report has the unexplained
// remainder finding. Seeds 001 and 003 have no year 2.
func TestRunYearTwoCountsFindings(t *testing.T) {
	rm := seedLedger(t)
	out := &recorder{}
	res, err := summaries.Run(rm, summaries.Options{Year: 2, Formats: []string{"md"}, Today: domain.MustDate("2026-03-01")}, labelled{}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reports != 1 || res.WithFindings != 1 {
		t.Fatalf("result %+v, want 1 report with findings", res)
	}
	es := out.index(t, "index-year2.json")
	if len(es) != 1 || es[0].Agreement != seeds.Seed004 || es[0].Closed {
		t.Fatalf("index %+v, want seed 004's open year 2 alone", es)
	}
	found := false
	for _, c := range es[0].Findings {
		found = found || c == projections.FindingUnexplainedRemainder
	}
	if !found {
		t.Errorf("findings %v, want %s among them", es[0].Findings, projections.FindingUnexplainedRemainder)
	}
}

// With a date, each agreement's year is the one that contains it: on
// 2024-03-01 seed 004 is in its year 2 (2023-07-15 to 2024-07-14, as the
// demo prints it); seeds 001 and 003 had ended.
func TestRunByDate(t *testing.T) {
	rm := seedLedger(t)
	out := &recorder{}
	res, err := summaries.Run(rm, summaries.Options{Date: domain.MustDate("2024-03-01"), Formats: []string{"json"}, Today: domain.MustDate("2026-03-01")}, labelled{}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != "index-2024-03-01" || res.Reports != 1 {
		t.Fatalf("result %+v, want one report and index-2024-03-01", res)
	}
	if out.files[0] != (file{name004 + "-year2.json", "json of " + seeds.Seed004 + " year 2"}) {
		t.Errorf("first file %+v, want seed 004's year 2", out.files[0])
	}
}

func TestRunScope(t *testing.T) {
	rm := seedLedger(t)
	out := &recorder{}
	res, err := summaries.Run(rm, summaries.Options{Year: 1, Scope: projections.Scope{Agreement: seeds.Seed003}, Formats: []string{"json"}}, labelled{}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reports != 1 || out.files[0].name != name003+"-year1.json" {
		t.Fatalf("result %+v, files %v: want seed 003's report alone", res, out.files)
	}
}

// A failed write stops the job with that error; nothing after it is
// handed over.
func TestRunStopsAtTheFirstFailedWrite(t *testing.T) {
	rm := seedLedger(t)
	out := &recorder{failAt: 2}
	_, err := summaries.Run(rm, summaries.Options{Year: 1, Formats: []string{"json"}}, labelled{}, out)
	if !errors.Is(err, errFull) {
		t.Fatalf("got %v, want the sink's error", err)
	}
	if len(out.files) != 1 {
		t.Fatalf("%d files handed over, want the one before the failure", len(out.files))
	}
}
