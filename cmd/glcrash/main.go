// Command glcrash is the writer process of grantledger's crash test
// (adapters/reliability). It opens the embedded store, listens on a
// loopback TCP address and takes commands from any number of clients, one
// JSON envelope per line (the same JSON as "grantledger apply"). Commands
// that arrive together share one durable commit (command.Service.Handle); the
// answer line for a command is written only after that commit returned, so
// an acknowledged command has reached the disk. A projector follows the
// store and saves its read model with its checkpoint as it goes, so a kill
// can also land in the middle of a snapshot.
//
// It prints "listening ADDR" on stdout when ready. It is a test tool, not
// a server to deploy: it has no authentication and listens on loopback only.
//
// Usage:
//
//	glcrash -db PATH [-addr 127.0.0.1:0] [-batch 256]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/cmd/internal/wiring"
	"github.com/grantledger/grantledger/domain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "glcrash:", err)
		os.Exit(1)
	}
}

// Answer is the line written back for each command line.
type Answer struct {
	CommandID string `json:"command_id,omitempty"`
	OK        bool   `json:"ok"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Events    int    `json:"events,omitempty"`
	Code      string `json:"code,omitempty"`
	Error     string `json:"error,omitempty"`
}

type request struct {
	req   command.Request
	reply chan Answer
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("glcrash", flag.ContinueOnError)
	db := fs.String("db", "", "path of the embedded ledger file")
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	batch := fs.Int("batch", 256, "most commands per durable commit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("-db PATH is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-addr %q: must be a loopback address such as 127.0.0.1:0", *addr)
	}
	// As the command line opens it (issue 17): a graceful stop leaves the
	// WAL not checkpointed, so the crash test's restarts after a stop read
	// it back through SQLite's recovery, as they do after a kill.
	store, err := sqlite.Open(*db, sqlite.NoCheckpointOnClose())
	if err != nil {
		return err
	}
	// No metrics and no group committer: glcrash groups commands into
	// batches itself (commit, below).
	wired := wiring.New(wiring.Config{Store: store})
	defer wired.Close()
	svc := wired.Service
	proj, err := wired.OpenReadModel(ctx, readmodel.Options{SnapshotEvery: 50})
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	go follow(ctx, proj)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	reqs := make(chan request, *batch)
	go commit(ctx, svc, reqs, *batch)
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go serve(ctx, c, reqs)
	}
}

// follow keeps the read model caught up; CatchUp saves the read model and
// its checkpoint together whenever it applied something.
func follow(ctx context.Context, proj *readmodel.Runner) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := proj.CatchUp(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "glcrash: projections:", err)
			}
		}
	}
}

// commit takes whatever requests are waiting, up to max, and applies them
// in one durable commit, then answers each.
func commit(ctx context.Context, svc *command.Service, reqs <-chan request, max int) {
	for {
		var group []request
		select {
		case <-ctx.Done():
			return
		case r := <-reqs:
			group = append(group, r)
		}
	drain:
		for len(group) < max {
			select {
			case r := <-reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		batch := make([]command.Request, len(group))
		for i, r := range group {
			batch[i] = r.req
		}
		for i, res := range svc.Handle(ctx, batch) {
			a := Answer{CommandID: batch[i].Envelope.CommandID.String()}
			if res.Err != nil {
				a.Code, a.Error = domain.ErrorCode(res.Err), res.Err.Error()
			} else {
				a.OK, a.Duplicate, a.Events = true, res.Result.Duplicate, len(res.Result.Events)
			}
			group[i].reply <- a
		}
	}
}

// serve answers one client's lines in order.
func serve(ctx context.Context, c net.Conn, reqs chan<- request) {
	defer c.Close()
	in := bufio.NewScanner(c)
	in.Buffer(make([]byte, 64*1024), wire.MaxEnvelopeBytes+1)
	out := json.NewEncoder(c)
	reply := make(chan Answer, 1)
	for in.Scan() {
		env, err := wire.DecodeEnvelope(in.Bytes())
		var a Answer
		var cmd domain.Command
		if err == nil {
			if cmd, err = wire.DecodeCommand(env); err != nil {
				a.CommandID = env.CommandID.String()
			}
		}
		if err != nil {
			a.Code, a.Error = domain.ErrorCode(err), err.Error()
		} else {
			select {
			case reqs <- request{req: command.Request{Envelope: env, Command: cmd}, reply: reply}:
			case <-ctx.Done():
				return
			}
			a = <-reply
		}
		if err := out.Encode(a); err != nil {
			return
		}
	}
}
