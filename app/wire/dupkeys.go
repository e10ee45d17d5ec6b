package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/grantledger/grantledger/domain"
)

// checkDuplicateKeys refuses a JSON text in which one object has the same
// key twice, at any depth. Parsers disagree about such objects (Go's
// encoding/json keeps the last value, many gateways and log tools the
// first), so a command could be checked as one thing and applied as
// another. Keys are compared as encoding/json matches them to fields:
// after unescaping and ignoring case ("amount", "AMOUNT", "am\u006funt"
// all set the same field). The error names the second occurrence's path,
// e.g. data.years[0].to. It is called on text the decoder has accepted;
// on malformed text it stops quietly and leaves the error to the decoder.
//
// It is a single pass over the bytes, without a tokenizer: it runs on
// every command of every apply file and request.
func checkDuplicateKeys(b []byte) error {
	s := keyScanner{b: b}
	s.value()
	return s.err
}

type keyScanner struct {
	b    []byte
	i    int
	path []pathSeg // segments of the current value's path
	err  error
	bad  bool // malformed input: stop
}

func (s *keyScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *keyScanner) stop() bool { return s.bad || s.err != nil }

func (s *keyScanner) value() {
	s.ws()
	if s.i >= len(s.b) {
		s.bad = true
		return
	}
	switch s.b[s.i] {
	case '{':
		s.object()
	case '[':
		s.array()
	case '"':
		s.str()
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// str skips a string at s.i and returns its raw text, quotes included.
func (s *keyScanner) str() []byte {
	start := s.i
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return s.b[start:s.i]
		}
		s.i++
	}
	s.bad = true
	return nil
}

func (s *keyScanner) object() {
	s.i++ // {
	var smallBuf [8][]byte
	small := smallBuf[:0]
	var many map[string]bool
	for {
		s.ws()
		if s.i >= len(s.b) {
			s.bad = true
			return
		}
		if s.b[s.i] == '}' {
			s.i++
			return
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] != '"' {
			s.bad = true
			return
		}
		raw := s.str()
		if s.stop() {
			return
		}
		// The key as bytes of the input when it has no escape (no copy:
		// this runs for every key of every command), else unescaped.
		key := raw[1 : len(raw)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(raw, &k) != nil {
				s.bad = true
				return
			}
			key = []byte(k)
		}
		dup := false
		if many != nil {
			f := foldKey(string(key))
			dup = many[f]
			many[f] = true
		} else {
			// bytes.EqualFold is equality under simple Unicode case
			// folding, which is equality of foldKey's forms.
			for _, k := range small {
				dup = dup || bytes.EqualFold(k, key)
			}
			small = append(small, key)
			if len(small) > 32 {
				many = make(map[string]bool, 64)
				for _, k := range small {
					many[foldKey(string(k))] = true
				}
			}
		}
		s.path = append(s.path, pathSeg{key: key, idx: -1})
		if dup {
			s.err = &domain.Error{Code: domain.EInvalid, Field: s.pathString(), Message: fmt.Sprintf("the key %q appears twice in one object (keys are compared ignoring case); send each field once", string(key))}
			return
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			s.bad = true
			return
		}
		s.i++
		s.value()
		s.path = s.path[:len(s.path)-1]
		if s.stop() {
			return
		}
	}
}

func (s *keyScanner) array() {
	s.i++ // [
	for n := 0; ; {
		s.ws()
		if s.i >= len(s.b) {
			s.bad = true
			return
		}
		switch s.b[s.i] {
		case ']':
			s.i++
			return
		case ',':
			s.i++
			n++
			continue
		}
		s.path = append(s.path, pathSeg{idx: n})
		s.value()
		s.path = s.path[:len(s.path)-1]
		if s.stop() {
			return
		}
	}
}

// pathSeg is a key (idx -1) or an array index of a path.
type pathSeg struct {
	key []byte
	idx int
}

func (s *keyScanner) pathString() string {
	var b strings.Builder
	for _, p := range s.path {
		if p.idx < 0 {
			b.WriteByte('.')
			b.Write(p.key)
		} else {
			fmt.Fprintf(&b, "[%d]", p.idx)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

// foldKey maps a key to the form encoding/json compares field names in:
// Unicode simple case folding, each rune to the smallest of its orbit.
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// The smallest rune of an ASCII letter's orbit is its upper case
		// (also for k and s, whose orbits hold the Kelvin sign and the
		// long s), so this is the loop below, faster.
		return strings.ToUpper(k)
	}
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
