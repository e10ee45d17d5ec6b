package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections/codec"
)

func spendingEvents(b *testing.B) []domain.RecordedEvent {
	b.Helper()
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	if err := projtest.RecordSeed004(ctx, svc, clock); err != nil {
		b.Fatal(err)
	}
	evs, _ := store.ReadAll(ctx, domain.Position{}, 0)
	return evs
}

// BenchmarkDecode decodes the stored events of seed 004 (mostly flat
// events), with the scanner and with encoding/json.
func BenchmarkDecode(b *testing.B) {
	evs := spendingEvents(b)
	for _, slow := range []bool{false, true} {
		name := "fast"
		if slow {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			d := codec.NewDecoder(nil)
			d.Slow = slow
			var e domain.RecordedEvent
			for _, x := range evs {
				if x.Type == domain.TypeSpendingRecorded {
					e = x
				}
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := d.Decode(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
