package wire_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// FuzzDecodeCommand feeds arbitrary bytes to DecodeEnvelope and
// DecodeCommand, the front door of "apply" and of the HTTP API. It must
// never panic; every refusal is an EInvalid *Error with a bounded message;
// an accepted command re-encodes to an envelope that decodes to the same
// command with the same hash; and the fast path (fast.go) decodes it as
// encoding/json alone does, or refuses it with the same error.
func FuzzDecodeCommand(f *testing.F) {
	seeds := []string{
		`{"type":"record_spending","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d01","actor":"a","data":{"agreement":"KNVOC-2022-2025","line":"civil","year":1,"amount":"28 959,87","date":"15.08.2022.","document":"INV-1"}}`,
		`{"type":"register_agreement","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d02","actor":"a","data":{"agreement":"X-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2021-02-01","to":"2021-11-20"},"years":[{"year":1,"from":"2021-02-01","to":"2021-11-20"}],"lines":[{"line":"all","name":"All"}]}}`,
		`{"type":"define_indicator","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d03","actor":"a","data":{"agreement":"X-1","indicator":"ngos","name":"NGOs","unit":"NGO","aggregation":"distinct","targets":[{"year":1,"target":50}]}}`,
		`{"type":"record_delivery","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d04","actor":"a","data":{"agreement":"X-1","indicator":"ngos","year":1,"identifiers":["a","b"],"date":"2021-03-01"}}`,
		`{"type":"amend_budget","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d05","actor":"a","reason":"r","data":{"agreement":"X-1","line":"all","year":1,"amount":"1.5","effective_date":"2021-03-01"}}`,
		`{"type":"close_year","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d06","actor":"a","data":{"agreement":"X-1","year":1,"date":"2021-11-20"}}`,
		`{"type":"record_spending","command_id":"x","actor":"a","data":{"amount":12.5}}`,
		`{"type":"carry_over","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d07","actor":"a","data":{"agreement":"X","line":"l","from_year":1,"date":"2021-01-01","amount":"-1"}}`,
		`[[[[[[[[[[]]]]]]]]]]`, `null`, ``, "{\"type\":\"\xff\"}",
	}
	for _, s := range append(seeds, fastLines...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		same(t, b) // the fast path decodes as encoding/json alone (fast.go)
		env, err := wire.DecodeEnvelope(b)
		var cmd domain.Command
		if err == nil {
			cmd, err = wire.DecodeCommand(env)
		}
		if err != nil {
			if code := domain.ErrorCode(err); code != domain.EInvalid {
				t.Fatalf("refusal of %q has code %q, want %q: %v", b, code, domain.EInvalid, err)
			}
			if n := len(err.Error()); n > 4096 {
				t.Fatalf("refusal message is %d bytes: an error must not echo the whole input", n)
			}
			return
		}
		if cmd.CommandType() != env.Type {
			t.Fatalf("envelope type %q decoded into a %q command", env.Type, cmd.CommandType())
		}
		again := domain.NewEnvelope(env.CommandID, env.Actor, env.Reason, cmd)
		line, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshal the accepted command: %v", err)
		}
		env2, err := wire.DecodeEnvelope(line)
		if err != nil {
			t.Fatalf("accepted %q, but its re-encoding %s is refused: %v", b, line, err)
		}
		cmd2, err := wire.DecodeCommand(env2)
		if err != nil {
			t.Fatalf("accepted %q, but its re-encoding %s is refused: %v", b, line, err)
		}
		c1, _ := json.Marshal(cmd)
		c2, _ := json.Marshal(cmd2)
		if string(c1) != string(c2) {
			t.Fatalf("command changed on a round trip:\n first %s\nsecond %s", c1, c2)
		}
		if domain.CommandHash(cmd) != domain.CommandHash(cmd2) {
			t.Fatalf("hash changed on a round trip of %s", line)
		}
		if !utf8.ValidString(cmd.AgreementNumber()) {
			t.Fatalf("accepted agreement number %q is not valid UTF-8", cmd.AgreementNumber())
		}
	})
}
