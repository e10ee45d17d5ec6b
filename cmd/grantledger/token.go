package main

import (
	"context"
	"fmt"

	"github.com/grantledger/grantledger/adapters/httpapi"
)

func cmdToken(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(a.stderr, "Usage: grantledger token create|list|revoke [flags]\n\nManages the API tokens of serve. 'grantledger token create --help' for the flags.")
		return nil
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		return usagef("token needs a subcommand: create, list or revoke (grantledger token create --help)")
	}
	sub, args := args[0], args[1:]
	fs := a.flags("token "+sub, "", `
Manages the API tokens of 'grantledger serve'. The token file keeps only
each token's SHA-256 and is created with mode 0600. 'create' prints the new
token once; keep it, it cannot be shown again.
  grantledger token create --role funder --name officer@ministry --funder "Ministry"
  grantledger token create --role grantee --name accountant --grantee "NGO"
  grantledger token create --role auditor --name auditor
  grantledger token list
  grantledger token revoke ID`)
	tokens := fs.String("tokens", "", "token file (default $GRANTLEDGER_TOKENS, else "+defaultTokens+")")
	role := fs.String("role", "", "funder, grantee, auditor or admin")
	name := fs.String("name", "", "who holds the token; written as the actor of every event they cause")
	funder := fs.String("funder", "", "the funder a funder token acts for")
	grantee := fs.String("grantee", "", "the grantee a grantee token acts for")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok, err := httpapi.OpenTokens(a.tokensPath(*tokens))
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		if fs.NArg() != 0 {
			return usagef("token create takes no arguments")
		}
		t, rec, err := tok.Create(httpapi.Principal{Name: *name, Role: *role, Funder: *funder, Grantee: *grantee})
		if err != nil {
			return usagef("token create: %v", err)
		}
		fmt.Fprintln(a.stdout, t)
		fmt.Fprintf(a.stderr, "token %s for %s (%s) saved as a hash in %s; this is the only time it is shown\n", rec.TokenID, rec.Name, rec.Role, a.tokensPath(*tokens))
	case "list":
		for _, r := range tok.List() {
			scope := r.Funder + r.Grantee
			fmt.Fprintf(a.stdout, "%s  %-8s %-30s %s  created %s\n", r.TokenID, r.Role, r.Name, scope, r.Created.Format("2006-01-02"))
		}
	case "revoke":
		if fs.NArg() != 1 {
			return usagef("token revoke needs the token ID (see 'grantledger token list')")
		}
		if err := tok.Revoke(fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "revoked %s\n", fs.Arg(0))
	}
	return nil
}
