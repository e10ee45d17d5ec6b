package projections

import "sort"

// Organisations returns the funders and grantees the agreements name, each
// once, sorted.
func Organisations(l *Ledger) (funders, grantees []string) {
	f, g := map[string]bool{}, map[string]bool{}
	for _, v := range l.order {
		f[v.Agg.Registration().Funder] = true
		g[v.Agg.Registration().Grantee] = true
	}
	for k := range f {
		funders = append(funders, k)
	}
	for k := range g {
		grantees = append(grantees, k)
	}
	sort.Strings(funders)
	sort.Strings(grantees)
	return funders, grantees
}
