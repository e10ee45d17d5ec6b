package domain_test

import (
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// A state as an older read-model snapshot holds it: no dues, no figures
// as closed. Returns make it inconsistent (it must be rebuilt); closed
// years get their current figures as closed.
func TestOlderStateFromASnapshot(t *testing.T) {
	f := registered(t)
	closedYear1(f)
	old := f.a.State()
	old.Cash = domain.CashState{}
	old.Adjust = domain.AdjustState{}
	a, err := domain.RestoreAgreement(old)
	if err != nil {
		t.Errorf("no return, no recovery: %v", err)
	}
	if c, ok := a.ClosedFigures(minority, 1); !ok || c != a.Cell(minority, 1) {
		t.Errorf("figures as closed %+v (%v), want the current %+v", c, ok, a.Cell(minority, 1))
	}
	if _, ok := a.ClosedFigures(civil, 2); ok {
		t.Error("open year 2 has figures as closed")
	}

	g := registered(t)
	g.do(spend(civil, 1, "900", "2023-01-05"))
	g.do(giveBack(civil, 1, ""))
	old = g.a.State()
	old.Cash = domain.CashState{}
	if _, err := domain.RestoreAgreement(old); err == nil || !strings.Contains(err.Error(), "100.00 returned") || !strings.Contains(err.Error(), "rebuild") {
		t.Errorf("a return without its due: %v, want a refusal naming 100.00 returned and the rebuild", err)
	}
}
