package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func cmdToken(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(a.stderr, trText(a.lang, "Usage: grantledger token create|list|revoke [flags]\n\nManages the API tokens of serve, kept in the ledger. 'grantledger token create --help' for the flags."))
		return nil
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		return usagef("token needs a subcommand: create, list or revoke (grantledger token create --help)")
	}
	sub, args := args[0], args[1:]
	// Each subcommand has its own usage and only its own flags.
	common := `

Tokens of 'grantledger serve' are kept in the ledger itself (the stream ` + domain.TokenStream + `:
the same file or EventStoreDB as --db or --store), each as its SHA-256 only;
every running server sees a new or revoked token within a second.`
	about := map[string]string{
		"create": `
Creates an API token and prints it once on stdout; keep it, it cannot be
shown again. The creation is an event of the audit trail, with the actor and
the time. A token file of an older version (--tokens) is moved into the
ledger first, then renamed.` + common + `

  grantledger token create --role funder --name officer@ministry --funder "Ministry"
  grantledger token create --role grantee --name accountant --grantee "NGO" --expires 90d
  grantledger token create --role auditor --name auditor`,
		"list": `
Lists the tokens: id, role, holder, organisation, when created, expiry. The
tokens themselves are never shown (only their hashes are kept).` + common + `

  grantledger token list`,
		"revoke": `
Revokes the token ID (from 'grantledger token list'); servers refuse it
within a second. The revocation is an event of the audit trail, with the
actor and the time.` + common + `

  grantledger token revoke ID`,
	}[sub]
	argsUsage := map[string]string{"revoke": "ID"}[sub]
	fs := a.flags("token "+sub, argsUsage, about)
	var tokens, role, name, funder, grantee, expires, actor = new(string), new(string), new(string), new(string), new(string), new(string), new(string)
	allowUnknown := new(bool)
	if sub != "list" {
		fs.StringVar(tokens, "tokens", "", "token file of an older version to move into the ledger (default $GRANTLEDGER_TOKENS, else "+defaultTokens+")")
		fs.StringVar(actor, "actor", "", "who "+map[string]string{"create": "creates", "revoke": "revokes"}[sub]+" the token, as the audit trail records it (default cli:$USER)")
	} else {
		fs.StringVar(tokens, "tokens", "", "token file of an older version, to say whether one still waits to be moved in (default $GRANTLEDGER_TOKENS, else "+defaultTokens+")")
	}
	if sub == "create" {
		fs.StringVar(role, "role", "", "funder, grantee, auditor or admin")
		fs.StringVar(name, "name", "", "who holds the token; written as the actor of every event they cause")
		fs.StringVar(funder, "funder", "", "the funder a funder token acts for (an agreement must name it, unless --allow-unknown)")
		fs.StringVar(grantee, "grantee", "", "the grantee a grantee token acts for (an agreement must name it, unless --allow-unknown)")
		fs.StringVar(expires, "expires", "", "the token stops working after this: a duration such as 90d or 12h, or a date YYYY-MM-DD (default: never)")
		fs.BoolVar(allowUnknown, "allow-unknown", false, "create a funder or grantee token for an organisation no agreement names yet")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *actor == "" {
		*actor = "cli:" + a.getenv("USER")
		if *actor == "cli:" {
			*actor = "cli"
		}
	}
	if sub == "create" {
		a.mayCreate = true
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	tok, err := toks.OpenTokenStore(ctx, store, toks.TokenOptions{Now: a.now, Orgs: func(ctx context.Context) ([]string, []string, error) {
		return a.organisations(ctx)
	}})
	if err != nil {
		return err
	}
	legacy := a.tokensPath(*tokens)
	if sub != "list" {
		n, err := tok.MoveIn(ctx, legacy, *actor+" (moved in)")
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprint(a.stderr, tr(a.lang, "moved %d tokens from %s into the ledger %s; the file was renamed %s%s and is no longer read\n", n, legacy, a.spec(), legacy, toks.MovedSuffix))
		}
	}
	switch sub {
	case "create":
		if fs.NArg() != 0 {
			return usagef("token create takes no arguments")
		}
		var exp time.Time
		if *expires != "" {
			if exp, err = parseExpiry(*expires, a.now()); err != nil {
				return usagef("--expires: %v", err)
			}
		}
		t, rec, err := tok.CreateWith(ctx, access.Principal{Name: *name, Role: *role, Funder: *funder, Grantee: *grantee},
			access.CreateOptions{Actor: *actor, Expires: exp, AllowUnknown: *allowUnknown})
		if errors.Is(err, access.ErrUnknownOrg) {
			return errorf("token create: %v (--allow-unknown)", err)
		}
		if err != nil && strings.HasPrefix(err.Error(), "tokens:") {
			return err
		}
		if err != nil {
			return usagef("token create: %v", err)
		}
		fmt.Fprintln(a.stdout, t)
		until := ""
		if !rec.Expires.IsZero() {
			until = ", valid until " + rec.Expires.Format(time.RFC3339)
		}
		fmt.Fprint(a.stderr, tr(a.lang, "token %s for %s (%s)%s saved as a hash in the ledger %s; this is the only time it is shown\n", rec.TokenID, rec.Name, rec.Role, until, a.spec()))
	case "list":
		if n, _ := tokenFileWaiting(legacy); n {
			fmt.Fprint(a.stderr, tr(a.lang, "note: the token file %s is not read; 'token create' or 'serve' moves it into the ledger\n", legacy))
		}
		for _, r := range tok.List() {
			scope := r.Funder + r.Grantee
			exp := ""
			if !r.Expires.IsZero() {
				exp = "  expires " + r.Expires.Format("2006-01-02")
				if !a.now().Before(r.Expires) {
					exp = "  EXPIRED " + r.Expires.Format("2006-01-02")
				}
			}
			fmt.Fprint(a.stdout, tr(a.lang, "%s  %-8s %-30s %s  created %s%s\n", r.TokenID, r.Role, r.Name, scope, r.Created.Format("2006-01-02"), exp))
		}
	case "revoke":
		if fs.NArg() != 1 {
			return usagef("token revoke needs the token ID (see 'grantledger token list')")
		}
		if err := tok.RevokeWith(ctx, fs.Arg(0), *actor); err != nil {
			return err
		}
		fmt.Fprint(a.stdout, tr(a.lang, "revoked %s; every running server refuses it within a second\n", fs.Arg(0)))
	}
	return nil
}

// parseExpiry reads --expires: Nd (days), a Go duration (12h, 90m), or a
// date (the token works until the start of that day, UTC).
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3660 {
			return time.Time{}, errorf("%q: days must be a whole number from 1 to 3660", s)
		}
		return now.Add(time.Duration(n) * 24 * time.Hour), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errorf("%q is not in the future", s)
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if !t.After(now) {
			return time.Time{}, errorf("%s is not in the future", s)
		}
		return t, nil
	}
	return time.Time{}, errorf("%q: use days (90d), a duration (12h) or a date (2027-03-01)", s)
}

// organisations lists the funders and grantees the ledger's agreements
// name, for the unknown-organisation check of token create.
func (a *app) organisations(ctx context.Context) (funders, grantees []string, err error) {
	rm, err := a.readModel(ctx, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	rm.View(func(l *projections.Ledger) error {
		funders, grantees = projections.Organisations(l)
		return nil
	})
	return funders, grantees, nil
}
