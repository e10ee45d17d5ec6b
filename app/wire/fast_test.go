package wire_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// fastLines are commands of every flat type (domain.CommandFieldsFor)
// with every field, as apply files and the server's clients write them:
// the fast path (fast.go) is for these, and must take them.
var fastLines = []string{
	`{"type":"record_spending","command_id":"c512c989-2193-469f-a958-ee6a4ffae229","actor":"accountant@ngo1.example.lv","correlation_id":"00000000-0000-0000-0000-000000000000","data":{"agreement":"GEN/2022/000001","line":"civil","year":1,"amount":"1636.25","date":"2022-08-17","document":"INV-2022-000001-1101","description":"Pakalpojumi un materiāli"}}`,
	`{"type":"plan_budget","command_id":"8a3ae4a5-580a-4558-92d4-13de35d8caa1","actor":"officer0@ministry.example.lv","data":{"agreement":"GEN/2022/000001","line":"minority","year":2,"amount":"9984.37"}}`,
	`{"type":"amend_budget","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d05","actor":"a","reason":"grozījumi Nr. 2","data":{"agreement":"X-1","line":"all","year":1,"amount":"1.50","effective_date":"2021-03-01"}}`,
	`{"type":"reverse_spending","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d08","actor":"a","reason":"duplicate invoice","data":{"agreement":"X-1","spending":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d01","date":"2021-03-02"}}`,
	`{"type":"carry_over","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d07","actor":"a","data":{"agreement":"X","line":"l","from_year":1,"amount":"10.00","date":"2021-01-01"}}`,
	`{"type":"return_unspent","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d09","actor":"a","data":{"agreement":"X","line":"l","year":1,"amount":"3.00","to":"funder","date":"2021-12-31"}}`,
	`{"type":"declare_ineligible","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d0a","actor":"auditor","data":{"agreement":"X","line":"l","year":1,"amount":"3.00","date":"2021-12-31","description":"no receipt","spending":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d01"}}`,
	`{"type":"record_recovery","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d0b","actor":"a","data":{"agreement":"X","ineligible":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d0a","amount":"3.00","date":"2022-01-10"}}`,
	`{"type":"close_year","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d06","actor":"a","data":{"agreement":"X-1","year":1,"date":"2021-11-20"}}`,
	`{"type":"add_budget_line","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d0c","actor":"a","data":{"agreement":"X-1","line":"own","name":"Own contribution","own_contribution":true}}`,
}

// variants of a line: each a change a sender might make, that
// encoding/json either takes (in another form) or refuses.
func variants(line string) []string {
	rep := func(old, new string) string { return strings.Replace(line, old, new, 1) }
	out := []string{
		line,
		" \n\t" + line + " \r\n",
		line + "x",
		line + "{}",
		strings.TrimSuffix(line, "}"),
		rep(`"type"`, `"Type"`),
		rep(`"actor"`, `"ACTOR"`),
		rep(`"agreement"`, `"Agreement"`),
		rep(`"data":{`, `"data":{"extra":1,`),
		rep(`"data":{`, `"data":{"agreement":"DUP",`),
		rep(`"data":{`, `"data":{"Agreement":"DUP",`),
		rep(`"data":{`, `"data":{"":"","":"",`),
		rep(`"actor":`, `"actor":"dup","actor":`),
		rep(`"data":{`, `"data":[{`),
		rep(`"data":{`, `"data":null,"x":{`),
		rep(`"data":{`, `"data":{"nested":{"a":1},`),
		rep(`{"type"`, `{"unknown":true,"type"`),
		rep(`"year":1`, `"year":1.0`),
		rep(`"year":1`, `"year":1e0`),
		rep(`"year":1`, `"year":-0`),
		rep(`"year":1`, `"year":01`),
		rep(`"year":1`, `"year":"1"`),
		rep(`"year":1`, `"year":null`),
		rep(`"year":1`, `"year":99999999999999999999`),
		rep(`"year":2`, `"year":-2`),
		rep(`"amount":"`, `"amount":null,"x":"`),
		rep(`"amount":"`, `"amount":12.5,"x":"`),
		rep(`"amount":"`, `"amount":"1 000,`),
		rep(`"amount":"`, `"amount":"-`),
		rep(`"amount":"`, `"amount":"\u0031`),
		rep(`"date":"`, `"date":"15.08.`),
		rep(`"date":"20`, `"date":"\u00320`),
		rep(`"date":"`, `"date":null,"y":"`),
		rep(`"actor":"`, `"actor":"\u0041\n\"`),
		rep(`"actor":"`, `"actor":"\ud800`),
		rep(`"actor":"`, `"actor":"\x`),
		rep(`"actor":"`, "\"actor\":\"\x01"),
		rep(`"actor":"`, `"actor":null,"z":"`),
		rep(`"actor":"`, `"actor":"ā`),
		rep(`"command_id":"`, `"command_id":"urn:uuid:`),
		rep(`"command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d`, `"command_id":"{0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d`),
		rep(`"command_id":"0b0e4a1c`, `"command_id":"0B0E4A1C`),
		rep(`"command_id":"`, `"command_id":"\u0030`),
		rep(`"command_id":"`, `"command_id":null,"q":"`),
		rep(`"command_id":"`, `"command_id":"zz`),
		rep(`"spending":"`, `"spending":null,"w":"`),
		rep(`"spending":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d01"`, `"spending":"0b0e4a1c7b0a4c519a490d8e8b8c5d01"`),
		rep(`"own_contribution":true`, `"own_contribution":false`),
		rep(`"own_contribution":true`, `"own_contribution":"true"`),
		rep(`"own_contribution":true`, `"own_contribution":tru`),
		rep(`"own_contribution":true`, `"own_contribution":null`),
		rep(`"line":"`, `"line":"\t`),
		rep(`"document":"`, `"document":"\/`),
		rep(`:`, ` : `),
		strings.ReplaceAll(line, ",", " ,\n "),
		rep(`"data":{`, `"data":{}, "d2":{`),
		rep(`"data":{`, `"data":{},"data":{`),
		rep(`"reason":"`, `"reason":"`+strings.Repeat("r", 2001)),
		rep(`"type":"`, `"type":"x`),
	}
	return out
}

// same fails unless the fast path and encoding/json alone decode b alike:
// the same envelope and command, or the same error.
func same(t *testing.T, b []byte) {
	t.Helper()
	env, err := wire.DecodeEnvelope(b)
	var cmd domain.Command
	if err == nil {
		cmd, err = wire.DecodeCommand(env)
	}
	senv, scmd, serr := wire.DecodeSlow(b)
	if fmt.Sprint(err) != fmt.Sprint(serr) {
		t.Fatalf("%q:\nfast path error %v\nencoding/json   %v", b, err, serr)
	}
	if serr != nil && cmd == nil && scmd == nil {
		return
	}
	if !reflect.DeepEqual(env, senv) {
		t.Fatalf("%q: envelope\nfast path     %+v\nencoding/json %+v", b, env, senv)
	}
	if !reflect.DeepEqual(cmd, scmd) {
		t.Fatalf("%q: command\nfast path     %#v\nencoding/json %#v", b, cmd, scmd)
	}
}

// Issue 17, import throughput: the fast path decodes every command it
// takes as encoding/json does, and gives up on everything else, so that
// the errors are encoding/json's (fast.go). It takes the lines it is for:
// every flat command type in the form apply files have.
func TestFastPathDecodesAsEncodingJSON(t *testing.T) {
	for _, line := range fastLines {
		if env, data := wire.FastTakes([]byte(line)); !env || !data {
			t.Errorf("the fast path does not take %s (envelope %v, data %v)", line, env, data)
		}
		for _, v := range variants(line) {
			same(t, []byte(v))
		}
	}
	// Types the fast path leaves to encoding/json: nested data.
	for _, line := range []string{
		`{"type":"register_agreement","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d02","actor":"a","data":{"agreement":"X-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2021-02-01","to":"2021-11-20"},"years":[{"year":1,"from":"2021-02-01","to":"2021-11-20"}],"lines":[{"line":"all","name":"All"}]}}`,
		`{"type":"record_delivery","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d04","actor":"a","data":{"agreement":"X-1","indicator":"ngos","year":1,"identifiers":["a","b"],"date":"2021-03-01"}}`,
	} {
		if _, data := wire.FastTakes([]byte(line)); data {
			t.Errorf("the fast path took nested data: %s", line)
		}
		for _, v := range variants(line) {
			same(t, []byte(v))
		}
	}
}
