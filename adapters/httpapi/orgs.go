package httpapi

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/projections"
)

// Organisations returns the funders and grantees the ledger's agreements
// name; it serves as TokenOptions.Orgs.
func (lr *LiveReports) Organisations(ctx context.Context) (funders, grantees []string, err error) {
	_, err = lr.with(ctx, time.Time{}, func(l *projections.Ledger) (any, error) {
		funders, grantees = projections.Organisations(l)
		return nil, nil
	})
	return funders, grantees, err
}
