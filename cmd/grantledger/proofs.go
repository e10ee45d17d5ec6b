package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
)

// treeProgress shows, on a terminal, how far building the tree of a ledger
// written before it kept one has come (once, on first open).
var treeProgress = func() func(done, total int64) {
	if !isTerminal(os.Stderr) {
		return nil
	}
	var last time.Time
	return func(done, total int64) {
		if done == total || time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			fmt.Fprint(os.Stderr, tr(runLang(), "\rbuilding the Merkle tree of this ledger (once): %d of %d events", done, total))
			if done == total {
				fmt.Fprintln(os.Stderr)
			}
		}
	}
}()

// parseAll parses flags that may come before or after the positional
// arguments, and returns the positional ones.
func parseAll(fs interface {
	Parse([]string) error
	Args() []string
}, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// signingKey reads the checkpoint signing key from path, else from
// $GRANTLEDGER_SIGNING_KEY (a path, or the key itself). It returns nil
// when neither is set.
func (a *app) signingKey(path string) (note.Signer, error) {
	v := path
	if v == "" {
		v = a.getenv("GRANTLEDGER_SIGNING_KEY")
	}
	if v == "" {
		return nil, nil
	}
	text := v
	if !strings.HasPrefix(v, "PRIVATE+KEY+") {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, errorf("signing key: %w", err)
		}
		text = strings.TrimSpace(string(b))
	}
	s, err := note.NewSigner(text)
	if err != nil {
		return nil, errorf("signing key %s: not a note signing key (make one with 'grantledger key generate'): %w", v, err)
	}
	return s, nil
}

// verifierKey reads a verifier key given as the key text or a file path.
func verifierKey(v string) (note.Verifier, error) {
	if v == "" {
		return nil, usagef("--verifier-key is required: the public key printed by 'grantledger key generate' (or a file holding it)")
	}
	text := v
	if b, err := os.ReadFile(v); err == nil {
		text = strings.TrimSpace(string(b))
	}
	ver, err := note.NewVerifier(text)
	if err != nil {
		return nil, errorf("verifier key %q: %w", v, err)
	}
	return ver, nil
}

func cmdKey(ctx context.Context, a *app, args []string) error {
	fs := a.flags("key generate", "", `
Makes an Ed25519 key pair for signing checkpoints. The signing key is
written to --out (mode 0600); keep it off the ledger's disk, or at least out
of the ledger file: it is never stored in the ledger. The verifier (public)
key is printed: give it to auditors and funders, who check checkpoints and
proofs with it. --name is the log's origin, the first line of every
checkpoint (no spaces or '+').`)
	out := fs.String("out", "", "file to write the signing key to (must not exist)")
	name := fs.String("name", "grantledger", "the log's origin name")
	if len(args) > 0 && args[0] == "generate" {
		args = args[1:]
	} else if len(args) == 0 || (args[0] != "-h" && args[0] != "--help" && args[0] != "-help") {
		return usagef("key: use 'grantledger key generate --out FILE [--name ORIGIN]'")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("key generate: --out FILE is required")
	}
	skey, vkey, err := merkle.GenerateKey(*name)
	if err != nil {
		return errorf("key generate: %w", err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return errorf("key generate: %w (an existing key is never overwritten)", err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return errorf("key generate: write %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return errorf("key generate: write %s: %w", *out, err)
	}
	fmt.Fprintln(a.stdout, vkey)
	return nil
}

// currentCheckpoint is the checkpoint of the log as it is now.
func currentCheckpoint(ctx context.Context, store port.Store, now time.Time) (merkle.Checkpoint, merkle.Tree, error) {
	l, err := merkle.LogOf(ctx, store)
	if err != nil {
		return merkle.Checkpoint{}, nil, err
	}
	n, err := l.TreeSize(ctx)
	if err != nil {
		return merkle.Checkpoint{}, nil, err
	}
	root, err := merkle.Root(ctx, l, n)
	if err != nil {
		return merkle.Checkpoint{}, nil, err
	}
	c := merkle.Checkpoint{Origin: "grantledger", Size: n, Root: root, Time: now.UTC().Truncate(time.Second)}
	if c.Sealed, err = store.Sealed(ctx); err != nil {
		return c, nil, err
	}
	return c, l, nil
}

// readCheckpointFile reads a checkpoint file; with a verifier it checks the
// signature.
func readCheckpointFile(path string, v note.Verifier) (merkle.Checkpoint, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return merkle.Checkpoint{}, nil, errorf("checkpoint: %w", err)
	}
	if v != nil {
		c, err := merkle.OpenSigned(b, v)
		if err != nil {
			return c, b, errorf("checkpoint %s: %w", path, err)
		}
		return c, b, nil
	}
	c, err := merkle.ParseCheckpoint(checkpoints.NoteText(b))
	if err != nil {
		return c, b, errorf("checkpoint %s: %w", path, err)
	}
	return c, b, nil
}

// makeCheckpoint signs the log's current checkpoint with signer and, when
// dir is set, first checks that the log extends the newest checkpoint
// there, then adds it there. It returns the signed text.
func makeCheckpoint(ctx context.Context, store port.Store, signer note.Signer, dir string, now time.Time) ([]byte, merkle.Checkpoint, error) {
	svc := &checkpoints.Service{Store: store, Signer: signer, Dir: dir, Now: func() time.Time { return now }}
	var sc merkle.SignedCheckpoint
	var err error
	if dir != "" {
		sc, err = svc.Keep(ctx)
		if err == nil && sc.Note == "" { // nothing new since the newest: sign it anew for the caller
			sc, err = svc.Checkpoint(ctx)
		}
	} else {
		sc, err = svc.Checkpoint(ctx)
	}
	return []byte(sc.Note), sc.Checkpoint, err
}

func (a *app) checkpointDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return a.getenv("GRANTLEDGER_CHECKPOINT_DIR")
}

func cmdCheckpoint(ctx context.Context, a *app, args []string) error {
	fs := a.flags("checkpoint", "", `
Prints the log's checkpoint (C2SP tlog-checkpoint: origin, size, root hash,
time), signed with the signing key (--signing-key or
$GRANTLEDGER_SIGNING_KEY). With --out it is also written to FILE; with
--dir (or $GRANTLEDGER_CHECKPOINT_DIR) it is added to that directory as a
new file, after checking that the log extends the newest checkpoint there
(exit 3 if not). Ship the directory elsewhere (WORM storage, the funder,
the auditor): see docs/PROOFS.md. Without a key the checkpoint is printed
unsigned, which proves nothing to anyone else.`)
	out := fs.String("out", "", "also write the signed checkpoint to this file")
	dir := fs.String("dir", "", "add the checkpoint to this directory (default $GRANTLEDGER_CHECKPOINT_DIR)")
	keyPath := fs.String("signing-key", "", "signing key file (default $GRANTLEDGER_SIGNING_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	signer, err := a.signingKey(*keyPath)
	if err != nil {
		return err
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	if signer == nil {
		if *out != "" || a.checkpointDir(*dir) != "" {
			return usagef("checkpoint: --out and --dir need a signing key (--signing-key or $GRANTLEDGER_SIGNING_KEY); make one with 'grantledger key generate'")
		}
		c, _, err := currentCheckpoint(ctx, store, a.now())
		if err != nil {
			return err
		}
		fmt.Fprint(a.stdout, c.Text())
		fmt.Fprintln(a.stderr, tr(a.lang, "grantledger: no signing key: this checkpoint is unsigned and proves nothing to anyone else"))
		return nil
	}
	msg, _, err := makeCheckpoint(ctx, store, signer, a.checkpointDir(*dir), a.now())
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, msg, 0o644); err != nil {
			return errorf("checkpoint: %w", err)
		}
	}
	_, err = a.stdout.Write(msg)
	return err
}

// consistencyFile is what prove --from writes: two signed checkpoints and
// the proof that the newer log extends the older.
type consistencyFile struct {
	Kind          string        `json:"kind"`
	OldCheckpoint string        `json:"old_checkpoint"`
	Checkpoint    string        `json:"checkpoint"`
	Proof         []merkle.Hash `json:"proof"`
}

type inclusionFile struct {
	Kind string `json:"kind"`
	merkle.InclusionProof
}

func cmdProve(ctx context.Context, a *app, args []string) error {
	fs := a.flags("prove", "", `
With --event ID: prints (JSON) the proof that the event is in the log of a
signed checkpoint: its leaf index, leaf hash, canonical bytes, the audit path
and the checkpoint's text. With --from OLD: the proof that the log of the
checkpoint extends the log of the older checkpoint OLD (nothing recorded up
to OLD changed). The checkpoint is --checkpoint FILE, else a new one signed
with the signing key. Anyone checks the result with 'grantledger
verify-proof FILE --verifier-key KEY' (or the library, docs/PROOFS.md).`)
	eventID := fs.String("event", "", "id of the event to prove")
	from := fs.String("from", "", "an older checkpoint file: prove the log extends it")
	cpPath := fs.String("checkpoint", "", "prove in this checkpoint (default: a new one, which needs the signing key)")
	keyPath := fs.String("signing-key", "", "signing key file (default $GRANTLEDGER_SIGNING_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*eventID == "") == (*from == "") {
		return usagef("prove: give either --event ID or --from OLD_CHECKPOINT")
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	var c merkle.Checkpoint
	var text []byte
	l, err := merkle.LogOf(ctx, store)
	if err != nil {
		return err
	}
	if *cpPath != "" {
		if c, text, err = readCheckpointFile(*cpPath, nil); err != nil {
			return err
		}
		n, err := l.TreeSize(ctx)
		if err != nil {
			return err
		}
		if c.Size > n {
			return exitf(exitTampered, "prove: the checkpoint has %d events but the log only %d: events were removed", c.Size, n)
		}
		if root, err := merkle.Root(ctx, l, c.Size); err != nil {
			return err
		} else if root != c.Root {
			return exitf(exitTampered, "prove: the log's first %d events no longer hash to the checkpoint's root: the log changed since the checkpoint", c.Size)
		}
	} else {
		signer, err := a.signingKey(*keyPath)
		if err != nil {
			return err
		}
		if signer == nil {
			return usagef("prove: without --checkpoint a new checkpoint is signed, which needs --signing-key or $GRANTLEDGER_SIGNING_KEY")
		}
		if text, c, err = makeCheckpoint(ctx, store, signer, a.checkpointDir(""), a.now()); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if *from != "" {
		old, oldText, err := readCheckpointFile(*from, nil)
		if err != nil {
			return err
		}
		if old.Size > c.Size {
			return exitf(exitTampered, "prove: the old checkpoint has %d events, the log %d: events were removed", old.Size, c.Size)
		}
		var p []merkle.Hash
		if old.Size > 0 {
			if p, err = merkle.ProveConsistency(old.Size, c.Size, merkle.Reader(ctx, l)); err != nil {
				return err
			}
			if err := merkle.CheckConsistency(old, c, p); err != nil {
				return exitf(exitTampered, "prove: %v", err)
			}
		}
		return enc.Encode(consistencyFile{Kind: "consistency", OldCheckpoint: string(oldText), Checkpoint: string(text), Proof: p})
	}
	id, err := uuid.Parse(*eventID)
	if err != nil {
		return usagef("prove: --event %q is not an event id: %v", *eventID, err)
	}
	i, e, err := checkpoints.FindEvent(ctx, store, l, id)
	if err != nil {
		return err
	}
	if i >= c.Size {
		return errorf("prove: event %s is leaf %d, after the checkpoint's %d events; make a newer checkpoint", id, i, c.Size)
	}
	path, err := merkle.ProveInclusion(i, c.Size, merkle.Reader(ctx, l))
	if err != nil {
		return err
	}
	leaf := merkle.LeafHash(e)
	if err := tlog.CheckRecord(path, c.Size, c.Root, i, leaf); err != nil {
		return exitf(exitTampered, "prove: event %s as stored now is not leaf %d of the checkpoint: %v", id, i, err)
	}
	return enc.Encode(inclusionFile{Kind: "inclusion", InclusionProof: merkle.InclusionProof{
		LeafIndex: i, TreeSize: c.Size, LeafHash: leaf, Leaf: merkle.HexLeaf(e), AuditPath: path, Checkpoint: string(text),
	}})
}

func cmdVerifyProof(ctx context.Context, a *app, args []string) error {
	fs := a.flags("verify-proof", "PROOF.json", `
Checks a proof made by 'grantledger prove' offline, with nothing but the
verifier (public) key: no ledger, no server. An inclusion proof: the
checkpoint's signature, that the leaf bytes hash to the leaf hash, and the
audit path up to the signed root; it prints what the event says. A
consistency proof: both checkpoints' signatures and that the newer log
extends the older. Exit 3 if the proof does not hold.`)
	vk := fs.String("verifier-key", "", "the verifier key (text or file)")
	pos, err := parseAll(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{msg: err.Error()}
	}
	if len(pos) != 1 {
		return usagef("verify-proof: give one PROOF.json file (- for stdin)")
	}
	v, err := verifierKey(*vk)
	if err != nil {
		return err
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(a.stdin)
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return errorf("verify-proof: %w", err)
	}
	var kind struct{ Kind string }
	if err := json.Unmarshal(raw, &kind); err != nil {
		return errorf("verify-proof %s: not JSON: %w", pos[0], err)
	}
	fail := func(err error) error {
		fmt.Fprint(a.stdout, tr(a.lang, "FAILED: %v\n", err))
		return exitf(exitTampered, "the proof does not hold: %v", err)
	}
	switch kind.Kind {
	case "consistency":
		var p consistencyFile
		if err := json.Unmarshal(raw, &p); err != nil {
			return errorf("verify-proof %s: %w", pos[0], err)
		}
		old, err := merkle.OpenSigned([]byte(p.OldCheckpoint), v)
		if err != nil {
			return fail(errorf("old checkpoint: %w", err))
		}
		cur, err := merkle.OpenSigned([]byte(p.Checkpoint), v)
		if err != nil {
			return fail(errorf("checkpoint: %w", err))
		}
		if err := merkle.CheckConsistency(old, cur, p.Proof); err != nil {
			return fail(err)
		}
		fmt.Fprintf(a.stdout, "OK: the log of %d events signed by %s at %s extends the log of %d events signed at %s: nothing recorded up to then changed\n",
			cur.Size, cur.Origin, cur.Time.Format(time.RFC3339), old.Size, old.Time.Format(time.RFC3339))
		return nil
	case "inclusion":
		var p inclusionFile
		if err := json.Unmarshal(raw, &p); err != nil {
			return errorf("verify-proof %s: %w", pos[0], err)
		}
		c, l, err := merkle.CheckInclusionProof(p.InclusionProof, v)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(a.stdout, "OK: event %s (%s, stream %s revision %d, recorded %s) is leaf %d of the log of %d events signed by %s at %s\n",
			l.ID, l.Type, l.Stream, l.Revision, l.Created.Format(time.RFC3339), p.LeafIndex, c.Size, c.Origin, c.Time.Format(time.RFC3339))
		fmt.Fprintf(a.stdout, "data: %s\n", l.Data)
		return nil
	}
	return errorf("verify-proof %s: kind %q is neither inclusion nor consistency", pos[0], kind.Kind)
}
