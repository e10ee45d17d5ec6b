package domain

import "testing"

// TestCellArithmetic: the figures of a line in a year as docs/REPORTS.md
// defines them (remainder = planned + carried_in - actual - carried_over -
// returned; overspend how far the remainder is below zero, else 0;
// unrecovered = ineligible - recovered), and Add as a field-by-field sum.
func TestCellArithmetic(t *testing.T) {
	a := Cell{Planned: 1000, Original: 900, IsPlanned: true, Amendments: 1, CarriedIn: 70, Actual: 600, CarriedOver: 50, Returned: 20, Ineligible: 30, Recovered: 10}
	if got := a.Remainder(); got != 400 {
		t.Errorf("remainder = %d, want 1000+70-600-50-20 = 400", got)
	}
	if got := a.Available(); got != 1070 {
		t.Errorf("available = %d, want 1070", got)
	}
	if got := a.Overspend(); got != 0 {
		t.Errorf("overspend with a remainder = %d, want 0", got)
	}
	if got := a.Unrecovered(); got != 20 {
		t.Errorf("unrecovered = %d, want 20", got)
	}
	exact := Cell{Planned: 100, Actual: 100}
	if exact.Remainder() != 0 || exact.Overspend() != 0 {
		t.Errorf("spent exactly the plan: remainder %d, overspend %d, want 0 and 0", exact.Remainder(), exact.Overspend())
	}
	over := Cell{Planned: 100, Actual: 101}
	if over.Overspend() != 1 {
		t.Errorf("one cent over: overspend %d, want 1", over.Overspend())
	}
	b := Cell{Planned: 1, Original: 2, Amendments: 3, CarriedIn: 4, Actual: 5, CarriedOver: 6, Returned: 7, Ineligible: 8, Recovered: 9}
	want := Cell{Planned: 1001, Original: 902, IsPlanned: true, Amendments: 4, CarriedIn: 74, Actual: 605, CarriedOver: 56, Returned: 27, Ineligible: 38, Recovered: 19}
	if got := a.Add(b); got != want {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
	if got := b.Add(a); got != want {
		t.Errorf("Add the other way = %+v, want %+v", got, want)
	}
	if got := b.Add(Cell{}); got.IsPlanned || got != b {
		t.Errorf("Add of an empty cell = %+v, want %+v", got, b)
	}
}
