package esdb

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/grantledger/grantledger/domain"
)

// DefaultMaxAppendSize is EventStoreDB's default MaxAppendSize, the most
// bytes one append may carry: 1 048 576, counted as appendSize does.
const DefaultMaxAppendSize = 1 << 20

// maxAppendSizeParam is the connection-string parameter that sets
// Store.MaxAppendSize. The adapter removes it before the official client
// reads the string (the client refuses settings it does not know).
const maxAppendSizeParam = "maxAppendSize"

// appendSize is the size EventStoreDB charges an append against
// MaxAppendSize: for every event, data + metadata bytes + the type's
// length in UTF-16 code units times 2 (the server's Event.SizeOnDisk;
// servers before 24.10.4 counted less, through an operator-precedence
// slip in that formula, so this is never below what any server counts).
func appendSize(events []domain.EventData) int {
	n := 0
	for _, e := range events {
		n += eventSize(e)
	}
	return n
}

// eventSize is one event's share of appendSize.
func eventSize(e domain.EventData) int {
	return len(e.Data) + len(e.Metadata) + 2*len(utf16.Encode([]rune(e.Type)))
}

// MaxAppendBytes returns the largest append, counted as the server counts
// it (data + metadata + 2 x type length of every event), the store sends
// in one call. app/migrate splits its runs
// under it.
func (s *Store) MaxAppendBytes() int {
	if s.MaxAppendSize > 0 {
		return s.MaxAppendSize
	}
	return DefaultMaxAppendSize
}

// tooLarge is the error for an append the store will not send, or the
// server refused, because of its size. Nothing was written.
func (s *Store) tooLarge(stream string, events []domain.EventData, serverSaid string) error {
	msg := fmt.Sprintf("append to %s: %d events take %d bytes, more than the %d bytes EventStoreDB accepts in one append (data + metadata + 2 x type length) (server setting MaxAppendSize; tell the adapter with %s= in the connection string); one command's events are written together, so nothing was written",
		stream, len(events), appendSize(events), s.MaxAppendBytes(), maxAppendSizeParam)
	if serverSaid != "" {
		msg = fmt.Sprintf("append to %s: EventStoreDB refused %d events of %d bytes (type + data + metadata): %q; raise the server's MaxAppendSize or lower the adapter's %s= (now %d) to match it; nothing was written",
			stream, len(events), appendSize(events), serverSaid, maxAppendSizeParam, s.MaxAppendBytes())
	}
	return &domain.Error{Code: domain.EInvalid, Field: "events", Message: msg}
}

// serverTooLarge returns the server's own words when err is its refusal of
// an append over MaxAppendSize (InvalidArgument "Maximum Append Size of
// 1048576 Exceeded"; the client reports InvalidArgument unclassified).
func serverTooLarge(err error) (string, bool) {
	text := err.Error()
	i := strings.Index(text, "Maximum Append Size of")
	if i < 0 {
		return "", false
	}
	said := text[i:]
	if j := strings.Index(said, "Exceeded"); j >= 0 {
		said = said[:j+len("Exceeded")]
	}
	return said, true
}

// takeParam removes name=value (any case of name) from a connection
// string and returns the value ("" and false when absent).
func takeParam(raw, name string) (string, string, bool) {
	q := strings.IndexByte(raw, '?')
	if q < 0 {
		return raw, "", false
	}
	var kept []string
	value, found := "", false
	for _, kv := range strings.Split(raw[q+1:], "&") {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.EqualFold(k, name) {
			kept = append(kept, kv)
			continue
		}
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		value, found = v, true
	}
	if len(kept) == 0 {
		return raw[:q], value, found
	}
	return raw[:q+1] + strings.Join(kept, "&"), value, found
}

// takeMaxAppendSize removes maxAppendSize=N from a connection string and
// returns N (0 when absent).
func takeMaxAppendSize(raw string) (string, int, error) {
	raw, v, found := takeParam(raw, maxAppendSizeParam)
	if !found {
		return raw, 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return "", 0, fmt.Errorf("%s=%q is not a positive number of bytes", maxAppendSizeParam, v)
	}
	return raw, n, nil
}
