package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The oracle of the hand-written event and metadata JSON is encoding/json:
// stored events and their hashes must not change (docs/PROOFS.md).

// trickyStrings are strings encoding/json escapes or rewrites.
var trickyStrings = []string{
	"", "civil", "Biedrība 1", "Kultūras ministrija", `quote " and \ backslash`,
	"<script>&amp;</script>", "line\nbreak\ttab\rcr\bbs\fff", "\x00\x01\x1f\x7f",
	"\u2028\u2029 separators", "bad \xff\xfe utf-8 \xc3", "emoji 😀 and ĀČĒĢĪĶĻŅŠŪŽ",
	"\xed\xa0\x80 surrogate", "a/b", "\u00a0nbsp", "\ufffd",
}

// fill sets v (addressable) to a random value of its type.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Interface().(type) {
	case Money:
		var m Money
		switch r.IntN(5) {
		case 0:
		case 1:
			m = Money(r.Int64N(int64(MaxMoney)))
		case 2:
			m = -Money(r.Int64N(int64(MaxMoney)))
		case 3:
			m = Money(r.Int64N(1000) - 500)
		case 4:
			m = Money(r.Int64())
			if r.IntN(2) == 0 {
				m = Money(math.MinInt64)
			}
		}
		v.Set(reflect.ValueOf(m))
		return
	case Date:
		d := Date(r.Int32N(200000) - 100000)
		switch r.IntN(8) {
		case 0:
			d = 0
		case 1:
			d = Date(r.Int32()) // years far outside 0–9999
		case 2:
			d = Date(r.Int32N(8000000) - 1000000) // around years 0 and 9999
		}
		v.Set(reflect.ValueOf(d))
		return
	case uuid.UUID:
		var u uuid.UUID
		if r.IntN(4) != 0 {
			for i := range u {
				u[i] = byte(r.UintN(256))
			}
		}
		v.Set(reflect.ValueOf(u))
		return
	case time.Time:
		var t time.Time
		switch r.IntN(3) {
		case 1:
			t = time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).UTC()
		case 2:
			t = time.Unix(r.Int64N(1<<34), int64(r.IntN(1000))*1e6).In(time.FixedZone("", 3*3600))
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := trickyStrings[r.IntN(len(trickyStrings))]
		if r.IntN(3) == 0 {
			s += trickyStrings[r.IntN(len(trickyStrings))]
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		switch r.IntN(4) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(r.Int64N(10) - 3)
		default:
			v.SetInt(r.Int64() >> r.IntN(63))
			if r.IntN(2) == 0 {
				v.SetInt(-v.Int())
			}
		}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		v.SetUint(r.Uint64() >> r.IntN(64) & (1<<(v.Type().Bits()) - 1))
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(r.IntN(1000)))
	case reflect.Map:
		v.SetZero()
	case reflect.Pointer:
		if r.IntN(2) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem())
		v.Set(p)
	case reflect.Slice:
		switch r.IntN(3) {
		case 0:
			v.SetZero()
		default:
			n := r.IntN(4)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := 0; i < n; i++ {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	default:
		panic("fill: no generator for " + v.Type().String())
	}
}

// TestEventJSONIsEncodingJSON writes random values of every registered
// event type, and every event type with a field table, with
// AppendEventJSON and with json.Marshal: the bytes must be the same, and
// so must the failure.
func TestEventJSONIsEncodingJSON(t *testing.T) {
	reg := NewEventRegistry()
	r := rand.New(rand.NewPCG(17, 4))
	tabled := 0
	for _, typ := range reg.Types() {
		if EventCodecFor(typ) != nil {
			tabled++
		}
		for i := 0; i < 400; i++ {
			p := reflect.ValueOf(reg.types[typ].newEvent())
			fill(r, p.Elem())
			ev := p.Elem().Interface().(Event)
			want, werr := json.Marshal(ev)
			got, gerr := AppendEventJSON([]byte("prefix"), ev)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("%s: encoding/json error %v, AppendEventJSON error %v", typ, werr, gerr)
			}
			if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Fatalf("%s %#v:\n got  %s\n want prefix%s", typ, ev, got, want)
			}
		}
	}
	// The types the import writes most, and every flat type the
	// projections' scanner reads, go through the tables.
	for _, typ := range []string{TypeAgreementRegistered, TypeBudgetPlanned, TypeSpendingRecorded, TypeSpendingReversed,
		TypeRemainderCarriedOver, TypeUnspentReturned, TypeYearClosed} {
		if EventCodecFor(typ) == nil {
			t.Errorf("%s has no field table", typ)
		}
	}
	if tabled < 18 {
		t.Errorf("only %d event types have a field table", tabled)
	}
	// A table names the struct's JSON fields in encoding/json's order.
	for _, typ := range reg.Types() {
		c := EventCodecFor(typ)
		if c == nil {
			continue
		}
		st := reflect.TypeOf(c.New()).Elem()
		var keys []string
		for i := 0; i < st.NumField(); i++ {
			keys = append(keys, jsonKey(st.Field(i)))
		}
		var got []string
		for _, f := range c.Fields {
			got = append(got, f.Key)
		}
		if !reflect.DeepEqual(keys, got) {
			t.Errorf("%s: table keys %v, struct's JSON keys %v", typ, got, keys)
		}
	}
}

func jsonKey(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

// TestEventJSONPointerFallsBack: a pointer to an event is written as
// encoding/json writes it.
func TestEventJSONPointerFallsBack(t *testing.T) {
	ev := &SpendingRecorded{Line: "civil", Year: 1, Amount: 12345, Date: NewDate(2022, 7, 15), Document: "<a>"}
	want, _ := json.Marshal(ev)
	got, err := AppendEventJSON(nil, ev)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
}

// TestMetadataJSONIsEncodingJSON compares AppendMetadataJSON with
// json.Marshal over random metadata.
func TestMetadataJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 5))
	for i := 0; i < 5000; i++ {
		var m Metadata
		fill(r, reflect.ValueOf(&m).Elem())
		if i%7 == 0 {
			m.RecordedAt = time.Date(10000+r.IntN(10), 1, 1, 0, 0, 0, 0, time.UTC) // Marshal refuses
		}
		want, werr := json.Marshal(m)
		got, gerr := AppendMetadataJSON(nil, &m)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%#v: encoding/json error %v, AppendMetadataJSON error %v", m, werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

// FuzzEventJSON: any strings, numbers and times in a spending and its
// metadata are written as encoding/json writes them.
func FuzzEventJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, int64(12345), int32(19000), int64(1700000000), int64(5))
	}
	f.Fuzz(func(t *testing.T, s string, amount int64, day int32, unix, nanos int64) {
		ev := SpendingRecorded{Line: s, Year: int(day), Amount: Money(amount), Date: Date(day), Document: s + s, Description: s}
		want, _ := json.Marshal(ev)
		got, err := AppendEventJSON(nil, ev)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v; want %s", got, err, want)
		}
		m := Metadata{CommandType: s, CommandHash: s, Actor: s, Reason: s, PrevHash: s, Hash: s,
			RecordedAt: time.Unix(unix, nanos).UTC(), SchemaVersion: int(day)}
		want, werr := json.Marshal(m)
		got, gerr := AppendMetadataJSON(nil, &m)
		if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v; want %s, %v", got, gerr, want, werr)
		}
	})
}

// TestCommandJSONIsEncodingJSON: AppendCommandJSON, which CommandHash
// hashes, writes every command type as encoding/json does.
func TestCommandJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 7))
	tabled := 0
	for _, typ := range CommandTypes() {
		if commandTables[typ] != nil {
			tabled++
		}
		zero, _ := NewCommand(typ)
		for i := 0; i < 400; i++ {
			p := reflect.New(reflect.TypeOf(zero))
			fill(r, p.Elem())
			cmd := p.Elem().Interface().(Command)
			want, werr := json.Marshal(cmd)
			got, gerr := AppendCommandJSON([]byte("x"), cmd)
			if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Fatalf("%s: got %s, %v\nwant x%s, %v", typ, got, gerr, want, werr)
			}
			// The command hash stored in every event's metadata: SHA-256
			// of the type, a zero byte and encoding/json's bytes.
			sum := sha256.Sum256(append(append([]byte(typ), 0), want...))
			if h := CommandHash(cmd); h != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s: CommandHash %s, SHA-256 of encoding/json's form %x", typ, h, sum)
			}
		}
	}
	if tabled < 11 {
		t.Errorf("only %d command types have a table", tabled)
	}
	// A pointer is written as encoding/json writes it.
	c := &RecordSpending{Ref: Ref{Agreement: "A/1"}, Line: "a", Year: 1, Amount: 5, Date: 3, Document: "d"}
	want, _ := json.Marshal(c)
	if got, err := AppendCommandJSON(nil, c); err != nil || !bytes.Equal(got, want) {
		t.Errorf("pointer: got %s, %v; want %s", got, err, want)
	}
}

// FuzzPlainJSONString: where Money's and Date's decoders take the text
// between the quotes as the string, encoding/json reads the same string.
func FuzzPlainJSONString(f *testing.F) {
	for _, s := range []string{`"47786.53"`, `"47 786,53"`, `"2022-07-15"`, `"a\"b"`, `"a\u0041"`, `"`, `""`, `"\x7f"`, "\"\xc3\xa9\"", `"a"b"`, `12`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := plainJSONString(b)
		var want string
		err := json.Unmarshal(b, &want)
		if ok && (err != nil || got != want) {
			t.Fatalf("%q: plain %q, encoding/json %q, %v", b, got, want, err)
		}
		if !ok && err == nil && want != "" && bytes.Equal(b, append(append([]byte{'"'}, want...), '"')) && strings.IndexFunc(want, func(r rune) bool { return r < 0x20 || r > 0x7e }) < 0 {
			t.Fatalf("%q: a plain string declined", b)
		}
	})
}
