package wire

import (
	"bytes"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/domain/flatjson"
)

// The fast path (issue 17, import throughput). Most lines of an apply
// file and most request bodies are an envelope of plain strings around a
// flat data object, and most commands are flat (record_spending above
// all). These are read here without reflection, through the command
// tables in domain (CommandFieldsFor, the tables that write the
// commands' JSON for their hashes); whatever is not exactly such an
// input (a key in another case or given twice, a key the type does not
// have, null, an amount or date its type refuses, a number with a
// fraction, nesting, invalid JSON) makes the fast path give up, and
// strictUnmarshal reads the input with encoding/json, which gives the
// result and every error. So the two paths accept the same inputs and
// decode them alike: TestFastPathDecodesAsEncodingJSON and
// FuzzDecodeCommand compare them.

// fastEnvelope reads b when it is an envelope the fast path takes.
func fastEnvelope(b []byte) (e domain.Envelope, ok bool) {
	var fs [8]flatjson.Field
	n, ok := flatjson.Scan(b, fs[:], true)
	if !ok {
		return e, false
	}
	var seen uint8
	for k := range n {
		f := &fs[k]
		var bit uint8
		switch string(f.Key) {
		case "type":
			bit = 1
			e.Type, ok = f.String()
		case "command_id":
			bit = 2
			e.CommandID, ok = textUUID(f)
		case "actor":
			bit = 4
			e.Actor, ok = f.String()
		case "reason":
			bit = 8
			e.Reason, ok = f.String()
		case "correlation_id":
			bit = 16
			e.CorrelationID, ok = textUUID(f)
		case "data":
			bit = 32
			ok = f.Obj && distinctKeys(f.Val)
			e.Data = append([]byte(nil), f.Val...) // b may be the caller's reused buffer
		default:
			return e, false
		}
		if !ok || seen&bit != 0 {
			return domain.Envelope{}, false
		}
		seen |= bit
	}
	return e, true
}

// distinctKeys reports whether no two keys of the flat object b are equal
// ignoring case, as checkDuplicateKeys compares them (the keys are
// ASCII: flatjson.Scan takes no other).
func distinctKeys(b []byte) bool {
	var fs [flatjson.MaxFields]flatjson.Field
	n, ok := flatjson.Scan(b, fs[:], false)
	if !ok {
		return false
	}
	for i := 1; i < n; i++ {
		for j := range i {
			if bytes.EqualFold(fs[i].Key, fs[j].Key) {
				return false
			}
		}
	}
	return true
}

// textUUID reads a UUID from a JSON string as encoding/json does (through
// uuid.UUID's UnmarshalText).
func textUUID(f *flatjson.Field) (uuid.UUID, bool) {
	if !f.Str {
		return uuid.UUID{}, false
	}
	if !f.Esc && !f.NonASCII {
		u, err := uuid.ParseBytes(f.Val)
		return u, err == nil
	}
	s, ok := f.String()
	if !ok {
		return uuid.UUID{}, false
	}
	u, err := uuid.ParseBytes([]byte(s))
	return u, err == nil
}

// fastData decodes data into a command of type typ when the type's table
// is flat and data is exactly what the table knows.
func fastData(typ string, data []byte) (domain.Command, bool) {
	fields, newCmd, value, ok := domain.CommandFieldsFor(typ)
	if !ok || len(fields) > 32 {
		return nil, false
	}
	var fs [flatjson.MaxFields]flatjson.Field
	n, ok := flatjson.Scan(data, fs[:], false)
	if !ok {
		return nil, false
	}
	p := newCmd()
	var seen uint32
	var buf [64]byte
	for k := range n {
		f := &fs[k]
		i := 0
		for i < len(fields) && fields[i].Key != string(f.Key) {
			i++
		}
		if i == len(fields) || seen&(1<<i) != 0 {
			return nil, false
		}
		seen |= 1 << i
		switch v := fields[i].Ptr(p).(type) {
		case *string:
			*v, ok = f.String()
		case *int:
			var x int64
			x, ok = f.Int()
			*v = int(x)
		case *bool:
			ok = !f.Str && (string(f.Val) == "true" || string(f.Val) == "false")
			*v = string(f.Val) == "true"
		case *domain.Money:
			ok = f.Str && v.UnmarshalJSON(f.JSON(buf[:0])) == nil
		case *domain.Date:
			ok = f.Str && v.UnmarshalJSON(f.JSON(buf[:0])) == nil
		case *uuid.UUID:
			*v, ok = textUUID(f)
		case **uuid.UUID:
			var u uuid.UUID
			u, ok = textUUID(f)
			*v = &u
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return value(p), true
}
