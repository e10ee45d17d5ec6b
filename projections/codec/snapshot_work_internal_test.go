package codec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// workLedger is one agreement with an indicator, two deliveries (one
// reversed), a target amendment and a sealed report.
func workLedger() *projections.Ledger {
	l := projections.NewLedger(time.Time{})
	d := domain.MustDate
	pos := uint64(0)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	apply := func(id uuid.UUID, e domain.Event) {
		pos++
		l.Apply(projections.Event{Position: domain.Position{Commit: pos, Prepare: pos}, Stream: "agreement-w", Revision: pos - 1, ID: id, Type: e.EventType(),
			Meta: projections.Meta{EventID: id, CommandID: uuid.New(), Actor: "a", RecordedAt: at.Add(time.Duration(pos) * time.Second), Hash: fmt.Sprintf("%064x", pos)}, Data: e})
	}
	apply(uuid.New(), domain.AgreementRegistered{Number: "W/1", Kind: domain.KindMemorandum, Title: "t", Grantee: "g", Funder: "f",
		Period: domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}, Years: []domain.YearSpec{{Year: 1, From: d("2024-01-01"), To: d("2024-12-31")}}})
	apply(uuid.New(), domain.IndicatorDefined{Indicator: "i", Name: "n", Unit: "u", Aggregation: domain.AggSum, Targets: []domain.IndicatorTarget{{Year: 1, Target: 2}}})
	wrong := uuid.New()
	apply(wrong, domain.IndicatorDelivered{Indicator: "i", Year: 1, Quantity: 20, Date: d("2024-02-01")})
	apply(uuid.New(), domain.DeliveryReversed{Delivery: wrong, Indicator: "i", Year: 1, Date: d("2024-02-02"), Reason: "typo"})
	apply(uuid.New(), domain.IndicatorDelivered{Indicator: "i", Year: 1, Quantity: 2, Date: d("2024-02-01")})
	apply(uuid.New(), domain.ReportRequired{Report: "r", Kind: domain.ReportInterim, Year: 1, Due: d("2024-06-30")})
	apply(uuid.New(), domain.ReportSubmitted{Report: "r", Year: 1, Submission: 1, Date: d("2024-06-01"), SHA256: strings.Repeat("a", 64),
		Lines: []domain.SealedLine{}, Indicators: []domain.SealedIndicator{{Indicator: "i", Delivered: 2}}})
	return l
}

// A version 6 snapshot keeps deliveries by id, reversals, obligations and
// seals; a snapshot whose aggregates count deliveries they do not hold by
// id (as every snapshot written before version 6 does) is refused with
// "rebuild", so the projector folds the events again.
func TestSnapshotKeepsWorkAndRefusesOneWithoutDeliveries(t *testing.T) {
	l := workLedger()
	blob, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersionOf(t, blob); v != snapshotVersion6 {
		t.Fatalf("written as version %d, want %d", v, snapshotVersion6)
	}
	var back *projections.Ledger
	if err := restoreTo(&back, blob); err != nil {
		t.Fatal(err)
	}
	x, y := l.Agreements()[0], back.Agreements()[0]
	if !reflect.DeepEqual(x.Agg, y.Agg) || !reflect.DeepEqual(x.Deliveries, y.Deliveries) || !reflect.DeepEqual(x.Seals, y.Seals) {
		t.Error("the restored agreement differs from the folded one")
	}
	v, _ := back.Agreement("W/1")
	if v.Agg.Indicators()["i"].Value(1) != 2 || len(v.Agg.Work().Deliveries) != 2 || len(v.Seals) != 1 || v.Agg.Work().Obligations["r"].Status != domain.ObligationSubmitted {
		t.Errorf("restored: value %d, %d deliveries, %d seals, obligation %+v", v.Agg.Indicators()["i"].Value(1), len(v.Agg.Work().Deliveries), len(v.Seals), v.Agg.Work().Obligations["r"])
	}
	// As an older program wrote it: the deliveries the aggregate counts,
	// none of them by id.
	old := workLedger()
	o, _ := old.Agreement("W/1")
	clear(o.Agg.Work().Deliveries) // the agreement's own map, emptied as that program left it
	blob, err = Encode(old)
	if err != nil {
		t.Fatal(err)
	}
	var refused *projections.Ledger
	if err := restoreTo(&refused, blob); err == nil || !strings.Contains(err.Error(), "rebuild") || !strings.Contains(err.Error(), "counts 1 indicator deliveries but holds 0") {
		t.Errorf("a snapshot without deliveries by id: %v; want a refusal that says rebuild", err)
	}
}

// A version 6 snapshot written before deliveries kept their place in the
// recording order (domain.Delivery.Seq) cannot say which of two same-day
// deliveries of a "latest" indicator was recorded later, which a reversal
// needs: it is refused with "rebuild", so the projector folds the events
// again; one written now keeps the order through the round trip.
func TestSnapshotRefusesDeliveriesWithoutTheirRecordingOrder(t *testing.T) {
	l := workLedger()
	blob, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	var back *projections.Ledger
	if err := restoreTo(&back, blob); err != nil {
		t.Fatal(err)
	}
	v, _ := back.Agreement("W/1")
	seqs := map[int]bool{}
	for _, d := range v.Agg.Work().Deliveries {
		seqs[d.Seq] = true
	}
	if !seqs[1] || !seqs[2] || len(seqs) != 2 {
		t.Errorf("restored recording order %v, want deliveries 1 and 2", seqs)
	}
	old := workLedger()
	o, _ := old.Agreement("W/1")
	for _, d := range o.Agg.Work().Deliveries {
		d.Seq = 0 // as the program before this field wrote it
	}
	blob, err = Encode(old)
	if err != nil {
		t.Fatal(err)
	}
	var refused *projections.Ledger
	if err := restoreTo(&refused, blob); err == nil || !strings.Contains(err.Error(), "rebuild") || !strings.Contains(err.Error(), "recording order") {
		t.Errorf("a snapshot without the recording order: %v; want a refusal that says rebuild", err)
	}
}
