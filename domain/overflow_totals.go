package domain

// cellTotals are the sums of the agreement's cells per year, per line and
// over the whole agreement: the totals checkOverflow checks on every
// command. Summing every cell of the agreement on each command cost apply
// a tenth of its time on agreements with many cells, so the sums are built
// once, on the first check, and then kept up to date by Apply, which knows
// which cells each event changes (cellKeys). A sum that would wrap int64
// drops them, and the check goes back to adding every cell.
//
// They only ever let a command through faster: when the totals with the
// command's changes are all within bounds the command passes, and in every
// other case checkOverflow runs its full sum over the cells, which decides
// and words the refusal as before.
type cellTotals struct {
	grand Cell
	years map[int]*Cell
	lines map[string]*Cell
}

// addNoWrap returns x+y and false if that wraps int64.
func addNoWrap(x, y Money) (Money, bool) {
	s := x + y
	return s, !((y > 0 && s < x) || (y < 0 && s > x))
}

// addCell adds sign*c (sign is 1 or -1) to dst, field by field; false if a
// field would wrap (dst is then partly changed).
func addCell(dst *Cell, c Cell, sign Money) bool {
	df, cf := moneyFields(dst), moneyFields(&c)
	for i := range df {
		v := *cf[i].p
		if sign < 0 {
			if v == -v && v != 0 { // the smallest int64 has no negation
				return false
			}
			v = -v
		}
		s, ok := addNoWrap(*df[i].p, v)
		if !ok {
			return false
		}
		*df[i].p = s
	}
	return true
}

// totals returns the agreement's totals, building them on first use; nil
// when a sum would wrap.
func (a *Agreement) totals() *cellTotals {
	if a.tot != nil {
		return a.tot
	}
	t := &cellTotals{years: map[int]*Cell{}, lines: map[string]*Cell{}}
	for k, c := range a.cells {
		if !t.addAt(k, *c, 1) {
			return nil
		}
	}
	a.tot = t
	return t
}

// addAt adds sign*c to the totals of k's year, k's line and the agreement.
func (t *cellTotals) addAt(k CellKey, c Cell, sign Money) bool {
	y := t.years[k.Year]
	if y == nil {
		y = &Cell{}
		t.years[k.Year] = y
	}
	l := t.lines[k.Line]
	if l == nil {
		l = &Cell{}
		t.lines[k.Line] = l
	}
	return addCell(&t.grand, c, sign) && addCell(y, c, sign) && addCell(l, c, sign)
}

// move replaces cell k's old value by its new one in the totals; on a wrap
// the agreement's totals are dropped (and rebuilt, or not used, later).
func (t *cellTotals) move(a *Agreement, k CellKey, old, new Cell) {
	if !t.addAt(k, old, -1) || !t.addAt(k, new, 1) {
		a.tot = nil
	}
}

// cellKeys puts in keys the cells whose figures Apply changes for e and
// returns how many (a cell named twice counts once). It follows Apply's
// switch: every case there that writes a cell must be here.
func cellKeys(e Event, keys *[2]CellKey) int {
	switch ev := e.(type) {
	case BudgetPlanned:
		keys[0] = CellKey{ev.Line, ev.Year}
	case BudgetAmended:
		keys[0] = CellKey{ev.Line, ev.Year}
	case SpendingRecorded:
		keys[0] = CellKey{ev.Line, ev.Year}
	case SpendingReversed:
		keys[0] = CellKey{ev.Line, ev.Year}
	case RemainderCarriedOver:
		keys[0], keys[1] = CellKey{ev.Line, ev.FromYear}, CellKey{ev.Line, ev.ToYear}
		if keys[0] == keys[1] {
			return 1
		}
		return 2
	case UnspentReturned:
		keys[0] = CellKey{ev.Line, ev.Year}
	case IneligibleExpenditureDeclared:
		keys[0] = CellKey{ev.Line, ev.Year}
	case IneligibleExpenditureRecovered:
		keys[0] = CellKey{ev.Line, ev.Year}
	default:
		return 0
	}
	return 1
}

// touchedCell is a cell checkOverflow works on: its key and a copy with
// the events' changes.
type touchedCell struct {
	k CellKey
	c *Cell
}

// totalsInBounds reports whether, with the touched cells in their new
// state, every total of a touched cell's year and line and the agreement's
// grand total stays within bounds. false means "not known to be": the
// full check then decides.
func (a *Agreement) totalsInBounds(touched []touchedCell) bool {
	t := a.totals()
	if t == nil {
		return false
	}
	type yearSum struct {
		year int
		c    Cell
	}
	type lineSum struct {
		line string
		c    Cell
	}
	var ybuf [4]yearSum
	var lbuf [4]lineSum
	years, lines := ybuf[:0], lbuf[:0]
	grand := t.grand
	for _, tc := range touched {
		yi := -1
		for i := range years {
			if years[i].year == tc.k.Year {
				yi = i
			}
		}
		if yi < 0 {
			s := yearSum{year: tc.k.Year}
			if p := t.years[tc.k.Year]; p != nil {
				s.c = *p
			}
			years, yi = append(years, s), len(years)
		}
		li := -1
		for i := range lines {
			if lines[i].line == tc.k.Line {
				li = i
			}
		}
		if li < 0 {
			s := lineSum{line: tc.k.Line}
			if p := t.lines[tc.k.Line]; p != nil {
				s.c = *p
			}
			lines, li = append(lines, s), len(lines)
		}
		old := a.Cell(tc.k.Line, tc.k.Year)
		for _, dst := range [3]*Cell{&grand, &years[yi].c, &lines[li].c} {
			if !addCell(dst, old, -1) || !addCell(dst, *tc.c, 1) {
				return false
			}
		}
	}
	for _, y := range years {
		if !cellInBounds(y.c) {
			return false
		}
	}
	for _, l := range lines {
		if !cellInBounds(l.c) {
			return false
		}
	}
	return cellInBounds(grand)
}
