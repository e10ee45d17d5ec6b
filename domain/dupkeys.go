package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// checkDuplicateKeys refuses a JSON text in which one object has the same
// key twice, at any depth. Parsers disagree about such objects (Go's
// encoding/json keeps the last value, many gateways and log tools the
// first), so a command could be checked as one thing and applied as
// another. Keys are compared as encoding/json matches them to fields:
// after unescaping and ignoring case ("amount", "AMOUNT", "am\u006funt"
// all set the same field). The error names the second occurrence's path,
// e.g. data.years[0].to. Input that is not well-formed JSON is left to the
// decoder, which says where it breaks.
func checkDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(*Error); ok {
					err = e
					return
				}
				panic(r)
			}
		}()
		walkJSON(dec, "")
	}()
	return err
}

// walkJSON reads one JSON value from dec; it panics with an *Error on a
// duplicate key and returns quietly on malformed input.
func walkJSON(dec *json.Decoder, path string) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return true
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return false
			}
			k, _ := kt.(string)
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if f := foldKey(k); seen[f] {
				panic(&Error{Code: EInvalid, Field: sub, Message: fmt.Sprintf("the key %q appears twice in one object (keys are compared ignoring case); send each field once", k)})
			} else {
				seen[f] = true
			}
			if !walkJSON(dec, sub) {
				return false
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if !walkJSON(dec, fmt.Sprintf("%s[%d]", path, i)) {
				return false
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err == nil
}

// foldKey maps a key to the form encoding/json compares field names in:
// Unicode simple case folding, each rune to the smallest of its orbit.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		return min
	}, k)
}
