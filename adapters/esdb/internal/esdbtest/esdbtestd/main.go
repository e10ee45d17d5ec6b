// Command esdbtestd runs the in-process EventStoreDB TEST server
// (adapters/esdb/internal/esdbtest) on its own, on 127.0.0.1, so that the
// grantledger CLI (load, the real-server checklist's probes) can be tried
// against it. It is a test tool: the log lives in memory and is lost when
// it stops. It prints the connection string on the first line of its
// output and serves until interrupted.
//
//	go run ./adapters/esdb/internal/esdbtest/esdbtestd [-checkpoints at-end-of-log] [-max-append-size N] [-user U -password P] [-deny-all-read]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
)

func main() {
	mode := flag.String("checkpoints", "real", "checkpoint pattern: real, at-end-of-log, ahead-of-events, going-live, repeated-live")
	maxAppend := flag.Int("max-append-size", 0, "MaxAppendSize in bytes (0: 1048576, the server's default)")
	user := flag.String("user", "", "require this user (with -password; implies TLS with a self-signed certificate)")
	password := flag.String("password", "", "the user's password")
	denyAll := flag.Bool("deny-all-read", false, "refuse reads of $all, as a real server does for a non-admin user")
	flag.Parse()
	opts := esdbtest.Options{MaxAppendSize: *maxAppend, Username: *user, Password: *password, DenyAllRead: *denyAll}
	found := false
	for m := esdbtest.CheckpointsReal; m <= esdbtest.CheckpointsRepeatedLive; m++ {
		if m.String() == *mode {
			opts.Checkpoints, found = m, true
		}
	}
	if !found {
		fmt.Fprintf(os.Stderr, "esdbtestd: -checkpoints %q: use real, at-end-of-log, ahead-of-events, going-live or repeated-live\n", *mode)
		os.Exit(2)
	}
	srv, err := esdbtest.Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "esdbtestd:", err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
}
