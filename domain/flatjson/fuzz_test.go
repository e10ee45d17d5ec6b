package flatjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzScan: what Scan takes is valid JSON (encoding/json's Valid), and
// each field it gives is the key and value encoding/json reads there:
// the same key, a string value that decodes to the same string, a
// number or literal of the same bytes, an object of the same bytes.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : "b" } `, `{"a":1,"b":-0.5e+3,"c":true,"d":null,"e":"\u00e9\n","f":"ā"}`,
		`{"a":{"b":1}}`, `{"a":{"b":{"c":1}}}`, `{"a":[1]}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\x"}`,
		`{"a":"\u12"}`, `{"a":tru}`, `{"a":1}x`, `{"\u0061":1}`, "{\"a\":\"\x01\"}", `{"a":1,}`, `{,}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, nested bool) {
		var fs [MaxFields]Field
		n, ok := Scan(b, fs[:], nested)
		if !ok {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("Scan took %q, which is not valid JSON", b)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('{') {
			t.Fatalf("%q: first token %v, %v", b, tok, err)
		}
		for k := 0; k < n; k++ {
			key, err := dec.Token()
			if err != nil || key != string(fs[k].Key) {
				t.Fatalf("%q: key %d is %q (%v), Scan gave %q", b, k, key, err, fs[k].Key)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			f := &fs[k]
			switch {
			case f.Str:
				var want string
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				if got, ok := f.String(); !ok || got != want {
					t.Fatalf("%q: field %q is %q (ok %v), encoding/json reads %q", b, f.Key, got, ok, want)
				}
				if !bytes.Equal(f.JSON(nil), raw) {
					t.Fatalf("%q: field %q's JSON is %s, the input's %s", b, f.Key, f.JSON(nil), raw)
				}
			default:
				if !bytes.Equal(f.Val, raw) {
					t.Fatalf("%q: field %q is %s, the input holds %s", b, f.Key, f.Val, raw)
				}
			}
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
			t.Fatalf("%q: after %d fields, %v (%v), want the end of the object", b, n, tok, err)
		}
	})
}
