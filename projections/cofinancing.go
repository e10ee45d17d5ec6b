package projections

import (
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// FindingIntensityExceeded is the finding code of an agreement whose
// funder pays a larger share of the eligible spending than its support
// intensity allows.
const FindingIntensityExceeded = "intensity_exceeded"

// addShares puts the funder's share of the plan and of the eligible
// spending (all years; lines of the grantee's own contribution are the
// rest) into a year report, and a finding when the share of the spending
// is above the support intensity.
func addShares(r *YearReport, a *domain.Agreement, n int) {
	fp, p, fs, s := a.Shares()
	if v, ok := PercentOf(int64(fp), int64(p)); ok {
		r.FunderSharePlanned = &v
	}
	if v, ok := PercentOf(int64(fs), int64(s)); ok {
		r.FunderShareSpent = &v
	}
	if a.Registration().SupportIntensity == "" || r.FunderShareSpent == nil {
		return
	}
	limit, err := domain.ParseIntensity(a.Registration().SupportIntensity)
	if err != nil || int64(*r.FunderShareSpent) <= limit {
		return
	}
	// What the funder pays above the intensity: funded − intensity × total,
	// rounded to the cent in the grantee's favour (down).
	// s × limit / 10000 without overflow: limit is at most 10000.
	q, rem := int64(s)/10000, int64(s)%10000
	over := fs - domain.Money(q*limit+rem*limit/10000)
	r.Findings = append(r.Findings, Finding{Code: FindingIntensityExceeded, Year: n, Amount: money(over),
		Message: fmt.Sprintf("the funded lines carry %s %% of the eligible spending (%s of %s), above the support intensity of %s %%: %s more than the intensity allows",
			r.FunderShareSpent, fs, s, a.Registration().SupportIntensity, over)})
}
