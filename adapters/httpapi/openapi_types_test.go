package httpapi

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// TestOpenAPINamesEveryCommandType: the envelope's type enum of
// openapi.json lists exactly the command types the ledger accepts (a
// command added to the domain and not to the published API, or the other
// way round, fails here).
func TestOpenAPINamesEveryCommandType(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for name, s := range doc.Components.Schemas {
		typ, ok := s.Properties["type"]
		if _, hasData := s.Properties["data"]; !ok || !hasData || len(typ.Enum) == 0 {
			continue
		}
		found = true
		got := slices.Clone(typ.Enum)
		slices.Sort(got)
		if want := domain.CommandTypes(); !slices.Equal(got, want) {
			t.Errorf("openapi.json schema %s: type enum %v, the ledger accepts %v", name, got, want)
		}
	}
	if !found {
		t.Fatal("openapi.json has no command schema with a type enum and data")
	}
}
