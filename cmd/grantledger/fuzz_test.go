package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzApplyJSONL feeds arbitrary bytes to "grantledger apply --json -" on
// an in-memory store. It must never panic; it exits 0 or 1 (never with an
// internal error); and it answers every non-blank line exactly once, in
// order, each either applied or refused with a code.
func FuzzApplyJSONL(f *testing.F) {
	reg := `{"type":"register_agreement","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d02","actor":"a","data":{"agreement":"X-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2021-02-01","to":"2021-11-20"},"years":[{"year":1,"from":"2021-02-01","to":"2021-11-20"}],"lines":[{"line":"all","name":"All"}]}}`
	plan := `{"type":"plan_budget","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d03","actor":"a","data":{"agreement":"X-1","line":"all","year":1,"amount":"6 460,64"}}`
	spend := `{"type":"record_spending","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d04","actor":"a","data":{"agreement":"X-1","line":"all","year":1,"amount":"100.00","date":"2021-03-01","document":"INV-1"}}`
	for _, s := range []string{
		reg + "\n" + plan + "\n" + spend + "\n",
		reg + "\n" + spend + "\n" + spend + "\n",
		reg + "\r\n\r\n" + plan,
		"\n\n\n",
		"{}\n[]\nnull\n",
		reg + "\n" + `{"type":"close_year","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d05","actor":"a","data":{"agreement":"X-1","year":1,"date":"2021-11-20"}}`,
		"\xff\xfe\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"apply", "--store", "mem:", "--json", "-"}, bytes.NewReader(in), &out, &errOut)
		var ee exitError
		if err != nil && !(errors.As(err, &ee) && ee.code == exitFailure) {
			t.Fatalf("apply: got %v, want success or exit code 1; stderr:\n%s", err, errOut.String())
		}
		want := 0
		for _, l := range bytes.Split(in, []byte("\n")) {
			if len(bytes.Trim(l, " \t\r")) > 0 {
				want++
			}
		}
		dec := json.NewDecoder(&out)
		last := 0
		for n := 0; ; n++ {
			var r struct {
				Line   int             `json:"line"`
				Result json.RawMessage `json:"result"`
				Code   string          `json:"code"`
			}
			if err := dec.Decode(&r); err != nil {
				if n != want {
					t.Fatalf("apply answered %d lines, want %d (the non-blank ones); last error %v", n, want, err)
				}
				return
			}
			if r.Line <= last {
				t.Fatalf("answer for line %d after line %d: out of order", r.Line, last)
			}
			last = r.Line
			if (r.Result == nil) == (r.Code == "") {
				t.Fatalf("line %d: want exactly one of a result or an error code, got result %s code %q", r.Line, r.Result, r.Code)
			}
		}
	})
}
