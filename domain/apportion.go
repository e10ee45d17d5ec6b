package domain

import "sort"

// ApportionByDays splits amount over parts in proportion to their days,
// to the cent, so that the parts add up to amount exactly: each part gets
// the whole cents of its exact share, and the cents left over go one each
// to the parts with the largest fractions of a cent (equal fractions: the
// earlier part first). Parts with no days get nothing; when no part has a
// day, the first gets everything. days[i] is the number of days of part i.
//
// This is the largest-remainder (Hamilton) method; it is how a plan for an
// implementation year is apportioned to the calendar years it straddles.
func ApportionByDays(amount Money, days []int64) []Money {
	out := make([]Money, len(days))
	var total int64
	for _, d := range days {
		if d > 0 {
			total += d
		}
	}
	if len(days) == 0 {
		return out
	}
	if total == 0 {
		out[0] = amount
		return out
	}
	neg := amount < 0
	a := int64(amount)
	if neg {
		a = -a
	}
	type frac struct {
		i   int
		rem int64
	}
	fr := make([]frac, 0, len(days))
	var given int64
	for i, d := range days {
		if d <= 0 {
			continue
		}
		// a*d fits: amounts are at most 10^13 cents and a part at most
		// 50 years of days (< 2*10^4), well under 9.2*10^18.
		q, r := a*d/total, a*d%total
		out[i] = Money(q)
		given += q
		fr = append(fr, frac{i, r})
	}
	sort.SliceStable(fr, func(x, y int) bool { return fr[x].rem > fr[y].rem })
	for k := int64(0); k < a-given; k++ {
		out[fr[k].i]++
	}
	if neg {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return out
}

// Days returns the number of days of p, both ends included (0 when p is
// empty).
func (p Period) Days() int64 {
	if p.To < p.From {
		return 0
	}
	return int64(p.To-p.From) + 1
}

// CalendarParts cuts p at the turns of the calendar year: one period per
// calendar year it touches, in order.
func (p Period) CalendarParts() []Period {
	var out []Period
	for from := p.From; from <= p.To; {
		y := from.Time().Year()
		end := NewDate(y, 12, 31)
		if end > p.To {
			end = p.To
		}
		out = append(out, Period{From: from, To: end})
		from = end + 1
	}
	return out
}

// ApportionedTo returns the part of amount, planned for period p, that
// falls in window w: amount is first apportioned by days to the calendar
// years p touches, and each calendar year's part then by days to inside
// and outside w. The parts of consecutive windows that together cover p
// (calendar years, or ranges that cut only at the turn of a calendar year)
// add up to amount exactly.
func ApportionedTo(amount Money, p, w Period) Money {
	parts := p.CalendarParts()
	days := make([]int64, len(parts))
	for i, c := range parts {
		days[i] = c.Days()
	}
	var in Money
	for i, share := range ApportionByDays(amount, days) {
		c := parts[i]
		inside := Period{From: max(c.From, w.From), To: min(c.To, w.To)}
		before := Period{From: c.From, To: min(c.To, w.From-1)}
		after := Period{From: max(c.From, w.To+1), To: c.To}
		split := ApportionByDays(share, []int64{before.Days(), inside.Days(), after.Days()})
		in += split[1]
	}
	return in
}
