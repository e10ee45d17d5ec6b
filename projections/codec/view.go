package codec

import (
	"fmt"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// viewGob is a projections.AgreementView as the snapshots store it: the
// same fields under the same names (gob matches fields by name, so the
// bytes are those of the view itself), the aggregate as its plain state,
// domain.AgreementState. TestViewGobMirrorsAgreementView keeps the two
// alike: a field added to the view and not here would be lost in a
// snapshot.
type viewGob struct {
	Stream           string
	Agg              *domain.AgreementState
	Spendings        []projections.SpendingRow
	Returns          []projections.ReturnRow
	Carries          []projections.CarryRow
	Amendments       []projections.AmendmentRow
	Deliveries       []projections.DeliveryRow
	TargetAmendments []projections.TargetAmendmentRow
	Seals            []projections.SealRow
	Events           int
	LastAt           time.Time
}

// toGob returns v in its stored form, with agg (v.Agg's state, perhaps
// trimmed) as its aggregate and spendings as its rows.
func toGob(v *projections.AgreementView, agg *domain.AgreementState, spendings []projections.SpendingRow) *viewGob {
	return &viewGob{Stream: v.Stream, Agg: agg, Spendings: spendings, Returns: v.Returns, Carries: v.Carries, Amendments: v.Amendments,
		Deliveries: v.Deliveries, TargetAmendments: v.TargetAmendments, Seals: v.Seals, Events: v.Events, LastAt: v.LastAt}
}

// view rebuilds the view, its aggregate through domain.RestoreAgreement
// (which refuses a state it cannot trust: the caller rebuilds from the
// events).
func (g *viewGob) view() (*projections.AgreementView, error) {
	if g == nil || g.Agg == nil {
		return nil, fmt.Errorf("decode read model snapshot: a view without its agreement")
	}
	agg, err := domain.RestoreAgreement(*g.Agg)
	if err != nil {
		return nil, fmt.Errorf("read model snapshot: %w", err)
	}
	return &projections.AgreementView{Stream: g.Stream, Agg: agg, Spendings: g.Spendings, Returns: g.Returns, Carries: g.Carries,
		Amendments: g.Amendments, Deliveries: g.Deliveries, TargetAmendments: g.TargetAmendments, Seals: g.Seals, Events: g.Events, LastAt: g.LastAt}, nil
}
