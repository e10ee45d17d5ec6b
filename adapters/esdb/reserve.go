package esdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// EventStoreDB has no transaction over several streams and no lock a
// check could hold until an append is written, so the two rules that
// span agreements (a command id is used on one agreement only; a new
// agreement number may not look like a registered one) are kept by
// reservation streams, whose first event the server writes once:
//
//   - grantledger-reserved-command-<command id>: the command id's
//     reservation, recording the agreement stream, the command's type
//     and its hash (metadata command_hash, SHA-256 of the command);
//   - grantledger-reserved-number-<SHA-256 of a look-alike key, hex>:
//     one per key of domain.NumberKeys, recording the number registered
//     with it and its stream.
//
// AppendGuarded appends each reservation with expected revision
// "no stream" before it appends the agreement's events. The server's
// optimistic concurrency lets exactly one such append create the stream,
// in every process and on every node (appends go to the leader), so of
// two commands racing for one id or one key only one reserves it. A
// reservation that is already there is read: the same command (same id,
// agreement stream and hash) or the same number is let through, anything
// else is refused, with domain.ErrGuardRefused and the domain's error.
//
// A reservation whose events were never appended (the append failed, or
// the process died between the two) stays. It lets the same command
// through again, so a retry (by this process or another) applies it
// once; it refuses a different command with that id, also on the same
// agreement, for good: the id may have been applied, as far as any
// process can tell. The reservation of numbers is made before the
// command id's, so a registration refused for its number does not hold
// its command id. The append's size is checked before anything is
// reserved, so an append the store would refuse reserves nothing.
//
// ReadAll and Subscribe leave reservation streams out, as they leave out
// system streams: projections, verify, migrate and the ledger's index
// see agreement streams only.
const (
	// ReservedPrefix starts the name of every reservation stream.
	ReservedPrefix       = "grantledger-reserved-"
	commandReservePrefix = ReservedPrefix + "command-"
	numberReservePrefix  = ReservedPrefix + "number-"

	typeCommandReserved = "CommandIDReserved"
	typeNumberReserved  = "AgreementNumberReserved"
)

// reservation is the data of a reservation event.
type reservation struct {
	CommandID   uuid.UUID `json:"command_id,omitempty"`
	CommandType string    `json:"command_type,omitempty"`
	CommandHash string    `json:"command_hash,omitempty"`
	Number      string    `json:"agreement,omitempty"`
	Stream      string    `json:"stream"`
}

// reservationNamespace derives reservation event ids, so that a retried
// reservation carries the id of the first and the server recognises it.
var reservationNamespace = uuid.MustParse("6f1d3c2e-6a43-4c8e-9a55-2b7c0c8f4e11")

// afterReserve, when set (by tests), runs after an append's reservations
// and before its events are appended; an error it returns fails the
// append there, as a dropped connection would.
var afterReserve func(stream string) error

var _ domain.GuardedAppender = (*Store)(nil)
var _ domain.LockedGuards = (*Store)(nil)

// GuardsUnderLock implements domain.LockedGuards: false, since the
// store holds no lock. The ledger then catches its index up before every
// command (for its messages and for ledgers written before reservations
// existed), and the reservations hold the rules across processes.
func (s *Store) GuardsUnderLock() bool { return false }

// KeepsLedgerRules implements domain.RulesKeeper: the reservation
// streams refuse, on the server, an append that would break a ledger-wide
// rule, so the ledger need not read $all before every command to keep
// them (it still reads it once, at its first command, for ids and numbers
// written before reservations existed).
func (s *Store) KeepsLedgerRules() bool { return true }

// AppendGuarded implements domain.GuardedAppender for EventStoreDB. It
// does not run g.Check on a read of $all (nothing would hold what it read
// until the append); it keeps the ledger's two rules by reservations (see
// above): every request's number keys and command id are reserved, then
// the requests are appended as Concurrent.AppendBatch does. When a
// reservation refuses, the error wraps domain.ErrGuardRefused and the
// domain's error, and no request is appended.
func (s *Store) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	for _, r := range reqs {
		if appendSize(r.Events) > s.MaxAppendBytes() {
			// Refused before anything is reserved: an append the store
			// will not send must not hold its command id.
			return nil, s.tooLarge(r.Stream, r.Events, "")
		}
	}
	errs := make([]error, len(reqs))
	limit := s.BatchConcurrency
	if limit <= 0 {
		limit = DefaultBatchConcurrency
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = s.reserve(ctx, reqs[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, domain.ErrGuardRefused) {
			return nil, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if afterReserve != nil {
		for _, r := range reqs {
			if err := afterReserve(r.Stream); err != nil {
				return nil, s.wrap("append to "+r.Stream, err)
			}
		}
	}
	if len(reqs) == 1 {
		r := reqs[0]
		res, err := s.Append(ctx, r.Stream, r.Expected, r.Events)
		return []domain.AppendOutcome{{Result: res, Err: err}}, nil
	}
	return Concurrent{s}.AppendBatch(ctx, reqs)
}

// reserve makes the reservations of one request: its number keys when it
// registers an agreement, then its command id.
func (s *Store) reserve(ctx context.Context, r domain.AppendRequest) error {
	var cmd reservation
	for _, e := range r.Events {
		if e.Type == domain.TypeAgreementRegistered {
			var reg struct {
				Number string `json:"agreement"`
			}
			if err := json.Unmarshal(e.Data, &reg); err != nil {
				return fmt.Errorf("append to %s: read the registered number: %w", r.Stream, err)
			}
			keys := domain.NumberKeys(reg.Number)
			for k, key := range keys {
				if k > 0 && key == keys[0] {
					continue
				}
				if err := s.reserveNumber(ctx, key, reg.Number, r.Stream); err != nil {
					return err
				}
			}
		}
		if cmd.CommandID == uuid.Nil {
			if m, err := domain.DecodeMetadata(e.Metadata); err == nil && m.CommandID != uuid.Nil {
				cmd = reservation{CommandID: m.CommandID, CommandType: m.CommandType, CommandHash: m.CommandHash, Stream: r.Stream}
			}
		}
	}
	if cmd.CommandID == uuid.Nil {
		return nil
	}
	return s.reserveCommand(ctx, cmd)
}

// reserveNumber reserves one look-alike key of number for stream.
func (s *Store) reserveNumber(ctx context.Context, key, number, stream string) error {
	sum := sha256.Sum256([]byte(key))
	name := numberReservePrefix + hex.EncodeToString(sum[:])
	want := reservation{Number: number, Stream: stream}
	got, err := s.claimStream(ctx, name, typeNumberReserved, uuid.NewSHA1(reservationNamespace, []byte("number\x00"+key+"\x00"+number)), want)
	if err != nil || got == nil {
		return err
	}
	if got.Number != number {
		return fmt.Errorf("%w: %w", domain.ErrGuardRefused, domain.NumberTakenError(number, got.Number))
	}
	return nil
}

// reserveCommand reserves a command id for one command on one stream.
func (s *Store) reserveCommand(ctx context.Context, want reservation) error {
	name := commandReservePrefix + want.CommandID.String()
	id := uuid.NewSHA1(reservationNamespace, []byte("command\x00"+want.CommandID.String()+"\x00"+want.Stream+"\x00"+want.CommandHash))
	got, err := s.claimStream(ctx, name, typeCommandReserved, id, want)
	if err != nil || got == nil {
		return err
	}
	if got.Stream == want.Stream && got.CommandHash == want.CommandHash {
		return nil // the same command: a retry
	}
	where := "this agreement"
	if got.Stream != want.Stream {
		where = "agreement " + s.numberOf(ctx, got.Stream)
	}
	return fmt.Errorf("%w: %w", domain.ErrGuardRefused, &domain.Error{Code: domain.EConflict, Field: "command_id",
		Message: fmt.Sprintf("command id %s was already used on %s (by a %s with other content; reserved in %s%s); a command id is used once in the whole ledger, so this %s was not applied; use a new id",
			want.CommandID, where, got.CommandType, commandReservePrefix, want.CommandID, want.CommandType)})
}

// claimStream appends the reservation event to a stream that must not
// exist yet. It returns nil when this call (or an identical earlier one)
// wrote it, else the reservation already there.
func (s *Store) claimStream(ctx context.Context, name, typ string, id uuid.UUID, want reservation) (*reservation, error) {
	data, err := json.Marshal(want)
	if err != nil {
		return nil, err
	}
	opts := client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}
	err = s.do(ctx, func(ctx context.Context, cl *client.Client) error {
		_, err := cl.AppendToStream(ctx, name, opts, client.EventData{EventID: id, EventType: typ, ContentType: client.ContentTypeJson, Data: data})
		return err
	})
	if err == nil {
		return nil, nil
	}
	if code(err) != client.ErrorCodeWrongExpectedVersion {
		return nil, s.wrap("reserve "+name, err)
	}
	first, err := s.ReadStream(ctx, name, 0, domain.Forwards, 1)
	if err != nil || len(first) == 0 {
		return nil, fmt.Errorf("reserve %s: the stream exists but its reservation cannot be read: %v", name, err)
	}
	var got reservation
	if err := json.Unmarshal(first[0].Data, &got); err != nil {
		return nil, fmt.Errorf("reserve %s: its reservation is not readable: %w", name, err)
	}
	return &got, nil
}

// numberOf names an agreement stream by its registered number, quoted, for
// messages (the stream's name when it cannot be read).
func (s *Store) numberOf(ctx context.Context, stream string) string {
	evs, err := s.ReadStream(ctx, stream, 0, domain.Forwards, 1)
	if err == nil && len(evs) == 1 {
		var reg struct {
			Number string `json:"agreement"`
		}
		if json.Unmarshal(evs[0].Data, &reg) == nil && reg.Number != "" {
			return fmt.Sprintf("%q", reg.Number)
		}
	}
	return stream
}

// reserved reports whether a stream is a reservation stream.
func reserved(stream string) bool { return strings.HasPrefix(stream, ReservedPrefix) }
