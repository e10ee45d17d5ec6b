package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// events counts every event in the fixture's store.
func (f *fixture) events(t *testing.T) int {
	t.Helper()
	evs, err := f.store.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestCommandBodyRefusedLikeApply: the HTTP command endpoint refuses what
// `grantledger apply` refuses in an envelope, with the same field named,
// and appends nothing; before, a body with bytes that are not UTF-8 had
// them silently replaced, and one without a command id or data went on to
// the ledger.
func TestCommandBodyRefusedLikeApply(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	tok := f.tok["grantee"]
	valid := `{"type":"record_spending","command_id":"6f0c3f3e-8a7b-4c1e-9f2d-1b2c3d4e5f60","data":{"agreement":"` + agOwn + `","line":"L1","year":1,"amount":"1.00","date":"2024-03-01","document":"D-1","description":"%s"}}`
	cases := []struct {
		name, body, field, says string
	}{
		{"invalid UTF-8", strings.Replace(valid, "%s", "caf\xe9", 1), "", "not valid UTF-8"},
		{"no command id", strings.Replace(strings.Replace(valid, `"command_id":"6f0c3f3e-8a7b-4c1e-9f2d-1b2c3d4e5f60",`, "", 1), "%s", "x", 1), "command_id", "missing"},
		{"no data", `{"type":"record_spending","command_id":"6f0c3f3e-8a7b-4c1e-9f2d-1b2c3d4e5f61"}`, "data", "missing"},
		{"data null", `{"type":"record_spending","command_id":"6f0c3f3e-8a7b-4c1e-9f2d-1b2c3d4e5f62","data":null}`, "data", "missing"},
		{"reason too long", `{"type":"record_spending","command_id":"6f0c3f3e-8a7b-4c1e-9f2d-1b2c3d4e5f63","reason":"` + strings.Repeat("r", 2001) + `","data":{}}`, "reason", "longer than 2000"},
	}
	before := f.events(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b, _ := f.do("POST", "/v1/commands", tok, []byte(c.body))
			if status != 400 {
				t.Fatalf("status %d, want 400; body %s", status, b)
			}
			p := decodeProblem(t, b)
			if !strings.Contains(p.Detail, c.says) {
				t.Errorf("detail %q, want it to say %q", p.Detail, c.says)
			}
			if c.field != "" {
				named := false
				for _, fe := range p.Errors {
					named = named || fe.Field == c.field
				}
				if !named && !strings.Contains(p.Detail, c.field) {
					t.Errorf("problem %+v does not name field %q", p, c.field)
				}
			}
		})
	}
	// The same inside a batch: the bad item is refused, the good one applied.
	good := strings.Replace(strings.Replace(valid, "%s", "ok", 1), "5f60", "5f70", 1)
	bad := strings.Replace(strings.Replace(valid, "%s", "caf\xe9", 1), "5f60", "5f71", 1)
	status, b, _ := f.do("POST", "/v1/commands/batch", tok, []byte("["+good+","+bad+"]"))
	if status != 200 {
		t.Fatalf("batch: status %d, body %s", status, b)
	}
	if !strings.Contains(string(b), `"status":201`) || !strings.Contains(string(b), "not valid UTF-8") {
		t.Errorf("batch: want the first item 201 and the second refused as not valid UTF-8; got %s", b)
	}
	if after := f.events(t); after != before+1 {
		t.Errorf("refused bodies and one good batch item appended %d events, want 1", after-before)
	}
}
