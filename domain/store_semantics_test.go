package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestExpectedRevisionAllows: the optimistic-concurrency expectations as
// their comments (and EventStoreDB's) define them. actual is the stream's
// last revision, -1 for a stream without events.
func TestExpectedRevisionAllows(t *testing.T) {
	for _, c := range []struct {
		e      ExpectedRevision
		name   string
		actual int64
		want   bool
	}{
		{Any, "any", -1, true}, {Any, "any", 0, true}, {Any, "any", 7, true},
		{NoStream, "no-stream", -1, true}, {NoStream, "no-stream", 0, false}, {NoStream, "no-stream", 3, false},
		{StreamExists, "stream-exists", -1, false}, {StreamExists, "stream-exists", 0, true}, {StreamExists, "stream-exists", 9, true},
		{Exact(0), "0", -1, false}, {Exact(0), "0", 0, true}, {Exact(0), "0", 1, false},
		{Exact(5), "5", 4, false}, {Exact(5), "5", 5, true}, {Exact(5), "5", 6, false},
	} {
		if got := c.e.Allows(c.actual); got != c.want {
			t.Errorf("%s.Allows(%d) = %v, want %v", c.name, c.actual, got, c.want)
		}
		if got := c.e.String(); got != c.name {
			t.Errorf("String() = %q, want %q", got, c.name)
		}
	}
	if r, ok := Exact(5).Revision(); r != 5 || !ok {
		t.Errorf("Exact(5).Revision() = %d, %v", r, ok)
	}
	if _, ok := Any.Revision(); ok {
		t.Error("Any.Revision() says exact")
	}
	if !Any.IsAny() || Any.IsNoStream() || Any.IsStreamExists() || !NoStream.IsNoStream() || !StreamExists.IsStreamExists() || Exact(1).IsAny() {
		t.Error("IsAny/IsNoStream/IsStreamExists disagree with the kind")
	}
}

// TestPositionOrder: positions compare by commit, then prepare; the zero
// position is the start.
func TestPositionOrder(t *testing.T) {
	for _, c := range []struct {
		p, q Position
		less bool
	}{
		{Position{1, 1}, Position{2, 2}, true}, {Position{2, 2}, Position{1, 1}, false},
		{Position{2, 1}, Position{2, 3}, true}, {Position{2, 3}, Position{2, 1}, false},
		{Position{2, 2}, Position{2, 2}, false}, {Position{1, 9}, Position{2, 0}, true},
	} {
		if got := c.p.Less(c.q); got != c.less {
			t.Errorf("%v.Less(%v) = %v, want %v", c.p, c.q, got, c.less)
		}
	}
	if !(Position{}).IsZero() || (Position{0, 1}).IsZero() || (Position{1, 0}).IsZero() {
		t.Error("IsZero: only {0, 0} is the start")
	}
	if s := (Position{7, 7}).String(); s != "7" {
		t.Errorf("String of {7,7} = %q, want 7", s)
	}
	if s := (Position{7, 5}).String(); s != "7/5" {
		t.Errorf("String of {7,5} = %q, want 7/5", s)
	}
	a := AppendResult{NextRevision: 3, Position: Position{9, 9}}
	if !a.SameAppend(AppendResult{NextRevision: 3, Position: Position{9, 9}, Existing: true}) {
		t.Error("SameAppend: a retry answered as Existing is the same append")
	}
	if a.SameAppend(AppendResult{NextRevision: 4, Position: Position{9, 9}}) || a.SameAppend(AppendResult{NextRevision: 3, Position: Position{9, 8}}) {
		t.Error("SameAppend: another revision or position is another append")
	}
}

// TestEventRegistryUpcasts: stored JSON of an older schema version is
// brought up step by step; a version newer than the program, a missing
// step, an unknown type and a failing upcaster are refused with the reason.
func TestEventRegistryUpcasts(t *testing.T) {
	r := NewEventRegistry()
	// YearClosed at version 3: v1 {"y": n} -> v2 {"year_v2": n} -> v3 {"year": n, "date": …}.
	r.Register(TypeYearClosed, 3, func() Event { return &YearClosed{} })
	var steps []int
	r.AddUpcaster(TypeYearClosed, 1, func(b []byte) ([]byte, error) {
		steps = append(steps, 1)
		return []byte(strings.Replace(string(b), `"y"`, `"year_v2"`, 1)), nil
	})
	r.AddUpcaster(TypeYearClosed, 2, func(b []byte) ([]byte, error) {
		steps = append(steps, 2)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"year": m["year_v2"], "date": "2024-12-31"})
	})
	if r.Version(TypeYearClosed) != 3 || r.Version("Nope") != 0 {
		t.Errorf("Version: %d and %d, want 3 and 0", r.Version(TypeYearClosed), r.Version("Nope"))
	}
	for _, version := range []int{0, 1} { // 0 is read as 1
		steps = nil
		ev, err := r.Decode(TypeYearClosed, version, []byte(`{"y": 2}`))
		if err != nil {
			t.Fatalf("decode version %d: %v", version, err)
		}
		if yc, ok := ev.(YearClosed); !ok || yc.Year != 2 || yc.Date.String() != "2024-12-31" {
			t.Errorf("decode version %d: %#v, want year 2", version, ev)
		}
		if len(steps) != 2 || steps[0] != 1 || steps[1] != 2 {
			t.Errorf("decode version %d: upcasters run %v, want [1 2]", version, steps)
		}
	}
	steps = nil
	if _, err := r.Decode(TypeYearClosed, 3, []byte(`{"year": 1, "date": "2024-12-31"}`)); err != nil || len(steps) != 0 {
		t.Errorf("current version: err %v, upcasters run %v, want none", err, steps)
	}
	for _, c := range []struct {
		typ     string
		version int
		data    string
		says    string
	}{
		{TypeYearClosed, 4, `{}`, "newer than this program knows (3)"},
		{"Nope", 1, `{}`, `unknown event type "Nope"`},
		{TypeYearClosed, 3, `{"year": "x"}`, "decode"},
	} {
		if _, err := r.Decode(c.typ, c.version, []byte(c.data)); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Decode(%s, %d, %s): %v, want an error saying %q", c.typ, c.version, c.data, err, c.says)
		}
	}
	r.Register(TypeSpendingRecorded, 2, func() Event { return &SpendingRecorded{} })
	if _, err := r.Decode(TypeSpendingRecorded, 1, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "no upcaster from schema version 1") {
		t.Errorf("missing upcaster: %v", err)
	}
	r.AddUpcaster(TypeSpendingRecorded, 1, func([]byte) ([]byte, error) { return nil, errors.New("bad old data") })
	if _, err := r.Decode(TypeSpendingRecorded, 1, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "upcast from version 1: bad old data") {
		t.Errorf("failing upcaster: %v", err)
	}
	// The event types of docs/commands.md, sorted: the ledger's 13, the
	// 5 of money that moves (issue 14), the 2 of tokens (issue 12) and the
	// 10 of work plans, obligations, documents and narratives (issue 15).
	want := []string{"AgreementRegistered", "BudgetAmended", "BudgetLineAdded", "BudgetPlanned",
		"DeliveryReversed", "DisbursementPlanned", "DisbursementRecorded", "DisbursementReversed",
		"DocumentLinked", "DocumentRegistered",
		"IndicatorDefined", "IndicatorDelivered", "IneligibleExpenditureDeclared", "IneligibleExpenditureRecovered",
		"NarrativeRecorded", "PartyAdded", "PlanSplit", "RefundRecorded", "RemainderCarriedOver",
		"ReportAccepted", "ReportRequired", "ReportReturned", "ReportSubmitted",
		"SpendingRecorded", "SpendingReversed", "TargetAmended",
		"TokenCreated", "TokenRevoked", "UnspentReturned", "YearClosed"}
	if types := r.Types(); strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("Types() = %v, want %v", types, want)
	}
}
