package projections

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/grantledger/grantledger/domain"
)

// Percent is a percentage in hundredths of a percent (9583 is 95.83 %),
// computed from whole numbers and rounded half up, so reports never carry a
// float. It marshals to JSON as a decimal string "95.83".
type Percent int64

// PercentOf returns part/whole as a Percent, and false when whole is not
// positive (no meaningful percentage).
func PercentOf(part, whole int64) (Percent, bool) {
	if whole <= 0 {
		return 0, false
	}
	neg := part < 0
	u := uint64(part)
	if neg {
		u = uint64(-part) // also right for math.MinInt64
	}
	// part*20000 in 128 bits: figures up to domain.MaxFigure (and beyond)
	// would overflow int64 here.
	hi, lo := bits.Mul64(u, 20000)
	if hi >= uint64(whole) {
		// The quotient does not fit in 64 bits: more than 9e14 %.
		if neg {
			return Percent(math.MinInt64), true
		}
		return Percent(math.MaxInt64), true
	}
	q, _ := bits.Div64(hi, lo, uint64(whole))
	p := int64((q + 1) / 2)
	if neg {
		p = -p
	}
	return Percent(p), true
}

// String formats the percentage with two decimals, "95.83".
func (p Percent) String() string {
	return domain.Money(p).String()
}

// Float returns the percentage as a fraction (0.9583), for spreadsheets.
func (p Percent) Float() float64 { return float64(p) / 10000 }

// MarshalJSON writes "95.83".
func (p Percent) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(p.String())), nil }

// Figures are the amounts of one budget line in one year (or their sum).
// The identity planned + carried_in = actual + carried_over + returned +
// remainder always holds; overspend is how far the remainder is below zero.
type Figures struct {
	Line            string       `json:"line,omitempty"`
	Name            string       `json:"name,omitempty"`
	PlannedOriginal domain.Money `json:"planned_original"`
	Planned         domain.Money `json:"planned"`
	Amended         bool         `json:"amended"`
	CarriedIn       domain.Money `json:"carried_in"`
	Actual          domain.Money `json:"actual"`
	CarriedOver     domain.Money `json:"carried_over"`
	Returned        domain.Money `json:"returned"`
	Remainder       domain.Money `json:"remainder"`
	Overspend       domain.Money `json:"overspend"`
	Ineligible      domain.Money `json:"ineligible"`
	Recovered       domain.Money `json:"recovered"`
	Unrecovered     domain.Money `json:"unrecovered"`
}

// FiguresOf turns an aggregate cell into report figures.
func FiguresOf(c domain.Cell) Figures {
	return Figures{
		PlannedOriginal: c.Original, Planned: c.Planned, Amended: c.Amendments > 0,
		CarriedIn: c.CarriedIn, Actual: c.Actual, CarriedOver: c.CarriedOver, Returned: c.Returned,
		Remainder: c.Remainder(), Overspend: c.Overspend(),
		Ineligible: c.Ineligible, Recovered: c.Recovered, Unrecovered: c.Unrecovered(),
	}
}

// Add returns the sum of two figures. Overspend is summed line by line, so
// an overspent line is never hidden by a remainder on another.
func (f Figures) Add(o Figures) Figures {
	return Figures{
		PlannedOriginal: f.PlannedOriginal + o.PlannedOriginal, Planned: f.Planned + o.Planned,
		Amended: f.Amended || o.Amended, CarriedIn: f.CarriedIn + o.CarriedIn, Actual: f.Actual + o.Actual,
		CarriedOver: f.CarriedOver + o.CarriedOver, Returned: f.Returned + o.Returned,
		Remainder: f.Remainder + o.Remainder, Overspend: f.Overspend + o.Overspend,
		Ineligible: f.Ineligible + o.Ineligible, Recovered: f.Recovered + o.Recovered, Unrecovered: f.Unrecovered + o.Unrecovered,
	}
}

// Available is planned + carried in.
func (f Figures) Available() domain.Money { return f.Planned + f.CarriedIn }

// Variance is available minus actual: positive when funds are left,
// negative when more was spent than was available.
func (f Figures) Variance() domain.Money { return f.Available() - f.Actual }

// Utilisation is actual as a share of available (false when nothing was
// available).
func (f Figures) Utilisation() (Percent, bool) {
	return PercentOf(int64(f.Actual), int64(f.Available()))
}

// addChecked is Add that reports false when any sum would overflow int64
// cents, instead of wrapping. Totals over many agreements use it: each
// agreement's figures are within domain.MaxFigure, but nothing bounds how
// many agreements a total adds.
func (f Figures) addChecked(o Figures) (Figures, bool) {
	ok := true
	add := func(a, b domain.Money) domain.Money {
		s := a + b
		if (b > 0 && s < a) || (b < 0 && s > a) {
			ok = false
		}
		return s
	}
	sum := Figures{
		PlannedOriginal: add(f.PlannedOriginal, o.PlannedOriginal), Planned: add(f.Planned, o.Planned),
		Amended: f.Amended || o.Amended, CarriedIn: add(f.CarriedIn, o.CarriedIn), Actual: add(f.Actual, o.Actual),
		CarriedOver: add(f.CarriedOver, o.CarriedOver), Returned: add(f.Returned, o.Returned),
		Remainder: add(f.Remainder, o.Remainder), Overspend: add(f.Overspend, o.Overspend),
		Ineligible: add(f.Ineligible, o.Ineligible), Recovered: add(f.Recovered, o.Recovered), Unrecovered: add(f.Unrecovered, o.Unrecovered),
	}
	// Available (planned + carried in) is derived by the reports; keep it
	// representable too.
	add(sum.Planned, sum.CarriedIn)
	return sum, ok
}

// totalTooLarge is the refusal of a report whose total would overflow.
func totalTooLarge(agreements int) error {
	return domain.Errorf(domain.EInvalid, "the totals of the %d agreements in this scope are too large to add up exactly (beyond 92 233 720 368 547 758,07 euro); narrow the scope (funder, programme, grantee or agreement)", agreements)
}
