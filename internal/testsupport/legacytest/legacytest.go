// Package legacytest writes agreement registrations straight into an event
// store, as an older grantledger that accepted any agreement number would
// have, so that tests can build ledgers holding numbers today's rules
// refuse (look-alikes, case variants, ".."). The event, its metadata and
// its hash chain are exactly what the ledger service writes; only the
// rules on the number are not checked. Commands on such an agreement then
// go through the ledger service as usual.
package legacytest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// EventID is the ledger service's derivation of an event id from its
// command id (app/command.EventID), repeated here so that this package
// does not import the service it helps to test.
func EventID(commandID uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(commandID, []byte{byte(i >> 8), byte(i)})
}

// Register appends an AgreementRegistered for number to store: one
// implementation year, 2024, and one budget line "a".
func Register(t testing.TB, store domain.EventStore, number, funder, grantee string) {
	t.Helper()
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	ev := domain.AgreementRegistered{AgreementID: domain.AgreementID(number), Number: number, Kind: domain.KindGrant, Title: "Legacy " + number,
		Grantee: grantee, Funder: funder, Period: domain.Period{From: y1, To: y1e},
		Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a", Name: "Line A"}}}
	if err := WriteRegistration(context.Background(), store, uuid.New(), "legacy", ev); err != nil {
		t.Fatal(err)
	}
}

// WriteRegistration appends ev as the first event of its agreement's
// stream, as command commandID by actor, with the metadata and hash the
// ledger service writes, and checks nothing of its number. For generators
// of test ledgers (internal/testsupport/randomledger) as well as tests.
func WriteRegistration(ctx context.Context, store domain.EventStore, commandID uuid.UUID, actor string, ev domain.AgreementRegistered) error {
	ev.AgreementID = domain.AgreementID(ev.Number)
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	stream := domain.StreamFor(ev.Number)
	m := domain.Metadata{EventID: EventID(commandID, 0), CommandID: commandID, CommandType: domain.CmdRegisterAgreement,
		CommandHash: "legacy", CorrelationID: commandID, Actor: actor, RecordedAt: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		SchemaVersion: domain.NewEventRegistry().Version(ev.EventType())}
	m.Hash = domain.EventHash(stream, 0, ev.EventType(), data, m)
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := store.Append(ctx, stream, domain.NoStream, []domain.EventData{{ID: m.EventID, Type: ev.EventType(), Data: data, Metadata: meta}}); err != nil {
		return fmt.Errorf("legacy register %q: %w", ev.Number, err)
	}
	return nil
}

// Append appends ev to number's stream as command commandID would have
// been, chained to the stream's last event, with no rule checked: tests
// use it to write what an older grantledger let through (the same command
// id on two agreements).
func Append(t testing.TB, store domain.EventStore, number string, commandID uuid.UUID, ev domain.Event) {
	t.Helper()
	ctx := context.Background()
	stream := domain.StreamFor(number)
	last, err := store.ReadStream(ctx, stream, math.MaxUint64, domain.Backwards, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("legacy append to %q: read its last event: %v", number, err)
	}
	prev, err := domain.DecodeMetadata(last[0].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	rev := last[0].Revision + 1
	m := domain.Metadata{EventID: EventID(commandID, 0), CommandID: commandID, CommandType: "legacy",
		CommandHash: "legacy", CorrelationID: commandID, Actor: "legacy", RecordedAt: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC),
		SchemaVersion: domain.NewEventRegistry().Version(ev.EventType()), PrevHash: prev.Hash}
	m.Hash = domain.EventHash(stream, rev, ev.EventType(), data, m)
	meta, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, stream, domain.Exact(last[0].Revision), []domain.EventData{{ID: m.EventID, Type: ev.EventType(), Data: data, Metadata: meta}}); err != nil {
		t.Fatalf("legacy append to %q: %v", number, err)
	}
}
