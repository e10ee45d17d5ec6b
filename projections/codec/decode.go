package codec

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/domain/flatjson"
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
	if !f.Plain() || len(f.Val) > 64 {
		return f.String()
	}
	if s, ok := d.names[string(f.Val)]; ok {
		return s, true
	}
	s := string(f.Val)
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

// field is one key and value of a flat JSON object (the scanner and the
// value readers are domain/flatjson's, shared with the commands' decoder).
type field = flatjson.Field

func (d *Decoder) fastMeta(b []byte) (projections.Meta, bool) {
	var fs [flatjson.MaxFields]field
	n, ok := flatjson.Scan(b, fs[:], false)
	if !ok {
		return projections.Meta{}, false
	}
	var m projections.Meta
	for k := 0; k < n; k++ {
		f := &fs[k]
		switch string(f.Key) {
		case "event_id":
			ok = f.Str
		case "command_id":
			m.CommandID, ok = f.UUID()
		case "actor":
			m.Actor, ok = d.intern(f)
		case "reason":
			m.Reason, ok = f.String()
		case "hash":
			m.Hash, ok = f.String()
		case "schema_version":
			var v int64
			v, ok = f.Int()
			m.SchemaVersion = int(v)
		case "recorded_at":
			if !f.Str || f.Esc || f.NonASCII {
				return projections.Meta{}, false
			}
			if m.RecordedAt, ok = f.UTCTime(); !ok {
				t, err := time.Parse(time.RFC3339Nano, string(f.Val))
				m.RecordedAt, ok = t, err == nil
			}
		case "command_type", "command_hash", "correlation_id", "prev_hash":
			ok = f.Str
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
	var fs [flatjson.MaxFields]field
	n, ok := flatjson.Scan(b, fs[:], false)
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
		if i >= len(c.Fields) || c.Fields[i].Key != string(f.Key) {
			for i = 0; i < len(c.Fields) && c.Fields[i].Key != string(f.Key); i++ {
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
				*v, ok = f.String()
			}
		case *int:
			var i int64
			i, ok = f.Int()
			*v = int(i)
			ok = ok && int64(*v) == i
		case *int64:
			*v, ok = f.Int()
		case *bool:
			ok = !f.Str && (string(f.Val) == "true" || string(f.Val) == "false")
			*v = string(f.Val) == "true"
		case *domain.Money:
			*v, ok = f.CanonicalMoney()
		case *domain.Date:
			*v, ok = f.Date()
		case *uuid.UUID:
			*v, ok = f.UUID()
		case **uuid.UUID:
			var u uuid.UUID
			u, ok = f.UUID()
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
