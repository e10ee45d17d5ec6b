package codec

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// TestTableDecodeEqualsRegistry: for every event type with a flat field
// table (domain.EventCodecFor), the scanner's decode of random stored JSON,
// and of that JSON bent into forms the table does not know, is what the
// registry's encoding/json decode gives, or the scanner declines.
func TestTableDecodeEqualsRegistry(t *testing.T) {
	reg := domain.NewEventRegistry()
	r := rand.New(rand.NewPCG(17, 6))
	strs := []string{"", "civil", "Biedrība 1", `q"uote`, "<b>&", "a\nb", "\u2028", "žanis"}
	tables := 0
	for _, typ := range reg.Types() {
		c := domain.EventCodecFor(typ)
		if c == nil || !c.Flat {
			continue
		}
		tables++
		fast, declined := 0, 0
		for i := 0; i < 300; i++ {
			p := c.New()
			for _, f := range c.Fields {
				switch v := f.Ptr(p).(type) {
				case *string:
					*v = strs[r.IntN(len(strs))]
				case *int:
					*v = r.IntN(5) - 1
				case *int64:
					*v = r.Int64N(1 << 40)
				case *bool:
					*v = r.IntN(2) == 0
				case *domain.Money:
					*v = domain.Money(r.Int64N(int64(domain.MaxMoney))) - domain.MaxMoney/2
				case *domain.Date:
					*v = domain.Date(r.IntN(100000))
				case *uuid.UUID:
					*v = uuid.New()
				case **uuid.UUID:
					if r.IntN(2) == 0 {
						u := uuid.New()
						*v = &u
					}
				default:
					t.Fatalf("%s.%s: no generator for %T", typ, f.Key, v)
				}
			}
			data, err := json.Marshal(c.Value(p))
			if err != nil {
				t.Fatal(err)
			}
			inputs := []string{string(data)}
			// Forms the table does not take: keys in another case (which
			// encoding/json matches), null, exponents, spaces, a key twice,
			// an unknown key.
			key := c.Fields[r.IntN(len(c.Fields))].Key
			inputs = append(inputs,
				strings.Replace(string(data), `"`+key+`"`, `"`+strings.ToUpper(key[:1])+key[1:]+`"`, 1),
				strings.Replace(string(data), `{`, `{"`+key+`":null,`, 1),
				strings.Replace(string(data), `"year":1`, `"year":1e0`, 1),
				strings.Replace(string(data), `,`, ` , `, 1),
				strings.Replace(string(data), `}`, `,"`+key+`":"x"}`, 1),
				strings.Replace(string(data), `}`, `,"colour":"x"}`, 1),
				strings.Replace(string(data), `true`, `"true"`, 1),
			)
			for _, in := range inputs {
				d := NewDecoder(reg)
				got, ok := d.fastEvent(typ, []byte(in))
				want, err := reg.Decode(typ, 1, []byte(in))
				if !ok {
					declined++
					continue
				}
				fast++
				if err != nil {
					t.Fatalf("%s: scanner read %s as %+v, encoding/json refuses it: %v", typ, in, got, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s %s:\n scanner  %+v\n registry %+v", typ, in, got, want)
				}
			}
		}
		if fast < 300 {
			t.Errorf("%s: the scanner read only %d inputs (declined %d)", typ, fast, declined)
		}
	}
	if tables < 15 {
		t.Errorf("only %d flat tables", tables)
	}
}
