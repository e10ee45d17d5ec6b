// Command grantledger keeps the books of public money given to NGOs through
// delegation agreements and grant projects, as an append-only, hash-chained
// event ledger. Run "grantledger help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/cmd/internal/wiring"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Exit codes, documented in docs/cli.md.
const (
	exitOK       = 0
	exitFailure  = 1 // a command was refused, or something failed
	exitUsage    = 2 // wrong flags or arguments
	exitTampered = 3 // verify found a broken hash chain or Merkle log, or a proof does not hold
	exitFindings = 4 // summaries: some agreement has findings
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

// subcommand is one subcommand of grantledger.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is the table of subcommands.
func commands() []subcommand {
	return []subcommand{
		{"demo", "load the seed scenarios into a fresh ledger and print their yearly reports", cmdDemo},
		{"apply", "apply commands from a JSONL file (or - for stdin), one command per line", cmdApply},
		{"history", "list every event of an agreement in order", cmdHistory},
		{"verify", "recompute every hash chain and the Merkle log, check signed checkpoints, name the first broken event", cmdVerify},
		{"key", "key generate --out FILE: make the Ed25519 key that signs checkpoints", cmdKey},
		{"checkpoint", "print (and keep) a signed checkpoint of the Merkle log: size and root hash", cmdCheckpoint},
		{"prove", "prove an event is in a signed checkpoint, or that the log extends an older one", cmdProve},
		{"verify-proof", "check a proof offline with the verifier key alone", cmdVerifyProof},
		{"commands", "list the command types that apply accepts, with their fields", cmdCommands},
		{"backup", "write a consistent copy of the embedded ledger to one new file, its newest commits included", cmdBackup},
		{"migrate", "copy every event to another store (e.g. to EventStoreDB) and verify the copy", cmdMigrate},
		{"export", "write agreements as an hledger journal or IATI 2.03 XML", cmdExport},
		{"import", "import spending from a CSV export of accounting software", cmdImport},
		{"report", "the yearly report of one agreement and implementation year (text, json, csv, xlsx, md, html)", cmdReport},
		{"cash", "the grantee's cash position of one agreement: received, eligible spent, refunded, held, per year and to date", cmdCash},
		{"reconcile", "planned against actual per budget line across agreements, by year or date range", cmdReconcile},
		{"indicators", "indicator targets against deliveries, with evidence and overdue targets", cmdIndicators},
		{"obligations", "reporting obligations: due, overdue, submitted, accepted or returned (exit 4 when any is overdue)", cmdObligations},
		{"seal", "submit a report and seal it: the rendered file's SHA-256 and size, and a signed checkpoint when given", cmdSeal},
		{"restatement", "a submitted (sealed) report against the ledger now, with the later events that change its figures", cmdRestatement},
		{"document", "document check FILE: which registered document or submitted report a file is, by its SHA-256", cmdDocument},
		{"audit", "the audit trail of every event with the hash-chain verification result", cmdAudit},
		{"summaries", "write every agreement's yearly report and an index to a directory (exit 4 on findings)", cmdSummaries},
		{"serve", "serve the HTTP API with roles, metrics, health checks and graceful shutdown", cmdServe},
		{"token", "create, list or revoke the API tokens of serve (create prints the token once)", cmdToken},
		{"generate", "write a JSONL file of commands shaped like real delegations, for measurements", cmdGenerate},
		{"load", "a bounded loopback load test of serve against a bare net/http handler", cmdLoad},
		{"version", "print the module version, the commit it was built from and the Go version", cmdVersion},
	}
}

// app carries what every subcommand needs: the standard streams, the clock,
// and the store chosen by flag or environment, opened on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	getenv         func(string) string
	lang           document.Lang // the language of the run's messages (argsLang)

	storeSpec string
	store     port.Store
	// wired is the application serve and load put together over store
	// (cmd/internal/wiring); closing the app closes it.
	wired *wiring.Main
	// mayCreate lets open create an embedded ledger that does not exist;
	// only commands that write set it (docs/cli.md).
	mayCreate bool
	// serving: the process runs long with many writers (serve, load); an
	// embedded ledger's checkpoints follow its load (sqlite.CheckpointsByLoad).
	serving bool

	noVerify       bool               // --no-verify: reads do not check the Merkle log
	warnedNoVerify bool               // the --no-verify warning was printed
	verifiedAt     merkle.Verified    // the last point the log was checked to
	checkedFrom    int64              // where the last check of the log started
	state          *merkle.Checkpoint // the log state the read model was computed from
	report         *reportState       // the state reports name (see reportstate.go)
	// saving holds the saves of read models still being written while the
	// command computes and prints its report; run waits for them
	// (finishSaves) before the process ends.
	saving []chan error
}

// testClock, when set (by tests only), is the clock of every command.
var testClock func() time.Time

// testOnFold, when set (by tests only), sees every event serve's read
// model folds.
var testOnFold func(projections.Event)

// usageError marks an error in how the program was called (exit 2).
type usageError struct {
	msg  string
	key  string // the catalogue message of msg, with args (messages.go)
	args []any
}

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...), key: format, args: args}
}

// exitError carries a chosen exit code with an already printed message.
type exitError struct {
	code int
	msg  string
	key  string // the catalogue message of msg, with args (messages.go)
	args []any
}

func (e exitError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, getenv: os.Getenv, lang: argsLang(args)}
	if testClock != nil {
		a.now = testClock
	}
	defer a.close()
	if len(args) == 0 {
		// No command: a short help on stderr and exit 2, as for any
		// other call that does not say what to do.
		fmt.Fprint(stderr, trText(a.lang, shortHelp))
		return exitError{code: exitUsage}
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, stdin, stdout, stderr)
		}
		printHelp(stdout, a.lang)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := a.finishSaves(c.run(ctx, a, args[1:]))
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil && a.lang == document.LV {
				err = langErr{lang: a.lang, err: err}
			}
			return err
		}
	}
	err := usagef("unknown command %q; run 'grantledger help' for the list", args[0])
	if a.lang == document.LV {
		err = langErr{lang: a.lang, err: err}
	}
	return err
}

func printHelp(w io.Writer, l document.Lang) {
	fmt.Fprint(w, trText(l, helpHead)+"\n")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprint(w, rpt.WrapIndent(trText(l, c.summary), fmt.Sprintf("  %-12s ", c.name)))
	}
	fmt.Fprint(w, "\n"+trText(l, helpFoot)+"\n")
}

// helpHead and helpFoot frame the command list of 'grantledger help'.
const helpHead = `grantledger: the ledger of public money given to NGOs through delegation
agreements and grant projects. Every change is an immutable, hash-chained event.

Usage: grantledger <command> [flags]

Commands:`

const helpFoot = `Every command takes --help. The ledger is the embedded file ./grantledger.db
unless --db PATH, --store SPEC, GRANTLEDGER_DB or GRANTLEDGER_STORE say
otherwise (SPEC: sqlite:PATH, or an esdb://… URL for EventStoreDB).
Docs: README.md, docs/commands.md, docs/cli.md, docs/REPORTS.md.`

// flags returns a FlagSet for a subcommand with the store flags added. The
// usage text names the command and its arguments.
func (a *app) flags(name, argsUsage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(flagOutput{w: a.stderr, lang: a.lang})
	fs.Usage = func() {
		fmt.Fprint(a.stderr, strings.TrimRight(tr(a.lang, "Usage: grantledger %s [flags] %s", name, argsUsage), " ")+"\n\n")
		fmt.Fprint(a.stderr, trText(a.lang, strings.TrimSpace(about))+"\n\n"+tr(a.lang, "Flags:")+"\n")
		printFlags(a.stderr, fs, a.lang)
	}
	fs.Func("db", "path of the embedded ledger file (default ./grantledger.db, or $GRANTLEDGER_DB)", func(v string) error {
		a.storeSpec = "sqlite:" + v
		return nil
	})
	fs.Func("store", "store to use: sqlite:PATH or esdb://… (default $GRANTLEDGER_STORE, else sqlite:./grantledger.db)", func(v string) error {
		a.storeSpec = v
		return nil
	})
	return fs
}

// parse parses flags and turns flag errors into usage errors. Flags may
// come before or after the positional arguments ("apply first.jsonl --db
// x" as "apply --db x first.jsonl"); after "--" everything is positional.
// fs.Args() are the positional arguments in their order.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			// The flag package has printed the error and the usage;
			// exit 2 without printing it a second time.
			return exitError{code: exitUsage}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // flag's own "--": the rest is positional
			break
		}
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			i++
		}
		pos = append(pos, rest[:i]...)
		if i == len(rest) {
			break
		}
		if rest[i] == "--" {
			pos = append(pos, rest[i+1:]...)
			break
		}
		args = rest[i:]
	}
	// Leave the positional arguments as fs.Args().
	return fs.Parse(append([]string{"--"}, pos...))
}

// report prints err to stderr in one place and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	l := errLang(err)
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(stderr, "grantledger:", errText(l, ee))
		}
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "grantledger:", errText(l, ue))
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "grantledger:", tr(l, "interrupted; every command acknowledged before stays recorded"))
		return exitFailure
	}
	fmt.Fprintln(stderr, "grantledger:", errText(l, err))
	if domain.ErrorCode(err) == domain.ETampered {
		return exitTampered
	}
	return exitFailure
}
