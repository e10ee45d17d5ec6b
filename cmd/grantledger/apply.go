package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// applyBatch is how many lines share one durable commit. Each line stays
// atomic on its own.
const applyBatch = 1000

func cmdApply(ctx context.Context, a *app, args []string) error {
	fs := a.flags("apply", "FILE.jsonl|-", `
Applies commands, one JSON object per line:
  {"type":"record_spending","command_id":"<uuid>","actor":"you@example.org","reason":"…","data":{…}}
Lines are applied in order; each line is atomic. A failing line is reported
with its line number and reason; the lines before and after it stay applied,
and the exit code is 1. A command id seen before appends nothing (safe to
re-run a file). Command types and fields: docs/commands.md, or
'grantledger commands'.`)
	verbose := fs.Bool("v", false, "print every appended event")
	asJSON := fs.Bool("json", false, "print one JSON result per line on stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("apply needs one FILE (or - for stdin)")
	}
	var in io.Reader = a.stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return errorf("apply: %w", err)
		}
		defer f.Close()
		in = f
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	var st applyStats
	// On a terminal, a running count of the lines done (large files take
	// a while); silent into a file or a pipe.
	pr := newProgressOf(a.stderr, "apply", "lines")
	st.progress = pr
	closedYear := false
	out := json.NewEncoder(a.stdout)
	// Reading and decoding (JSON, validation) run one batch ahead, in their
	// own goroutine, while the batch before is decided and written: on two
	// cores the decoding costs no wall time. Batches are still applied and
	// reported strictly in line order.
	batches := make(chan decodedBatch, 1)
	readDone := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(batches)
		readDone <- readJSONL(in, applyBatch, func(lines []jsonLine) error {
			select {
			case batches <- decodeLines(lines):
				return nil
			case <-stop:
				return errApplyStopped
			}
		})
	}()
	// Each batch is decided while the one before it is being written
	// (command.Pipeline); results come back, and are reported, in line order.
	pl := svc.NewPipeline(ctx)
	report := func(b decodedBatch, results []command.Outcome) {
		for k, r := range results {
			if r.Err != nil {
				b.results[b.idx[k]].err = r.Err
				continue
			}
			res := r.Result
			b.results[b.idx[k]].Result = &res
			closedYear = closedYear || (!res.Duplicate && b.reqs[k].Envelope.Type == "close_year")
		}
		for _, r := range b.results {
			switch {
			case r.err != nil:
				st.fail(a, r.Line, r.err)
				r.Error, r.Code = r.err.Error(), domain.ErrorCode(r.err)
			case r.Result.Duplicate:
				st.duplicates++
			default:
				st.applied++
				st.events += len(r.Result.Events)
			}
			if *asJSON {
				out.Encode(r)
			}
			if *verbose && r.Result != nil {
				pr.clear()
				for _, e := range r.Result.Events {
					fmt.Fprint(a.stderr, tr(a.lang, "line %d: %s rev %d %s\n", r.Line, e.Type, e.Revision, e.ID))
				}
			}
		}
		pr.update(st.applied + st.duplicates + st.failed)
	}
	var inFlight decodedBatch
	gc := newGCTuner() // gctune.go: fewer collections while the heap is small
	defer gc.restore()
	for b := range batches {
		if err = ctx.Err(); err != nil {
			close(stop)
			break
		}
		if prev, ok := pl.Push(b.reqs); ok {
			report(inFlight, prev)
		}
		inFlight = b
		gc.adjust()
	}
	// The last batch pushed (or, when apply stops early, the one in
	// flight: it was written, and is reported as such).
	if last, ok := pl.Flush(); ok {
		report(inFlight, last)
	}
	pr.done()
	if err == nil {
		err = <-readDone
	}
	if serr := svc.SaveIndex(ctx); serr != nil { // the next process loads the index instead of reading the ledger (issue 17)
		fmt.Fprintln(a.stderr, "grantledger: warning:", serr)
	}
	if err != nil {
		return errorf("apply: %w (%d lines applied before this stayed applied)", err, st.applied)
	}
	fmt.Fprint(a.stderr, tr(a.lang, "applied %d commands (%d events), %d already applied, %d failed\n", st.applied, st.events, st.duplicates, st.failed))
	if err := a.afterApply(ctx, closedYear); err != nil {
		return err
	}
	if st.failed > 0 {
		return exitf(exitFailure, "%d line(s) failed; every other line was applied", st.failed)
	}
	return nil
}

// errApplyStopped ends the reading goroutine when apply stops early.
var errApplyStopped = errors.New("apply stopped")

// decodedBatch is a batch of lines with their envelopes and commands
// decoded: results[i] is line i's answer (with its error if it did not
// decode), and reqs holds the lines that did, idx[k] being the index in
// results of reqs[k].
type decodedBatch struct {
	results []lineResult
	reqs    []command.Request
	idx     []int
}

// decodeLines decodes the envelope and the command of every line.
func decodeLines(lines []jsonLine) decodedBatch {
	b := decodedBatch{results: make([]lineResult, len(lines))}
	for i, l := range lines {
		b.results[i].Line = l.no
		err := l.err
		if err == nil {
			var env domain.Envelope
			if env, err = wire.DecodeEnvelope(l.text); err == nil {
				var cmd domain.Command
				if cmd, err = wire.DecodeCommand(env); err == nil {
					b.reqs = append(b.reqs, command.Request{Envelope: env, Command: cmd})
					b.idx = append(b.idx, i)
					continue
				}
			}
		}
		b.results[i].err = err
	}
	return b
}

// handleEnvelopes decodes the command of each envelope (the seeds', or
// one the command line built), as apply decodes a line, and hands those
// that decode to h in one batch. The result has one Outcome per envelope:
// one that did not decode gets its decoding error and was not handed over.
func handleEnvelopes(ctx context.Context, h command.Handler, envs []domain.Envelope) []command.Outcome {
	return command.HandleEnvelopes(ctx, h, envs, wire.DecodeCommand)
}

// lineResult is what --json prints for each line.
type lineResult struct {
	Line   int             `json:"line"`
	Result *command.Result `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Code   string          `json:"code,omitempty"`
	err    error
}

type applyStats struct {
	applied, events, duplicates, failed int
	progress                            *progress // cleared before a failure is printed
}

func (s *applyStats) fail(a *app, line int, err error) {
	s.failed++
	if s.progress != nil {
		s.progress.clear()
	}
	fmt.Fprint(a.stderr, tr(a.lang, "line %d: %v\n", line, err))
}

type jsonLine struct {
	no   int
	text []byte
	err  error
}

// readJSONL reads non-blank lines and hands them to fn in groups of up to
// n. A line longer than wire.MaxEnvelopeBytes is passed with an error
// instead of its text; reading continues with the next line.
func readJSONL(r io.Reader, n int, fn func([]jsonLine) error) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var batch []jsonLine
	no := 0
	for {
		no++
		text, tooLong, err := readLine(br, wire.MaxEnvelopeBytes)
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: %w", no, err)
		}
		switch {
		case tooLong:
			batch = append(batch, jsonLine{no: no, err: domain.Errorf(domain.EInvalid, "line is longer than %d bytes", wire.MaxEnvelopeBytes)})
		case len(trimSpace(text)) > 0:
			batch = append(batch, jsonLine{no: no, text: text})
		}
		if len(batch) >= n || (err == io.EOF && len(batch) > 0) {
			if ferr := fn(batch); ferr != nil {
				return ferr
			}
			batch = nil
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine returns one line without its newline. Past max bytes it
// discards the rest of the line and reports tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := br.ReadLine()
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > max {
				tooLong, line = true, nil
			}
		}
		if err != nil {
			if err == io.EOF && (len(line) > 0 || tooLong) {
				return line, tooLong, nil
			}
			return line, tooLong, err
		}
		if !isPrefix {
			return line, tooLong, nil
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
