package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The stored JSON of events and their metadata, written without
// reflection.
//
// Rule: the bytes are exactly the bytes encoding/json's Marshal writes for
// the same value (key order, omitempty, escaping of <, > and & and of
// U+2028/U+2029, invalid UTF-8 as \ufffd, Money, Date, UUID and time
// forms). Stored events, their hashes (EventHash hashes the data bytes)
// and the Merkle leaves (over the stored bytes) are therefore what they
// were; TestEventJSONIsEncodingJSON and FuzzEventJSON check every event
// type against encoding/json. A type without a table here (nested shapes
// other than the agreement's) is written by encoding/json itself.
//
// The same tables are the decoding side: projections/codec reads the flat
// types through EventCodecFor, so a key is named in one place.

// JSONField is one JSON key of an event type: its name, whether
// encoding/json leaves it out when zero (omitempty), whether its value is
// a short string that repeats from event to event (a decoder may keep one
// copy), and Ptr, which returns a pointer to the field in a pointer to the
// event struct (*string, *int, *int64, *bool, *Money, *Date, *uuid.UUID,
// **uuid.UUID, or for the agreement *Period, *[]YearSpec, *[]LineSpec).
type JSONField struct {
	Key       string
	OmitEmpty bool
	Repeats   bool
	Ptr       func(p any) any
}

// EventCodec is the JSON field table of one event type, in the order of
// the struct's fields (encoding/json's order). Flat reports whether every
// value is a string, number or literal (no nested objects or lists).
type EventCodec struct {
	Type   string
	Fields []JSONField
	Flat   bool
	New    func() any                // a pointer to a new zero event
	Reset  func(p any)               // sets the event behind the pointer to zero
	Value  func(p any) Event         // the event struct, by value, behind the pointer
	toPtr  func(e Event) (any, bool) // a pointer to a copy of e
}

var eventCodecs = map[string]*EventCodec{}

func codecOf[T Event](fields ...JSONField) {
	var zero T
	c := &EventCodec{
		Type:   zero.EventType(),
		Fields: fields,
		Flat:   true,
		New:    func() any { return new(T) },
		Reset:  func(p any) { var zero T; *p.(*T) = zero },
		Value:  func(p any) Event { return *p.(*T) },
		toPtr: func(e Event) (any, bool) {
			v, ok := e.(T)
			return &v, ok
		},
	}
	for _, f := range fields {
		switch f.Ptr(new(T)).(type) {
		case *Period, *[]YearSpec, *[]LineSpec:
			c.Flat = false
		}
	}
	eventCodecs[c.Type] = c
}

// EventCodecFor returns the field table of the event type typ, or nil when
// encoding/json writes and reads it.
func EventCodecFor(typ string) *EventCodec { return eventCodecs[typ] }

func fld[T any, F any](key string, get func(*T) *F) JSONField {
	return JSONField{Key: key, Ptr: func(p any) any { return get(p.(*T)) }}
}

func omit(f JSONField) JSONField    { f.OmitEmpty = true; return f }
func repeats(f JSONField) JSONField { f.Repeats = true; return f }

func init() {
	codecOf[AgreementRegistered](
		fld("agreement_id", func(e *AgreementRegistered) *uuid.UUID { return &e.AgreementID }),
		fld("agreement", func(e *AgreementRegistered) *string { return &e.Number }),
		fld("kind", func(e *AgreementRegistered) *string { return &e.Kind }),
		fld("title", func(e *AgreementRegistered) *string { return &e.Title }),
		fld("grantee", func(e *AgreementRegistered) *string { return &e.Grantee }),
		fld("funder", func(e *AgreementRegistered) *string { return &e.Funder }),
		omit(fld("programme", func(e *AgreementRegistered) *string { return &e.Programme })),
		omit(fld("support_intensity", func(e *AgreementRegistered) *string { return &e.SupportIntensity })),
		omit(fld("total_funding", func(e *AgreementRegistered) *Money { return &e.TotalFunding })),
		fld("period", func(e *AgreementRegistered) *Period { return &e.Period }),
		fld("years", func(e *AgreementRegistered) *[]YearSpec { return &e.Years }),
		omit(fld("lines", func(e *AgreementRegistered) *[]LineSpec { return &e.Lines })),
	)
	codecOf[BudgetLineAdded](
		fld("line", func(e *BudgetLineAdded) *string { return &e.Line }),
		omit(fld("name", func(e *BudgetLineAdded) *string { return &e.Name })),
		omit(fld("own_contribution", func(e *BudgetLineAdded) *bool { return &e.OwnContribution })),
	)
	codecOf[BudgetPlanned](
		repeats(fld("line", func(e *BudgetPlanned) *string { return &e.Line })),
		fld("year", func(e *BudgetPlanned) *int { return &e.Year }),
		fld("amount", func(e *BudgetPlanned) *Money { return &e.Amount }),
	)
	codecOf[BudgetAmended](
		repeats(fld("line", func(e *BudgetAmended) *string { return &e.Line })),
		fld("year", func(e *BudgetAmended) *int { return &e.Year }),
		fld("previous", func(e *BudgetAmended) *Money { return &e.Previous }),
		fld("amount", func(e *BudgetAmended) *Money { return &e.Amount }),
		fld("effective_date", func(e *BudgetAmended) *Date { return &e.EffectiveDate }),
		fld("reason", func(e *BudgetAmended) *string { return &e.Reason }),
	)
	codecOf[SpendingRecorded](
		repeats(fld("line", func(e *SpendingRecorded) *string { return &e.Line })),
		fld("year", func(e *SpendingRecorded) *int { return &e.Year }),
		fld("amount", func(e *SpendingRecorded) *Money { return &e.Amount }),
		fld("date", func(e *SpendingRecorded) *Date { return &e.Date }),
		fld("document", func(e *SpendingRecorded) *string { return &e.Document }),
		omit(fld("description", func(e *SpendingRecorded) *string { return &e.Description })),
	)
	codecOf[SpendingReversed](
		fld("spending", func(e *SpendingReversed) *uuid.UUID { return &e.Spending }),
		repeats(fld("line", func(e *SpendingReversed) *string { return &e.Line })),
		fld("year", func(e *SpendingReversed) *int { return &e.Year }),
		fld("amount", func(e *SpendingReversed) *Money { return &e.Amount }),
		fld("date", func(e *SpendingReversed) *Date { return &e.Date }),
		fld("reason", func(e *SpendingReversed) *string { return &e.Reason }),
		omit(fld("post_closure", func(e *SpendingReversed) *bool { return &e.PostClosure })),
	)
	codecOf[RemainderCarriedOver](
		repeats(fld("line", func(e *RemainderCarriedOver) *string { return &e.Line })),
		fld("from_year", func(e *RemainderCarriedOver) *int { return &e.FromYear }),
		fld("to_year", func(e *RemainderCarriedOver) *int { return &e.ToYear }),
		fld("amount", func(e *RemainderCarriedOver) *Money { return &e.Amount }),
		fld("date", func(e *RemainderCarriedOver) *Date { return &e.Date }),
	)
	codecOf[UnspentReturned](
		repeats(fld("line", func(e *UnspentReturned) *string { return &e.Line })),
		fld("year", func(e *UnspentReturned) *int { return &e.Year }),
		fld("amount", func(e *UnspentReturned) *Money { return &e.Amount }),
		repeats(fld("to", func(e *UnspentReturned) *string { return &e.To })),
		fld("date", func(e *UnspentReturned) *Date { return &e.Date }),
		omit(fld("post_closure", func(e *UnspentReturned) *bool { return &e.PostClosure })),
	)
	codecOf[IneligibleExpenditureDeclared](
		repeats(fld("line", func(e *IneligibleExpenditureDeclared) *string { return &e.Line })),
		fld("year", func(e *IneligibleExpenditureDeclared) *int { return &e.Year }),
		fld("amount", func(e *IneligibleExpenditureDeclared) *Money { return &e.Amount }),
		fld("date", func(e *IneligibleExpenditureDeclared) *Date { return &e.Date }),
		fld("description", func(e *IneligibleExpenditureDeclared) *string { return &e.Description }),
		omit(fld("spending", func(e *IneligibleExpenditureDeclared) **uuid.UUID { return &e.Spending })),
		omit(fld("post_closure", func(e *IneligibleExpenditureDeclared) *bool { return &e.PostClosure })),
	)
	codecOf[IneligibleExpenditureRecovered](
		fld("ineligible", func(e *IneligibleExpenditureRecovered) *uuid.UUID { return &e.Ineligible }),
		repeats(fld("line", func(e *IneligibleExpenditureRecovered) *string { return &e.Line })),
		fld("year", func(e *IneligibleExpenditureRecovered) *int { return &e.Year }),
		fld("amount", func(e *IneligibleExpenditureRecovered) *Money { return &e.Amount }),
		fld("date", func(e *IneligibleExpenditureRecovered) *Date { return &e.Date }),
		omit(fld("post_closure", func(e *IneligibleExpenditureRecovered) *bool { return &e.PostClosure })),
	)
	codecOf[YearClosed](
		fld("year", func(e *YearClosed) *int { return &e.Year }),
		fld("date", func(e *YearClosed) *Date { return &e.Date }),
	)
	codecOf[DisbursementPlanned](
		repeats(fld("kind", func(e *DisbursementPlanned) *string { return &e.Kind })),
		fld("year", func(e *DisbursementPlanned) *int { return &e.Year }),
		fld("amount", func(e *DisbursementPlanned) *Money { return &e.Amount }),
		fld("date", func(e *DisbursementPlanned) *Date { return &e.Date }),
		omit(fld("report", func(e *DisbursementPlanned) *string { return &e.Report })),
	)
	codecOf[DisbursementRecorded](
		omit(repeats(fld("kind", func(e *DisbursementRecorded) *string { return &e.Kind }))),
		fld("year", func(e *DisbursementRecorded) *int { return &e.Year }),
		fld("amount", func(e *DisbursementRecorded) *Money { return &e.Amount }),
		fld("date", func(e *DisbursementRecorded) *Date { return &e.Date }),
		fld("reference", func(e *DisbursementRecorded) *string { return &e.Reference }),
	)
	codecOf[DisbursementReversed](
		fld("disbursement", func(e *DisbursementReversed) *uuid.UUID { return &e.Disbursement }),
		fld("year", func(e *DisbursementReversed) *int { return &e.Year }),
		fld("amount", func(e *DisbursementReversed) *Money { return &e.Amount }),
		fld("date", func(e *DisbursementReversed) *Date { return &e.Date }),
		fld("reason", func(e *DisbursementReversed) *string { return &e.Reason }),
	)
	codecOf[RefundRecorded](
		fld("for", func(e *RefundRecorded) *uuid.UUID { return &e.For }),
		repeats(fld("kind", func(e *RefundRecorded) *string { return &e.Kind })),
		repeats(fld("line", func(e *RefundRecorded) *string { return &e.Line })),
		fld("year", func(e *RefundRecorded) *int { return &e.Year }),
		fld("amount", func(e *RefundRecorded) *Money { return &e.Amount }),
		fld("date", func(e *RefundRecorded) *Date { return &e.Date }),
		fld("reference", func(e *RefundRecorded) *string { return &e.Reference }),
	)
	codecOf[DeliveryReversed](
		fld("delivery", func(e *DeliveryReversed) *uuid.UUID { return &e.Delivery }),
		repeats(fld("indicator", func(e *DeliveryReversed) *string { return &e.Indicator })),
		fld("year", func(e *DeliveryReversed) *int { return &e.Year }),
		fld("date", func(e *DeliveryReversed) *Date { return &e.Date }),
		fld("reason", func(e *DeliveryReversed) *string { return &e.Reason }),
	)
	codecOf[NarrativeRecorded](
		fld("year", func(e *NarrativeRecorded) *int { return &e.Year }),
		repeats(fld("field", func(e *NarrativeRecorded) *string { return &e.Field })),
		fld("text", func(e *NarrativeRecorded) *string { return &e.Text }),
	)
	codecOf[TokenRevoked](
		fld("id", func(e *TokenRevoked) *string { return &e.ID }),
	)
}

// AppendEventJSON appends the JSON of ev, byte for byte what
// json.Marshal(ev) writes.
func AppendEventJSON(b []byte, ev Event) ([]byte, error) {
	c := eventCodecs[ev.EventType()]
	if c == nil {
		out, err := json.Marshal(ev)
		return append(b, out...), err
	}
	p, ok := c.toPtr(ev)
	if !ok { // a pointer, or another type under a known name: as encoding/json writes it
		out, err := json.Marshal(ev)
		return append(b, out...), err
	}
	return appendFields(b, c.Fields, p), nil
}

func appendFields(b []byte, fields []JSONField, p any) []byte {
	b = append(b, '{')
	first := true
	for i := range fields {
		f := &fields[i]
		v := f.Ptr(p)
		if f.OmitEmpty && isEmpty(v) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.Key...) // keys are plain ASCII letters and '_'
		b = append(b, '"', ':')
		b = appendValue(b, v)
	}
	return append(b, '}')
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case *string:
		return *v == ""
	case *int:
		return *v == 0
	case *int64:
		return *v == 0
	case *bool:
		return !*v
	case *Money:
		return *v == 0
	case *Date:
		return *v == 0
	case **uuid.UUID:
		return *v == nil
	case *[]LineSpec:
		return len(*v) == 0
	case *[]YearSpec:
		return len(*v) == 0
	}
	return false
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case *string:
		return AppendJSONString(b, *v)
	case *int:
		return strconv.AppendInt(b, int64(*v), 10)
	case *int64:
		return strconv.AppendInt(b, *v, 10)
	case *bool:
		return strconv.AppendBool(b, *v)
	case *Money:
		return appendMoney(b, *v)
	case *Date:
		return appendDate(b, *v)
	case *uuid.UUID:
		return appendUUID(b, *v)
	case **uuid.UUID:
		if *v == nil {
			return append(b, "null"...)
		}
		return appendUUID(b, **v)
	case *Period:
		return appendPeriod(b, *v)
	case *[]YearSpec:
		if *v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, y := range *v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"year":`...)
			b = strconv.AppendInt(b, int64(y.Year), 10)
			b = append(b, `,"from":`...)
			b = appendDate(b, y.From)
			b = append(b, `,"to":`...)
			b = appendDate(b, y.To)
			b = append(b, '}')
		}
		return append(b, ']')
	case *[]LineSpec:
		if *v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, l := range *v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"line":`...)
			b = AppendJSONString(b, l.Line)
			b = append(b, `,"name":`...)
			b = AppendJSONString(b, l.Name)
			if l.OwnContribution {
				b = append(b, `,"own_contribution":true`...)
			}
			b = append(b, '}')
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("domain: no JSON writer for a field of type %T", v)) // a table above names a type not listed here
}

func appendPeriod(b []byte, p Period) []byte {
	b = append(b, `{"from":`...)
	b = appendDate(b, p.From)
	b = append(b, `,"to":`...)
	b = appendDate(b, p.To)
	return append(b, '}')
}

// appendMoney writes Money.MarshalJSON's form: "-?units.cc".
func appendMoney(b []byte, m Money) []byte {
	v := int64(m)
	if v == math.MinInt64 { // has no positive counterpart: as String writes it
		return append(append(append(b, '"'), m.String()...), '"')
	}
	b = append(b, '"')
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	c := v % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10), '"')
}

// appendDate writes Date.MarshalJSON's form, "YYYY-MM-DD" (the civil
// date of the day count by H. Hinnant's algorithm; years outside 0–9999,
// which time's formatting writes in other widths, through time itself).
func appendDate(b []byte, d Date) []byte {
	z := int64(d) + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	if y < 0 || y > 9999 {
		b = append(b, '"')
		b = d.Time().AppendFormat(b, "2006-01-02")
		return append(b, '"')
	}
	return append(b, '"', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10), '"')
}

func appendUUID(b []byte, u uuid.UUID) []byte {
	var s [36]byte
	const hexdig = "0123456789abcdef"
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexdig[c>>4], hexdig[c&0xF]
		j += 2
	}
	b = append(b, '"')
	b = append(b, s[:]...)
	return append(b, '"')
}

// appendTime writes time.Time.MarshalJSON's form (RFC 3339 with
// nanoseconds). It reports false where MarshalJSON would fail (a year
// outside 0–9999, an offset of 24 hours or more).
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if t.Location() == time.UTC {
		if y := t.Year(); y >= 0 && y <= 9999 {
			b = append(b, '"')
			b = t.AppendFormat(b, time.RFC3339Nano)
			return append(b, '"'), true
		}
	}
	out, err := t.MarshalJSON()
	if err != nil {
		return b, false
	}
	return append(b, out...), true
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are (its
// htmlSafeSet): not control characters, '"', '\\', '<', '>' or '&'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendJSONString appends s as encoding/json writes a string (with its
// default HTML escaping).
func AppendJSONString(b []byte, s string) []byte {
	const hexdig = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexdig[c>>4], hexdig[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexdig[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendMetadataJSON appends the JSON of m, byte for byte what
// json.Marshal(m) writes, and fails where it fails (a recorded time that
// RFC 3339 cannot write).
func AppendMetadataJSON(b []byte, m *Metadata) ([]byte, error) {
	b = append(b, `{"event_id":`...)
	b = appendUUID(b, m.EventID)
	b = append(b, `,"command_id":`...)
	b = appendUUID(b, m.CommandID)
	b = append(b, `,"command_type":`...)
	b = AppendJSONString(b, m.CommandType)
	b = append(b, `,"command_hash":`...)
	b = AppendJSONString(b, m.CommandHash)
	b = append(b, `,"correlation_id":`...)
	b = appendUUID(b, m.CorrelationID)
	b = append(b, `,"actor":`...)
	b = AppendJSONString(b, m.Actor)
	if m.Reason != "" {
		b = append(b, `,"reason":`...)
		b = AppendJSONString(b, m.Reason)
	}
	b = append(b, `,"recorded_at":`...)
	var ok bool
	if b, ok = appendTime(b, m.RecordedAt); !ok {
		return b, fmt.Errorf("metadata: recorded_at %s cannot be written in RFC 3339 (year outside 0–9999)", m.RecordedAt)
	}
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(m.SchemaVersion), 10)
	b = append(b, `,"prev_hash":`...)
	b = AppendJSONString(b, m.PrevHash)
	b = append(b, `,"hash":`...)
	b = AppendJSONString(b, m.Hash)
	return append(b, '}'), nil
}

// commandTable is the JSON field table of a command type: what
// CommandHash hashes is written from it (the same bytes as encoding/json),
// and app/wire reads the flat ones through it (CommandFieldsFor).
type commandTable struct {
	fields []JSONField
	flat   bool
	new    func() any
	value  func(p any) Command
	toPtr  func(c Command) (any, bool)
}

var commandTables = map[string]*commandTable{}

func commandTableOf[T Command](fields ...JSONField) {
	var zero T
	agreement := fld("agreement", func(c *T) *string { return &any(c).(interface{ ref() *Ref }).ref().Agreement })
	t := &commandTable{
		fields: append([]JSONField{agreement}, fields...),
		flat:   true,
		new:    func() any { return new(T) },
		value:  func(p any) Command { return *p.(*T) },
		toPtr: func(c Command) (any, bool) {
			v, ok := c.(T)
			return &v, ok
		},
	}
	for _, f := range t.fields {
		switch f.Ptr(new(T)).(type) {
		case *Period, *[]YearSpec, *[]LineSpec:
			t.flat = false
		}
	}
	commandTables[zero.CommandType()] = t
}

// CommandFieldsFor returns the JSON field table of the command type typ
// when every value of it is a string, number or literal (no nested
// objects or lists): its fields in encoding/json's order, a function
// that returns a pointer to a new zero command, and one that returns the
// command behind such a pointer, by value. ok is false for the other
// types, which encoding/json reads.
func CommandFieldsFor(typ string) (fields []JSONField, newCmd func() any, value func(p any) Command, ok bool) {
	t := commandTables[typ]
	if t == nil || !t.flat {
		return nil, nil, nil, false
	}
	return t.fields, t.new, t.value, true
}

// ref gives a command table the embedded Ref (every command embeds one,
// first: its "agreement" key comes first).
func (r *Ref) ref() *Ref { return r }

func init() {
	commandTableOf[RegisterAgreement](
		fld("kind", func(e *RegisterAgreement) *string { return &e.Kind }),
		fld("title", func(e *RegisterAgreement) *string { return &e.Title }),
		fld("grantee", func(e *RegisterAgreement) *string { return &e.Grantee }),
		fld("funder", func(e *RegisterAgreement) *string { return &e.Funder }),
		omit(fld("programme", func(e *RegisterAgreement) *string { return &e.Programme })),
		omit(fld("support_intensity", func(e *RegisterAgreement) *string { return &e.SupportIntensity })),
		omit(fld("total_funding", func(e *RegisterAgreement) *Money { return &e.TotalFunding })),
		fld("period", func(e *RegisterAgreement) *Period { return &e.Period }),
		fld("years", func(e *RegisterAgreement) *[]YearSpec { return &e.Years }),
		omit(fld("lines", func(e *RegisterAgreement) *[]LineSpec { return &e.Lines })),
	)
	commandTableOf[AddBudgetLine](
		fld("line", func(e *AddBudgetLine) *string { return &e.Line }),
		fld("name", func(e *AddBudgetLine) *string { return &e.Name }),
		omit(fld("own_contribution", func(e *AddBudgetLine) *bool { return &e.OwnContribution })),
	)
	commandTableOf[PlanBudget](
		fld("line", func(e *PlanBudget) *string { return &e.Line }),
		fld("year", func(e *PlanBudget) *int { return &e.Year }),
		fld("amount", func(e *PlanBudget) *Money { return &e.Amount }),
	)
	commandTableOf[AmendBudget](
		fld("line", func(e *AmendBudget) *string { return &e.Line }),
		fld("year", func(e *AmendBudget) *int { return &e.Year }),
		fld("amount", func(e *AmendBudget) *Money { return &e.Amount }),
		fld("effective_date", func(e *AmendBudget) *Date { return &e.EffectiveDate }),
	)
	commandTableOf[RecordSpending](
		fld("line", func(e *RecordSpending) *string { return &e.Line }),
		fld("year", func(e *RecordSpending) *int { return &e.Year }),
		fld("amount", func(e *RecordSpending) *Money { return &e.Amount }),
		fld("date", func(e *RecordSpending) *Date { return &e.Date }),
		fld("document", func(e *RecordSpending) *string { return &e.Document }),
		omit(fld("description", func(e *RecordSpending) *string { return &e.Description })),
	)
	commandTableOf[ReverseSpending](
		fld("spending", func(e *ReverseSpending) *uuid.UUID { return &e.Spending }),
		fld("date", func(e *ReverseSpending) *Date { return &e.Date }),
	)
	commandTableOf[CarryOver](
		fld("line", func(e *CarryOver) *string { return &e.Line }),
		fld("from_year", func(e *CarryOver) *int { return &e.FromYear }),
		omit(fld("amount", func(e *CarryOver) *Money { return &e.Amount })),
		fld("date", func(e *CarryOver) *Date { return &e.Date }),
	)
	commandTableOf[ReturnUnspent](
		fld("line", func(e *ReturnUnspent) *string { return &e.Line }),
		fld("year", func(e *ReturnUnspent) *int { return &e.Year }),
		omit(fld("amount", func(e *ReturnUnspent) *Money { return &e.Amount })),
		omit(fld("to", func(e *ReturnUnspent) *string { return &e.To })),
		fld("date", func(e *ReturnUnspent) *Date { return &e.Date }),
	)
	commandTableOf[DeclareIneligible](
		fld("line", func(e *DeclareIneligible) *string { return &e.Line }),
		fld("year", func(e *DeclareIneligible) *int { return &e.Year }),
		fld("amount", func(e *DeclareIneligible) *Money { return &e.Amount }),
		fld("date", func(e *DeclareIneligible) *Date { return &e.Date }),
		fld("description", func(e *DeclareIneligible) *string { return &e.Description }),
		omit(fld("spending", func(e *DeclareIneligible) **uuid.UUID { return &e.Spending })),
	)
	commandTableOf[RecordRecovery](
		fld("ineligible", func(e *RecordRecovery) *uuid.UUID { return &e.Ineligible }),
		fld("amount", func(e *RecordRecovery) *Money { return &e.Amount }),
		fld("date", func(e *RecordRecovery) *Date { return &e.Date }),
	)
	commandTableOf[CloseYear](
		fld("year", func(e *CloseYear) *int { return &e.Year }),
		fld("date", func(e *CloseYear) *Date { return &e.Date }),
	)
}

// AppendCommandJSON appends the JSON of cmd, byte for byte what
// json.Marshal(cmd) writes.
func AppendCommandJSON(b []byte, cmd Command) ([]byte, error) {
	if t := commandTables[cmd.CommandType()]; t != nil {
		if p, ok := t.toPtr(cmd); ok {
			return appendFields(b, t.fields, p), nil
		}
	}
	out, err := json.Marshal(cmd)
	return append(b, out...), err
}
