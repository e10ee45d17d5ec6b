package storetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/port"
)

// TestShippedMatchesDocs: storetest.Shipped, which decides which cases a
// shipped store must run, is the table of docs/STORAGE.md ("What each
// store offers the contract suite"), row for row.
func TestShippedMatchesDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "STORAGE.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "## What each store offers the contract suite")
	if !ok {
		t.Fatal(`docs/STORAGE.md has no section "What each store offers the contract suite"`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	yes := func(cell string) bool {
		switch cell {
		case "yes":
			return true
		case "no":
			return false
		}
		t.Fatalf("docs/STORAGE.md: cell %q: want yes or no", cell)
		return false
	}
	rows := 0
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 4 {
			t.Fatalf("docs/STORAGE.md: row %q: want 4 cells", line)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		name := strings.Trim(cells[0], "`")
		var want ShippedStore
		if cells[1] == "as the store it wraps" {
			want.DurableAsInner = true
		} else {
			want.Durable = yes(cells[1])
		}
		want.Batch, want.Tree = yes(cells[2]), yes(cells[3])
		got, ok := Shipped[name]
		if !ok {
			t.Errorf("docs/STORAGE.md lists %s; storetest.Shipped does not", name)
			continue
		}
		if got != want {
			t.Errorf("%s: storetest.Shipped says %+v, docs/STORAGE.md %+v", name, got, want)
		}
		rows++
	}
	if rows != len(Shipped) {
		t.Errorf("docs/STORAGE.md lists %d stores, storetest.Shipped %d", rows, len(Shipped))
	}
}

// wrapper is a decorator like the server's group committer, for
// shippedOffers' look through it.
type wrapper struct {
	port.Store
	Inner port.Store
}

func wrap(s port.Store) wrapper { return wrapper{s, s} }

// TestCheckOffersRefusesDeclaringLess: a shipped store whose factory
// declares less than docs/STORAGE.md says it offers, or a store of a type
// the docs do not list, fails Run's check instead of leaving cases out.
func TestCheckOffersRefusesDeclaringLess(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reopen := func(t *testing.T, old port.Store) port.Store { return old }
	mem := memstore.New()
	for _, c := range []struct {
		name  string
		f     Factory
		store port.Store
		want  string // part of the message; "" for no complaint
	}{
		{"sqlite declared whole", Factory{Reopen: reopen, KeepsTree: true}, s, ""},
		{"sqlite without Reopen", Factory{KeepsTree: true}, s, "declares only batch, Merkle log"},
		{"sqlite without KeepsTree", Factory{Reopen: reopen}, s, "declares only durable, batch:"},
		{"memstore declared whole", Factory{KeepsTree: true}, mem, ""},
		{"memstore without KeepsTree", Factory{}, mem, "offers Merkle log (docs/STORAGE.md) but its Factory declares only nothing more"},
		{"a type the docs do not list", Factory{}, wrap(mem), "not in storetest.Shipped"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := checkOffers(c.f, c.store)
			if c.want == "" && got != "" {
				t.Fatalf("checkOffers: %s", got)
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("checkOffers = %q, want it to say %q", got, c.want)
			}
		})
	}
}

// TestDecoratorIsDurableAsItsInnerStore: a decorator listed with
// DurableAsInner must declare Reopen when it wraps a durable store, and
// need not when it wraps memstore.
func TestDecoratorIsDurableAsItsInnerStore(t *testing.T) {
	Shipped["storetest.wrapper"] = ShippedStore{DurableAsInner: true}
	defer delete(Shipped, "storetest.wrapper")
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if msg := checkOffers(Factory{}, wrap(s)); !strings.Contains(msg, "offers durable") {
		t.Errorf("a wrapper of *sqlite.Store without Reopen: checkOffers = %q, want it refused as durable", msg)
	}
	if msg := checkOffers(Factory{}, wrap(memstore.New())); msg != "" {
		t.Errorf("a wrapper of *memstore.Store without Reopen: checkOffers = %q, want no complaint", msg)
	}
}
