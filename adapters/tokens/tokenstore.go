package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// TokenOptions configure OpenTokenStore.
type TokenOptions struct {
	// Now is the clock of creation times and expiry (default time.Now).
	Now func() time.Time
	// Refresh is how old the copy of the token stream may be before a
	// token is checked against it (default 250ms). Revocation by any
	// process reaches this one within Refresh plus one read of the stream.
	Refresh time.Duration
	// Orgs returns the funders and grantees the ledger's agreements name;
	// nil skips the unknown-organisation check.
	Orgs func(ctx context.Context) (funders, grantees []string, err error)
}

// tokenStream keeps Tokens in step with the token stream of a store.
type tokenStream struct {
	store   domain.EventStore
	refresh time.Duration
	orgs    func(ctx context.Context) (funders, grantees []string, err error)
	reg     *domain.EventRegistry

	syncMu sync.Mutex   // one reader of the stream at a time
	synced atomic.Int64 // time.Now().UnixNano() of the last successful read; 0: none
	next   uint64       // next revision to read (under syncMu)
	chain  domain.ChainVerifier
	err    atomic.Pointer[error] // the last read's error, for Err
	t      *Tokens               // the records this stream fills
}

// OpenTokenStore returns the tokens kept in store's token stream
// (domain.TokenStream), read now and again whenever the copy is older than
// opts.Refresh, so tokens created or revoked by another process (the CLI,
// another server) count here within that interval. When the stream cannot
// be read, or its hash chain is broken, every token is refused until it
// can be read again: a revocation is never missed.
func OpenTokenStore(ctx context.Context, store domain.EventStore, opts TokenOptions) (*Tokens, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 250 * time.Millisecond
	}
	ts := &tokenStream{store: store, refresh: opts.Refresh, orgs: opts.Orgs, reg: domain.NewEventRegistry(),
		chain: domain.ChainVerifier{Stream: domain.TokenStream}}
	t := &Tokens{now: opts.Now, ts: ts}
	ts.t = t
	if err := ts.sync(ctx, true); err != nil {
		return nil, err
	}
	return t, nil
}

// Err returns why the token stream could not be read the last time, or nil.
func (t *Tokens) Err() error {
	if t.ts == nil {
		return nil
	}
	if p := t.ts.err.Load(); p != nil {
		return *p
	}
	return nil
}

// fresh brings the copy up to date when it is older than the refresh
// interval and reports whether it is usable.
func (ts *tokenStream) fresh() bool {
	if last := ts.synced.Load(); last != 0 && time.Since(time.Unix(0, last)) < ts.refresh {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return ts.sync(ctx, false) == nil
}

// sync reads the events appended to the token stream since the last read
// and folds them into the records. With force false it does nothing when
// another caller read the stream within the refresh interval.
func (ts *tokenStream) sync(ctx context.Context, force bool) error {
	ts.syncMu.Lock()
	defer ts.syncMu.Unlock()
	if last := ts.synced.Load(); !force && last != 0 && time.Since(time.Unix(0, last)) < ts.refresh {
		return nil
	}
	started := time.Now()
	err := ts.read(ctx, ts.t)
	if err != nil {
		err = fmt.Errorf("tokens: read the token stream %s: %w", domain.TokenStream, err)
		ts.err.Store(&err)
		ts.synced.Store(0)
		return err
	}
	ts.err.Store(nil)
	ts.synced.Store(started.UnixNano())
	return nil
}

const tokenPage = 512

func (ts *tokenStream) read(ctx context.Context, t *Tokens) error {
	for {
		evs, err := ts.store.ReadStream(ctx, domain.TokenStream, ts.next, domain.Forwards, tokenPage)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := ts.chain.Check(e); err != nil {
				return err
			}
			m, _ := domain.DecodeMetadata(e.Metadata) // Check decoded it already
			ev, err := ts.reg.Decode(e.Type, m.SchemaVersion, e.Data)
			if err != nil {
				return fmt.Errorf("revision %d: %w", e.Revision, err)
			}
			t.fold(ev)
			ts.next = e.Revision + 1
		}
		if len(evs) < tokenPage {
			return nil
		}
	}
}

// fold applies one event of the token stream to the records.
func (t *Tokens) fold(ev domain.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e := ev.(type) {
	case domain.TokenCreated:
		for _, r := range t.recs {
			if r.TokenID == e.ID {
				return // an id is created once; a second creation changes nothing
			}
		}
		t.recs = append(t.recs, access.TokenRecord{Principal: access.Principal{TokenID: e.ID, Name: e.Name, Role: e.Role, Funder: e.Funder, Grantee: e.Grantee},
			Hash: e.SHA256, Created: e.Created, Expires: e.Expires})
	case domain.TokenRevoked:
		for i := range t.recs {
			if t.recs[i].TokenID == e.ID {
				t.recs[i].Revoked = true
			}
		}
	}
}

// appendEvents appends events to the token stream after the last one
// read, checking check against the records first; on a concurrent append
// it reads again and retries.
func (ts *tokenStream) appendEvents(ctx context.Context, t *Tokens, actor, commandType string, check func() error, evs ...domain.Event) error {
	if actor == "" {
		actor = "unknown"
	}
	for try := 0; ; try++ {
		if err := ts.sync(ctx, true); err != nil {
			return err
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		ts.syncMu.Lock()
		next, prev := ts.next, ts.chain.LastHash()
		ts.syncMu.Unlock()
		cmd := uuid.New()
		now := t.now().UTC()
		data := make([]domain.EventData, 0, len(evs))
		for i, ev := range evs {
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			id := uuid.New()
			m := domain.Metadata{EventID: id, CommandID: cmd, CommandType: commandType, CorrelationID: cmd, Actor: actor,
				RecordedAt: now, SchemaVersion: ts.reg.Version(ev.EventType()), PrevHash: prev}
			m.Hash = domain.EventHash(domain.TokenStream, next+uint64(i), ev.EventType(), b, m)
			prev = m.Hash
			meta, _ := json.Marshal(m)
			data = append(data, domain.EventData{ID: id, Type: ev.EventType(), Data: b, Metadata: meta})
		}
		expected := domain.NoStream
		if next > 0 {
			expected = domain.Exact(next - 1)
		}
		_, err := ts.store.Append(ctx, domain.TokenStream, expected, data)
		if errors.Is(err, domain.ErrConcurrency) && try < 10 {
			continue
		}
		if err != nil {
			return fmt.Errorf("tokens: append to %s: %w", domain.TokenStream, err)
		}
		return ts.sync(ctx, true)
	}
}

func (ts *tokenStream) create(ctx context.Context, t *Tokens, rec access.TokenRecord, o access.CreateOptions) error {
	if !o.AllowUnknown && ts.orgs != nil && (rec.Role == access.RoleFunder || rec.Role == access.RoleGrantee) {
		funders, grantees, err := ts.orgs(ctx)
		if err != nil {
			return fmt.Errorf("tokens: list the organisations of the ledger: %w", err)
		}
		kind, name, known := "funder", rec.Funder, funders
		if rec.Role == access.RoleGrantee {
			kind, name, known = "grantee", rec.Grantee, grantees
		}
		if err := knownOrg(kind, name, known); err != nil {
			return err
		}
	}
	ev := domain.TokenCreated{ID: rec.TokenID, Name: rec.Name, Role: rec.Role, Funder: rec.Funder, Grantee: rec.Grantee,
		SHA256: rec.Hash, Created: rec.Created, Expires: rec.Expires}
	return ts.appendEvents(ctx, t, o.Actor, "create_token", nil, ev)
}

// knownOrg refuses a name that no agreement gives as its funder (or
// grantee), naming the nearest known spelling when only case or spaces
// differ.
func knownOrg(kind, name string, known []string) error {
	for _, k := range known {
		if k == name {
			return nil
		}
	}
	for _, k := range known {
		if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(name)) {
			return fmt.Errorf("%w: no agreement has %s %q; did you mean %q? (allow unknown organisations to create it anyway)", access.ErrUnknownOrg, kind, name, k)
		}
	}
	return fmt.Errorf("%w: no agreement has %s %q (%d %ss are known; allow unknown organisations to create it anyway)", access.ErrUnknownOrg, kind, name, len(known), kind)
}

func (ts *tokenStream) revoke(ctx context.Context, t *Tokens, id, actor string) error {
	check := func() error {
		t.mu.RLock()
		defer t.mu.RUnlock()
		for _, r := range t.recs {
			if r.TokenID == id && !r.Revoked {
				return nil
			}
		}
		return fmt.Errorf("token %q: %w", id, access.ErrNoToken)
	}
	return ts.appendEvents(ctx, t, actor, "revoke_token", check, domain.TokenRevoked{ID: id})
}

// MovedSuffix is appended to the name of a token file once its tokens are
// in the ledger's store.
const MovedSuffix = ".moved-into-ledger"

// MoveIn moves the tokens of a token file of an older version (path) into
// the token stream, once: only when the stream has no event yet, all of
// them in one append, each keeping its id, hash and creation time. The file
// is then renamed to path+MovedSuffix so that no one edits it believing it
// still counts. It returns how many tokens were moved; 0 with a nil error
// when there is no file or the stream already holds tokens.
func (t *Tokens) MoveIn(ctx context.Context, path, actor string) (int, error) {
	if t.ts == nil || path == "" {
		return 0, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	old, err := OpenTokens(path)
	if err != nil {
		return 0, err
	}
	recs := old.List()
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Created.Before(recs[j].Created) })
	evs := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		evs = append(evs, domain.TokenCreated{ID: r.TokenID, Name: r.Name, Role: r.Role, Funder: r.Funder, Grantee: r.Grantee,
			SHA256: r.Hash, Created: r.Created, MovedFrom: path})
	}
	empty := func() error {
		t.ts.syncMu.Lock()
		defer t.ts.syncMu.Unlock()
		if t.ts.next > 0 {
			return errStreamNotEmpty
		}
		return nil
	}
	if len(evs) > 0 {
		err := t.ts.appendEvents(ctx, t, actor, "move_tokens_in", empty, evs...)
		if errors.Is(err, errStreamNotEmpty) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
	} else if empty() != nil {
		return 0, nil
	}
	if err := os.Rename(path, path+MovedSuffix); err != nil {
		return len(evs), fmt.Errorf("tokens moved into the ledger, but the old file stays: %w", err)
	}
	return len(evs), nil
}

var errStreamNotEmpty = errors.New("the token stream already holds tokens")
