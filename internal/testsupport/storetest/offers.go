package storetest

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/grantledger/grantledger/app/port"
)

// Offers is what a store offers the contract beyond the cases every store
// passes: it survives a close and reopen (Durable), it appends several
// requests in one commit (Batch: domain.Offers.Batch), it keeps the Merkle
// log over its events itself (Tree: Factory.KeepsTree; a decorator passes
// the tree of the store it wraps through, and keeps none of its own). The suite registers the cases of
// a capability only for a store that has it, so that no case skips.
type Offers struct {
	Durable, Batch, Tree bool
}

func (o Offers) String() string {
	var parts []string
	if o.Durable {
		parts = append(parts, "durable")
	}
	if o.Batch {
		parts = append(parts, "batch")
	}
	if o.Tree {
		parts = append(parts, "Merkle log")
	}
	if len(parts) == 0 {
		return "nothing more"
	}
	return strings.Join(parts, ", ")
}

// Shipped is what each store the project ships offers, by its Go type, as
// docs/STORAGE.md ("What each store offers the contract suite") says;
// TestShippedMatchesDocs compares the two. A store cannot escape a case by
// declaring less in its Factory: Run fails when a store's declared
// capabilities lack one listed here, and when its type is not listed.
//
// A decorator that holds the store it wraps in a field Inner (the
// server's group committer) is durable exactly when the store it wraps is: its entry has
// DurableAsInner.
var Shipped = map[string]ShippedStore{
	"*memstore.Store":    {Offers: Offers{Tree: true}},
	"*sqlite.Store":      {Offers: Offers{Durable: true, Batch: true, Tree: true}},
	"*esdb.Store":        {Offers: Offers{Durable: true, Tree: true}},
	"*groupcommit.Store": {Offers: Offers{Batch: true}, DurableAsInner: true},
}

// ShippedStore is one entry of Shipped.
type ShippedStore struct {
	Offers
	DurableAsInner bool
}

// declared returns what store, opened by f, is declared to offer: durable
// when f can reopen it, batch when its Offers say so (nothing to
// declare), Merkle log when f says KeepsTree.
func declared(f Factory, store port.Store) Offers {
	return Offers{Durable: f.Reopen != nil, Batch: store.Offers().Batch, Tree: f.KeepsTree}
}

// checkOffers compares what store is declared to offer with what it
// offers: its type's entry in Shipped (every store has the Merkle log's
// methods by the port's type; Shipped says which keep the tree). It
// returns what is wrong, or "".
func checkOffers(f Factory, store port.Store) string {
	d := declared(f, store)
	want, ok := shippedOffers(store)
	if !ok {
		return fmt.Sprintf("%T is not in storetest.Shipped: say in docs/STORAGE.md what it offers, and add it", store)
	}
	if (want.Durable && !d.Durable) || (want.Batch && !d.Batch) || (want.Tree && !d.Tree) {
		return fmt.Sprintf("%T offers %s (docs/STORAGE.md) but its Factory declares only %s: a store may not escape cases by declaring less", store, want, d)
	}
	return ""
}

// shippedOffers looks store's type up in Shipped, following a decorator to
// the store it wraps for durability.
func shippedOffers(store port.Store) (Offers, bool) {
	e, ok := Shipped[fmt.Sprintf("%T", store)]
	if !ok {
		return Offers{}, false
	}
	o := e.Offers
	if e.DurableAsInner {
		inner := innerStore(store)
		if inner == nil {
			return Offers{}, false
		}
		io, ok := shippedOffers(inner)
		if !ok {
			return Offers{}, false
		}
		o.Durable = io.Durable
	}
	return o, true
}

// innerStore returns the store a decorator holds in its field Inner, or
// nil.
func innerStore(store port.Store) port.Store {
	v := reflect.ValueOf(store)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("Inner")
	if !f.IsValid() || f.Type() != reflect.TypeFor[port.Store]() || f.IsNil() {
		return nil
	}
	return f.Interface().(port.Store)
}
