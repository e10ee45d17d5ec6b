package flatjson

import "github.com/grantledger/grantledger/domain"

// DecodeMetadata reads an event's metadata as domain.DecodeMetadata does,
// with the same result and the same errors: through Metadata when it
// takes the input, through domain.DecodeMetadata (encoding/json) when it
// does not. Reading back an agreement's stream and checking its hash chain
// decode every event's metadata; with encoding/json that was 15 % of a
// server's CPU when its agreements no longer fit in the cache
// (docs/PERFORMANCE.md, issue 17).
func DecodeMetadata(b []byte) (domain.Metadata, error) {
	if m, ok := Metadata(b); ok {
		return m, nil
	}
	return domain.DecodeMetadata(b)
}

// Metadata reads metadata in the form the ledger writes it
// (domain.AppendMetadataJSON): one flat object of the known keys, the ids
// in their 36-character form, the time in UTC. It reports false for
// anything else (an unknown key or a key in another case, null, an id or
// a time in another form, a number with a fraction), which the caller
// then reads with encoding/json.
func Metadata(b []byte) (domain.Metadata, bool) {
	var fs [MaxFields]Field
	n, ok := Scan(b, fs[:], false)
	if !ok {
		return domain.Metadata{}, false
	}
	var m domain.Metadata
	for k := 0; k < n; k++ {
		f := &fs[k]
		switch string(f.Key) {
		case "event_id":
			m.EventID, ok = f.UUID()
		case "command_id":
			m.CommandID, ok = f.UUID()
		case "correlation_id":
			m.CorrelationID, ok = f.UUID()
		case "command_type":
			m.CommandType, ok = f.String()
		case "command_hash":
			m.CommandHash, ok = f.String()
		case "actor":
			m.Actor, ok = f.String()
		case "reason":
			m.Reason, ok = f.String()
		case "recorded_at":
			m.RecordedAt, ok = f.UTCTime()
		case "schema_version":
			var v int64
			v, ok = f.Int()
			m.SchemaVersion = int(v)
			ok = ok && int64(m.SchemaVersion) == v
		case "prev_hash":
			m.PrevHash, ok = f.String()
		case "hash":
			m.Hash, ok = f.String()
		default:
			ok = false
		}
		if !ok {
			return domain.Metadata{}, false
		}
	}
	return m, true
}
