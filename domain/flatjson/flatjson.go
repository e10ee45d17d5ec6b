// Package flatjson reads the flat JSON objects the ledger reads most (a
// command envelope and its data, a stored event and its metadata) without
// reflection: one pass that splits an object into its keys and values,
// and readers of the values in the forms encoding/json gives them.
//
// It is a fast path, never the only one: whatever it does not take
// exactly as encoding/json would (escapes in keys, nesting beyond one
// flat object, a number it does not read, invalid JSON of any kind) makes
// it report false, and the caller decodes the input with encoding/json
// instead, which gives the result and the error. What it does take, it
// takes only when it is valid JSON, so that the two paths never differ on
// what is accepted. projections/codec (stored events), app/wire
// (commands) and DecodeMetadata (events' metadata, for the hash-chain
// checks) share it; their tests compare both paths.
package flatjson

import (
	"encoding/binary"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Field is one key and value of an object.
type Field struct {
	Key []byte
	// Val is the value: the inside of a string (Str), the bytes of a
	// number or literal, or a whole flat object with its braces (Obj).
	Val []byte
	Str bool
	Obj bool
	// Esc: the string has escapes; NonASCII: bytes at or above 0x80.
	Esc, NonASCII bool
}

// MaxFields is the most fields an object may have for Scan.
const MaxFields = 16

// Scan splits the JSON object b (with only whitespace around it) into
// out: every value a string, a number or true, false or null, or, when
// nested, also a flat object of such values. It reports false for
// anything else: invalid JSON, a key with escapes or bytes outside ASCII,
// more than len(out) fields, deeper nesting, a list.
func Scan(b []byte, out []Field, nested bool) (int, bool) {
	n, i, ok := scanObject(b, skipWS(b, 0), out, nested)
	return n, ok && skipWS(b, i) == len(b)
}

// Flat reports whether b is one flat JSON object (Scan without nesting)
// of at most MaxFields fields.
func Flat(b []byte) bool {
	var fs [MaxFields]Field
	_, ok := Scan(b, fs[:], false)
	return ok
}

func scanObject(b []byte, i int, out []Field, nested bool) (int, int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0, i + 1, true
	}
	n := 0
	for {
		if i >= len(b) || b[i] != '"' || n == len(out) {
			return 0, 0, false
		}
		ks, ke, esc, hi, j := scanString(b, i)
		if j < 0 || esc || hi {
			return 0, 0, false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return 0, 0, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return 0, 0, false
		}
		f := Field{Key: b[ks:ke]}
		switch c := b[i]; {
		case c == '"':
			vs, ve, esc, hi, j := scanString(b, i)
			if j < 0 {
				return 0, 0, false
			}
			f.Val, f.Str, f.Esc, f.NonASCII, i = b[vs:ve], true, esc, hi, j
		case c == '{':
			if !nested {
				return 0, 0, false
			}
			var inner [MaxFields]Field
			_, j, ok := scanObject(b, i, inner[:], false)
			if !ok {
				return 0, 0, false
			}
			f.Val, f.Obj, i = b[i:j], true, j
		case c == '-' || c >= '0' && c <= '9':
			j := scanNumber(b, i)
			if j < 0 {
				return 0, 0, false
			}
			f.Val, i = b[i:j], j
		default:
			j := i
			for j < len(b) && b[j] >= 'a' && b[j] <= 'z' {
				j++
			}
			if s := string(b[i:j]); s != "true" && s != "false" && s != "null" {
				return 0, 0, false
			}
			f.Val, i = b[i:j], j
		}
		out[n] = f
		n++
		i = skipWS(b, i)
		if i >= len(b) {
			return 0, 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return n, i + 1, true
		default:
			return 0, 0, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// scanNumber reads the JSON number at b[i] (RFC 8259's grammar) and
// returns the index after it, or -1.
func scanNumber(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// scanString reads the JSON string starting at b[i] == '"'. It returns the
// bounds of its inside, whether it has escapes (each a valid JSON escape)
// and bytes outside ASCII, and the index after the closing quote (-1 when
// it is not a valid JSON string).
func scanString(b []byte, i int) (int, int, bool, bool, int) {
	esc, hi := false, false
	j := i + 1
	// Eight bytes at a time while none of them is a quote, a backslash, a
	// control character or outside ASCII (the common case: ids, hashes,
	// times, names), then byte by byte.
	for j+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[j:])) {
		j += 8
	}
	for ; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return i + 1, j, esc, hi, j + 1
		case c == '\\':
			esc = true
			j++
			if j >= len(b) {
				return 0, 0, false, false, -1
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, 0, false, false, -1
				}
				for _, h := range b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, 0, false, false, -1
					}
				}
				j += 4
			default:
				return 0, 0, false, false, -1
			}
		case c < 0x20:
			return 0, 0, false, false, -1
		case c >= 0x80:
			hi = true
		}
	}
	return 0, 0, false, false, -1
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// plain8 reports whether none of the 8 bytes of x is '"', '\\', below
// 0x20 or at or above 0x80 (the classic "has zero byte" test).
func plain8(x uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lsb8) &^ v & msb8 }
	return (x&msb8)|hasZero(x^(lsb8*'"'))|hasZero(x^(lsb8*'\\'))|((x-lsb8*0x20)&^x&msb8) == 0
}

// Plain reports whether the string's bytes are its value as they stand:
// no escapes, and valid UTF-8 (encoding/json replaces invalid bytes).
func (f *Field) Plain() bool {
	return f.Str && !f.Esc && (!f.NonASCII || utf8.Valid(f.Val))
}

// String returns the value of a string as encoding/json decodes it.
func (f *Field) String() (string, bool) {
	if !f.Str {
		return "", false
	}
	if f.Plain() {
		return string(f.Val), true
	}
	// Re-read the quoted form with encoding/json for escapes and UTF-8.
	q := make([]byte, 0, len(f.Val)+2)
	q = append(append(append(q, '"'), f.Val...), '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}

// JSON appends the value's JSON to buf, byte for byte as it was in the
// input (a string with its quotes), as encoding/json hands a value to an
// UnmarshalJSON method.
func (f *Field) JSON(buf []byte) []byte {
	if !f.Str {
		return append(buf, f.Val...)
	}
	return append(append(append(buf, '"'), f.Val...), '"')
}

// Int reads an integer written without fraction or exponent, of at most
// 18 digits.
func (f *Field) Int() (int64, bool) {
	if f.Str || f.Obj || len(f.Val) == 0 || len(f.Val) > 18 {
		return 0, false
	}
	v, neg, s := int64(0), false, f.Val
	if s[0] == '-' {
		neg, s = true, s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// CanonicalMoney reads an amount in the form Money.MarshalJSON writes:
// "-?digits.dd".
func (f *Field) CanonicalMoney() (domain.Money, bool) {
	s := f.Val
	if !f.Str || f.Esc || f.NonASCII || len(s) < 4 || len(s) > 20 {
		return 0, false
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	n := len(s)
	if n < 4 || n > 15 || s[n-3] != '.' || (n > 4 && s[0] == '0') {
		return 0, false
	}
	var v int64
	for k, c := range s {
		if k == n-3 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if domain.Money(v) > domain.MaxMoney {
		return 0, false
	}
	if neg {
		v = -v
	}
	return domain.Money(v), true
}

// Date reads "YYYY-MM-DD" within the years domain.ParseDate accepts.
func (f *Field) Date() (domain.Date, bool) {
	s := f.Val
	if !f.Str || len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, m, d := digits(s[:4]), digits(s[5:7]), digits(s[8:])
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return domain.Date(daysFromCivil(y, m, d)), true
}

// UTCTime reads a string in the form time.Time.MarshalJSON writes for a
// UTC time, "2006-01-02T15:04:05Z" with an optional fraction of up to 9
// digits, without the general parser. Anything else reports false.
func (f *Field) UTCTime() (time.Time, bool) {
	b := f.Val
	if !f.Str || f.Esc || f.NonASCII || len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y, mo, d, h, mi, sec := digits(b[:4]), digits(b[5:7]), digits(b[8:10]), digits(b[11:13]), digits(b[14:16]), digits(b[17:19])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	if rest := b[19 : len(b)-1]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		frac := digits(rest[1:])
		if frac < 0 {
			return time.Time{}, false
		}
		for k := len(rest) - 1; k < 9; k++ {
			frac *= 10
		}
		ns = frac
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), true
}

// digits reads b, decimal digits only, as a number; -1 for anything else.
func digits(b []byte) int {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// daysIn is the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days since 1970-01-01 (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// UUID reads a UUID in its 36-character form.
func (f *Field) UUID() (uuid.UUID, bool) {
	if !f.Str || f.Esc || f.NonASCII || len(f.Val) != 36 {
		return uuid.UUID{}, false
	}
	u, err := uuid.ParseBytes(f.Val)
	return u, err == nil
}
