package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/adapters/projector"
	"github.com/grantledger/grantledger/projections"
)

func cmdVerify(ctx context.Context, a *app, args []string) error {
	fs := a.flags("verify", "", `
Reads every event of the ledger and recomputes each stream's SHA-256 hash
chain. An edited byte, a removed, inserted or reordered event breaks the
chain; verify names the first broken event of each stream and exits 3.
It also lists findings that today's rules would have refused but an older
ledger may hold: agreement numbers people cannot tell apart (case,
look-alike letters), numbers not in canonical form, and a command id
applied to more than one agreement; with findings and intact chains it
exits 4.`)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	res, err := projector.VerifyChains(ctx, store)
	if err != nil {
		return err
	}
	findings, err := ledger.Lint(ctx, store)
	if err != nil {
		return err
	}
	if findings == nil {
		findings = []ledger.Finding{}
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			projections.Verification
			Findings []ledger.Finding `json:"findings"`
		}{res, findings})
	} else {
		for _, f := range findings {
			fmt.Fprintf(a.stdout, "FINDING %s: %s\n", f.Code, f.Message)
		}
		for _, b := range res.Breaks {
			fmt.Fprintf(a.stdout, "BROKEN stream %s revision %d (position %s, event %s): %s\n", b.Stream, b.Revision, b.Position, b.EventID, b.Problem)
		}
		if res.OK {
			fmt.Fprintf(a.stdout, "OK: %s in %s, every hash chain intact\n", count(res.Events, "event", "events"), count(res.Streams, "stream", "streams"))
		} else {
			fmt.Fprintf(a.stdout, "FAILED: %d of %d streams have a broken hash chain (%d events checked)\n", len(res.Breaks), res.Streams, res.Events)
		}
	}
	if !res.OK {
		b := res.Breaks[0]
		return exitError{code: exitTampered, msg: fmt.Sprintf("the ledger's hash chains are broken: first at stream %s revision %d: %s", b.Stream, b.Revision, b.Problem)}
	}
	if len(findings) > 0 {
		return exitError{code: exitFindings, msg: fmt.Sprintf("the hash chains are intact, with %d findings (see above)", len(findings))}
	}
	return nil
}

// count writes n with the singular or plural noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
