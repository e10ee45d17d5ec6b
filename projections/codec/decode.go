package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Decoder turns stored events into projections.Events. The events the ledger records
// most (spending, reversals, plans, carry-overs, returns, closings) and the
// metadata are flat JSON objects written by encoding/json; Decoder reads
// those with a small scanner that allocates only the strings it keeps, and
// hands everything else (nested shapes, escapes it does not handle, older
// schema versions that need an upcast, anything unexpected) to the
// domain.EventRegistry. Both paths give the same result; a test checks it.
//
// A Decoder keeps the short strings that repeat from event to event (actors,
// budget lines) once, so it is not safe for concurrent use.
type Decoder struct {
	reg *domain.EventRegistry
	// Slow, when true, always uses the registry (for comparison).
	Slow    bool
	names   map[string]string
	scratch map[*domain.EventCodec]*scratch // a value of each flat type, decoded into
}

// maxNames bounds the strings a Decoder keeps.
const maxNames = 1 << 14

// intern returns the string of f, shared with earlier equal values.
func (d *Decoder) intern(f *field) (string, bool) {
	if !f.str || f.raw || len(f.val) > 64 {
		return f.string()
	}
	if s, ok := d.names[string(f.val)]; ok {
		return s, true
	}
	s := string(f.val)
	if len(d.names) < maxNames {
		if d.names == nil {
			d.names = map[string]string{}
		}
		d.names[s] = s
	}
	return s, true
}

// NewDecoder returns a Decoder over reg (nil: domain.NewEventRegistry()).
func NewDecoder(reg *domain.EventRegistry) *Decoder {
	if reg == nil {
		reg = domain.NewEventRegistry()
	}
	return &Decoder{reg: reg}
}

// Decode decodes one stored event: its metadata and its data, upcasting
// older schema versions through the registry.
func (d *Decoder) Decode(e domain.RecordedEvent) (projections.Event, error) {
	out := projections.Event{Position: e.Position, Stream: e.Stream, Revision: e.Revision, ID: e.ID, Type: e.Type}
	var ok bool
	if !d.Slow {
		out.Meta, ok = d.fastMeta(e.Metadata)
		out.Meta.EventID = e.ID // the chain verifier checks that metadata agrees
	}
	if !ok {
		m, err := domain.DecodeMetadata(e.Metadata)
		if err != nil {
			return out, fmt.Errorf("%s revision %d (position %s): %w", e.Stream, e.Revision, e.Position, err)
		}
		out.Meta = projections.Meta{EventID: m.EventID, CommandID: m.CommandID, Actor: m.Actor, Reason: m.Reason, Hash: m.Hash, RecordedAt: m.RecordedAt, SchemaVersion: m.SchemaVersion}
	}
	v := out.Meta.SchemaVersion
	if v == 0 {
		v = 1
	}
	if !d.Slow && v == d.reg.Version(e.Type) {
		if ev, ok := d.fastEvent(e.Type, e.Data); ok {
			out.Data = ev
			return out, nil
		}
	}
	ev, err := d.reg.Decode(e.Type, out.Meta.SchemaVersion, e.Data)
	if err != nil {
		return out, fmt.Errorf("%s revision %d (position %s): %w", e.Stream, e.Revision, e.Position, err)
	}
	out.Data = ev
	return out, nil
}

// field is one key and value of a flat JSON object.
type field struct {
	key []byte
	val []byte
	str bool // val is the inside of a JSON string
	raw bool // the string has escapes or non-ASCII: decode with encoding/json
}

const maxFields = 16

// scanFlat splits a JSON object whose values are all strings, numbers or
// literals. It reports false for anything else (nesting, bad syntax, more
// than len(out) fields), and the caller falls back to encoding/json.
func scanFlat(b []byte, out *[maxFields]field) (int, bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0, skipWS(b, i+1) == len(b)
	}
	n := 0
	for {
		if i >= len(b) || b[i] != '"' || n == maxFields {
			return 0, false
		}
		ks, ke, raw, j := scanString(b, i)
		if j < 0 || raw {
			return 0, false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return 0, false
		}
		f := field{key: b[ks:ke]}
		switch b[i] {
		case '"':
			vs, ve, raw, j := scanString(b, i)
			if j < 0 {
				return 0, false
			}
			f.val, f.str, f.raw, i = b[vs:ve], true, raw, j
		case '{', '[':
			return 0, false
		default:
			j := i
			for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
				j++
			}
			f.val, i = b[i:j], j
		}
		out[n] = f
		n++
		i = skipWS(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return n, skipWS(b, i+1) == len(b)
		default:
			return 0, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the JSON string starting at b[i] == '"'. It returns the
// bounds of its inside, whether it needs full decoding (escapes or bytes
// outside ASCII), and the index after the closing quote (-1 on error).
func scanString(b []byte, i int) (int, int, bool, int) {
	raw := false
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
			return i + 1, j, raw, j + 1
		case c == '\\':
			raw = true
			j++
		case c < 0x20:
			return 0, 0, false, -1
		case c >= 0x80:
			raw = true
		}
	}
	return 0, 0, false, -1
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

func (f *field) string() (string, bool) {
	if !f.str {
		return "", false
	}
	if !f.raw {
		return string(f.val), true
	}
	// Re-read the quoted form with encoding/json for escapes and UTF-8.
	q := make([]byte, 0, len(f.val)+2)
	q = append(append(append(q, '"'), f.val...), '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}

func (f *field) int() (int64, bool) {
	if f.str || len(f.val) == 0 || len(f.val) > 18 {
		return 0, false
	}
	v, neg, s := int64(0), false, f.val
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

// money reads the form Money.MarshalJSON writes: "-?digits.dd".
func (f *field) money() (domain.Money, bool) {
	s := f.val
	if !f.str || f.raw || len(s) < 4 || len(s) > 20 {
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

// date reads "YYYY-MM-DD" within the years domain.ParseDate accepts.
func (f *field) date() (domain.Date, bool) {
	s := f.val
	if !f.str || len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(b []byte) int {
		v := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return domain.Date(daysFromCivil(y, m, d)), true
}

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

func (f *field) uuid() (uuid.UUID, bool) {
	if !f.str || f.raw || len(f.val) != 36 {
		return uuid.UUID{}, false
	}
	u, err := uuid.ParseBytes(f.val)
	return u, err == nil
}

func (d *Decoder) fastMeta(b []byte) (projections.Meta, bool) {
	var fs [maxFields]field
	n, ok := scanFlat(b, &fs)
	if !ok {
		return projections.Meta{}, false
	}
	var m projections.Meta
	for k := 0; k < n; k++ {
		f := &fs[k]
		switch string(f.key) {
		case "event_id":
			ok = f.str
		case "command_id":
			m.CommandID, ok = f.uuid()
		case "actor":
			m.Actor, ok = d.intern(f)
		case "reason":
			m.Reason, ok = f.string()
		case "hash":
			m.Hash, ok = f.string()
		case "schema_version":
			var v int64
			v, ok = f.int()
			m.SchemaVersion = int(v)
		case "recorded_at":
			if !f.str || f.raw {
				return projections.Meta{}, false
			}
			if m.RecordedAt, ok = utcTime(f.val); !ok {
				t, err := time.Parse(time.RFC3339Nano, string(f.val))
				m.RecordedAt, ok = t, err == nil
			}
		case "command_type", "command_hash", "correlation_id", "prev_hash":
			ok = f.str
		default:
			ok = false
		}
		if !ok {
			return projections.Meta{}, false
		}
	}
	return m, true
}

// fastEvent decodes the flat event types through their field tables in
// domain (EventCodecFor: the same tables write them, so a key is named in
// one place). It reports false whenever the input is not exactly what the
// table knows: a key it does not name (encoding/json would also match
// keys that differ in case), a value of another form (null, a number
// written with an exponent, an amount in another form), nesting; the
// registry decodes it instead.
func (d *Decoder) fastEvent(typ string, b []byte) (domain.Event, bool) {
	c := domain.EventCodecFor(typ)
	if c == nil || !c.Flat {
		return nil, false
	}
	var fs [maxFields]field
	n, ok := scanFlat(b, &fs)
	if !ok {
		return nil, false
	}
	// One scratch value per type, reused (Value copies it out), with the
	// pointers to its fields taken once.
	sc := d.scratch[c]
	if sc == nil {
		sc = &scratch{p: c.New()}
		for _, f := range c.Fields {
			sc.ptrs = append(sc.ptrs, f.Ptr(sc.p))
		}
		if d.scratch == nil {
			d.scratch = map[*domain.EventCodec]*scratch{}
		}
		d.scratch[c] = sc
	} else {
		c.Reset(sc.p)
	}
	next := 0 // keys stored by this code come in the table's order
	for k := 0; k < n; k++ {
		f := &fs[k]
		i := next
		if i >= len(c.Fields) || c.Fields[i].Key != string(f.key) {
			for i = 0; i < len(c.Fields) && c.Fields[i].Key != string(f.key); i++ {
			}
			if i == len(c.Fields) {
				return nil, false
			}
		}
		next = i + 1
		spec := &c.Fields[i]
		switch v := sc.ptrs[i].(type) {
		case *string:
			if spec.Repeats {
				*v, ok = d.intern(f)
			} else {
				*v, ok = f.string()
			}
		case *int:
			var i int64
			i, ok = f.int()
			*v = int(i)
			ok = ok && int64(*v) == i
		case *int64:
			*v, ok = f.int()
		case *bool:
			ok = !f.str && (string(f.val) == "true" || string(f.val) == "false")
			*v = string(f.val) == "true"
		case *domain.Money:
			*v, ok = f.money()
		case *domain.Date:
			*v, ok = f.date()
		case *uuid.UUID:
			*v, ok = f.uuid()
		case **uuid.UUID:
			var u uuid.UUID
			u, ok = f.uuid()
			*v = &u
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return c.Value(sc.p), true
}

// scratch is a value of one flat event type that the Decoder decodes
// into, and pointers to its fields in the order of the type's table.
type scratch struct {
	p    any
	ptrs []any
}

// utcTime reads the form time.Time.MarshalJSON writes for a UTC time,
// "2006-01-02T15:04:05Z" with an optional fraction of up to 9 digits,
// without the general parser. Anything else reports false.
func utcTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(b[:4]), num(b[5:7]), num(b[8:10]), num(b[11:13]), num(b[14:16]), num(b[17:19])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	if rest := b[19 : len(b)-1]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		frac := num(rest[1:])
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
