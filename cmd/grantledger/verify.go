package main

import (
	"context"
	"encoding/json"
	"fmt"
	rpt "github.com/grantledger/grantledger/adapters/report"

	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/projections"
)

// multiFlag collects a flag given more than once.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdVerify(ctx context.Context, a *app, args []string) error {
	fs := a.flags("verify", "", `
Reads every event of the ledger and checks two things.

The per-stream SHA-256 hash chains: an edited byte, a removed, inserted or
reordered event breaks a chain unless whoever changed it also recomputed
the chain after it, which anyone with write access to the file can do.

The Merkle log over every event in global order (docs/PROOFS.md): every
leaf is recomputed from the event's bytes and compared with the tree
stored when it was appended, and, for each --checkpoint (a signed
checkpoint taken earlier and kept elsewhere, checked with --verifier-key),
the root of the first SIZE events must be the one the checkpoint signed.
Only a checkpoint protects against someone who rewrote the events and the
tree: it proves the log still holds, byte for byte and in order, every
event it held when the checkpoint was signed.

It also lists findings that today's rules would have refused but an older
ledger may hold: agreement numbers people cannot tell apart (case,
look-alike letters), numbers not in canonical form, and a command id
applied to more than one agreement.

Exit 3 names the first bad stream, leaf or checkpoint; with findings and
everything intact it exits 4.`)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var cps multiFlag
	fs.Var(&cps, "checkpoint", "a signed checkpoint file the log must extend (repeatable)")
	vk := fs.String("verifier-key", "", "the verifier key of the checkpoints (text or file)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var checkpoints []merkle.Checkpoint
	if len(cps) > 0 {
		var v note.Verifier
		var err error
		if v, err = verifierKey(*vk); err != nil {
			return err
		}
		for _, p := range cps {
			c, _, err := readCheckpointFile(p, v)
			if err != nil {
				fmt.Fprint(a.stdout, tr(a.lang, "BAD CHECKPOINT %s: %v\n", p, err))
				return exitf(exitTampered, "%v", err)
			}
			checkpoints = append(checkpoints, c)
		}
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	res, err := readmodel.VerifyChains(ctx, store)
	if err != nil {
		return err
	}
	findings, err := command.Lint(ctx, store)
	if err != nil {
		return err
	}
	if findings == nil {
		findings = []command.Finding{}
	}
	pr := newProgress(a.stderr, "verify: Merkle log")
	lres, err := merkle.Verify(ctx, store, checkpoints, func(n int64) { pr.update(int(n)) })
	pr.done()
	if err != nil {
		return err
	}
	_, snapProblem, legacy, err := readmodel.CheckSnapshot(ctx, store, "")
	if err != nil {
		return err
	}
	forged := snapProblem != "" && !legacy
	ok := res.OK && lres.OK && !forged
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		out := struct {
			projections.Verification
			OK       bool              `json:"ok"`
			Log      merkle.Result     `json:"log"`
			Snapshot string            `json:"snapshot_problem,omitempty"`
			Findings []command.Finding `json:"findings"`
		}{res, ok, lres, snapProblem, findings}
		enc.Encode(out)
	} else {
		for _, f := range findings {
			fmt.Fprint(a.stdout, tr(a.lang, "FINDING %s: %s\n", f.Code, f.Message))
		}
		for _, b := range res.Breaks {
			fmt.Fprint(a.stdout, tr(a.lang, "BROKEN stream %s revision %d (position %s, event %s): %s\n", b.Stream, b.Revision, b.Position, b.EventID, b.Problem))
		}
		if b := lres.FirstBad; b != nil {
			fmt.Fprint(a.stdout, tr(a.lang, "BROKEN log at leaf %d (position %s, stream %s revision %d, event %s): %s\n", b.Index, b.Position, b.Stream, b.Revision, b.EventID, b.Problem))
		}
		for _, c := range lres.Checkpoints {
			if c.OK {
				fmt.Fprint(a.stdout, tr(a.lang, "checkpoint %s size %d: OK, the log extends it unchanged\n", c.Checkpoint.Origin, c.Checkpoint.Size))
			} else {
				fmt.Fprint(a.stdout, tr(a.lang, "checkpoint %s size %d: FAILED: %s\n", c.Checkpoint.Origin, c.Checkpoint.Size, c.Problem))
			}
		}
		if forged {
			fmt.Fprint(a.stdout, tr(a.lang, "BAD SNAPSHOT: the saved read model was not folded from this log: %s\n", snapProblem))
		} else if snapProblem != "" {
			fmt.Fprint(a.stdout, tr(a.lang, "note: the saved read model %s; the next report rebuilds it\n", snapProblem))
		}
		var newest int64 = -1
		for _, c := range lres.Checkpoints {
			newest = max(newest, c.Checkpoint.Size)
		}
		if newest >= 0 && lres.Events > newest {
			n := lres.Events - newest
			fmt.Fprintf(a.stdout, "%s after the newest checkpoint (size %d) %s covered by no checkpoint: nothing proves they were not added by someone else\n",
				count(int(n), "event", "events"), newest, map[bool]string{true: "is", false: "are"}[n == 1])
		}
		sealed := ""
		if lres.Sealed > 0 {
			sealed = fmt.Sprintf(" (the first %d events were written before the ledger kept the log: they are attested from then on only)", lres.Sealed)
		}
		switch {
		case ok:
			fmt.Fprint(a.stdout, rpt.WrapIndent(tr(a.lang, "OK: %s in %s, every hash chain intact; Merkle log of %d events, root %s%s",
				countIn(a.lang, res.Events, "event", "events"), countIn(a.lang, res.Streams, "stream", "streams"), lres.Events, lres.Root, sealed), ""))
		case !res.OK:
			fmt.Fprint(a.stdout, tr(a.lang, "FAILED: %d of %d streams have a broken hash chain (%d events checked)\n", len(res.Breaks), res.Streams, res.Events))
		case !lres.OK:
			fmt.Fprint(a.stdout, tr(a.lang, "FAILED: every hash chain is intact (%d events) but the Merkle log does not match: see above\n", res.Events))
		default:
			fmt.Fprint(a.stdout, tr(a.lang, "FAILED: the events and the Merkle log are intact (%d events) but the saved read model was not folded from them\n", res.Events))
		}
	}
	if !res.OK {
		b := res.Breaks[0]
		return exitf(exitTampered, "the ledger's hash chains are broken: first at stream %s revision %d: %s", b.Stream, b.Revision, b.Problem)
	}
	if b := lres.FirstBad; b != nil {
		return exitf(exitTampered, "the Merkle log is broken: first at leaf %d (position %s): %s", b.Index, b.Position, b.Problem)
	}
	if forged {
		return exitf(exitTampered, "the saved read model (snapshot) was not folded from this log: %s", snapProblem)
	}
	for _, c := range lres.Checkpoints {
		if !c.OK {
			return exitf(exitTampered, "the log does not extend checkpoint of size %d: %s", c.Checkpoint.Size, c.Problem)
		}
	}
	if len(findings) > 0 {
		return exitf(exitFindings, "the hash chains and the Merkle log are intact, with %d findings (see above)", len(findings))
	}
	return nil
}

// countIn writes n with the noun in language l: in Latvian a number that
// ends in 1 but not in 11 takes the singular (21 notikums, 11 notikumi).
func countIn(l document.Lang, n int, one, many string) string {
	one, many = tr(l, one), tr(l, many)
	if l == document.LV && n%10 == 1 && n%100 != 11 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return count(n, one, many)
}

// count writes n with the singular or plural noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
