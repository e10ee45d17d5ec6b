package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// chartSVG draws planned (planned + carried in) beside actual for each
// implementation year as an inline SVG bar chart. It is drawn on the
// server, so it needs no script; its title and description say the same
// in words for screen readers, and every bar has a tooltip with its
// amount.
func chartSVG(v *view, years []yearCol, totals []projections.Figures) template.HTML {
	const (
		w, h         = 640, 260
		left, bottom = 90, 40
		top, right   = 20, 20
		barW, gap    = 36, 8
		plotH        = h - top - bottom
	)
	var peak int64 = 1
	for _, t := range totals {
		peak = max(peak, int64(t.Available()), int64(t.Actual))
	}
	scale, gridLines := niceScale(peak)
	y := func(cents int64) float64 {
		return float64(top) + float64(plotH) - float64(plotH)*float64(cents)/float64(scale)
	}
	baseline := y(0)
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s`, esc(v.T("chart")), esc(v.T("chart_desc")))
	for i, t := range totals {
		fmt.Fprintf(&b, " %s: %s %s, %s %s.", esc(v.YearN(i+1)), esc(v.T("planned")), esc(v.Money(t.Available())), esc(v.T("actual")), esc(v.Money(t.Actual)))
	}
	b.WriteString(`</desc>`)
	for g := 0; g <= gridLines; g++ {
		c := scale * int64(g) / int64(gridLines)
		yy := y(c)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, left, w-right, yy, yy)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-6, yy+4, esc(v.Money(moneyOf(c))))
	}
	n := max(len(totals), 1)
	slot := float64(w-left-right) / float64(n)
	for i, t := range totals {
		x0 := float64(left) + slot*float64(i) + slot/2 - float64(barW) - float64(gap)/2
		for k, c := range []struct {
			cls, label string
			cents      int64
		}{{"bar-planned", v.T("planned"), int64(t.Available())}, {"bar-actual", v.T("actual"), int64(t.Actual)}} {
			x := x0 + float64(k*(barW+gap))
			top := y(max(c.cents, 0))
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%d" height="%.1f"><title>%s, %s: %s</title></rect>`,
				c.cls, x, top, barW, baseline-top, esc(v.YearN(i+1)), esc(c.label), esc(v.Money(moneyOf(c.cents))))
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, float64(left)+slot*float64(i)+slot/2, h-bottom+18, esc(v.YearN(i+1)))
	}
	// Legend: the second entry starts after the first one's text (its
	// width estimated generously for the 12 px axis type), so a long
	// Latvian label does not run into the next swatch.
	first := v.T("planned") + " + " + v.T("carried_in")
	second := left + 16 + textWidth(first) + 24
	b.WriteString(`<g class="legend">`)
	fmt.Fprintf(&b, `<rect class="bar-planned" x="%d" y="%d" width="12" height="12"/><text class="axis" x="%d" y="%d">%s</text>`, left, h-14, left+16, h-4, esc(first))
	fmt.Fprintf(&b, `<rect class="bar-actual" x="%d" y="%d" width="12" height="12"/><text class="axis" x="%d" y="%d">%s</text>`, second, h-14, second+16, h-4, esc(v.T("actual")))
	b.WriteString(`</g>`)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func moneyOf(cents int64) domain.Money { return domain.Money(cents) }

// niceScale picks the chart's axis: the smallest step of 1, 2 or 5 times a
// power of ten (in cents) that covers peak in at most six grid steps, and
// the axis maximum as a whole number of those steps. Bars of 50 213,47
// get an axis to 60 000,00 in steps of 10 000,00, not one to 100 000,00.
func niceScale(peak int64) (scale int64, steps int) {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			step := p * m
			n := (peak + step - 1) / step
			if n <= 6 {
				return max(n, 1) * step, int(max(n, 1))
			}
		}
	}
}

// textWidth estimates the width in pixels of s in the chart's 12 px sans
// serif type, erring wide (7.5 px a character).
func textWidth(s string) int { return (len([]rune(s))*15 + 1) / 2 }
