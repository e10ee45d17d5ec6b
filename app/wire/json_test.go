package wire_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// TestUnknownFieldAsEncodingJSONFindsIt: encoding/json gives a key that a
// struct has no field for no error type of its own, so package wire finds
// the key itself (from the struct's JSON names) instead of reading the
// message. Which key it names, and whether that error or another one is
// the one reported, is checked here against encoding/json itself, the
// oracle: the key its strict decoder names, on data where it goes on past
// an unknown key to a type error, or stops at an amount's or a date's own
// error.
func TestUnknownFieldAsEncodingJSONFindsIt(t *testing.T) {
	for _, c := range []struct {
		name, typ, data string
		unknown         bool // encoding/json's strict decoder reports an unknown field
	}{
		{"one unknown key", "plan_budget", `{"agreement":"A-1","line":"civil","year":1,"amount":"1","colour":"red"}`, true},
		{"two unknown keys: the first in the text", "plan_budget", `{"zeta":1,"agreement":"A-1","line":"civil","year":1,"amount":"1","alpha":2}`, true},
		{"nested in a list", "register_agreement", `{"agreement":"A-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31","colour":"red"}]}`, true},
		{"nested in an object", "register_agreement", `{"agreement":"A-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31","until":"x"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"}]}`, true},
		{"unknown key before a type error", "plan_budget", `{"colour":"red","agreement":"A-1","line":"civil","year":"1","amount":"1"}`, true},
		{"type error before an unknown key", "plan_budget", `{"agreement":"A-1","line":"civil","year":"1","amount":"1","colour":"red"}`, false},
		{"unknown key before a bad amount", "plan_budget", `{"colour":"red","agreement":"A-1","line":"civil","year":1,"amount":"1.234"}`, false},
		{"unknown key before a bad date", "record_spending", `{"colour":"red","agreement":"A-1","line":"civil","year":1,"amount":"1","date":"2022-02-30","document":"x"}`, false},
		{"a key in another case is the field", "plan_budget", `{"AGREEMENT":"A-1","Line":"civil","year":1,"amount":"1"}`, false},
		{"the Kelvin sign folds to k", "register_agreement", `{"agreement":"A-1","\u212aind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"}]}`, false},
		{"keys inside an unknown key's value", "plan_budget", `{"agreement":"A-1","line":"civil","year":1,"amount":"1","extra":{"a":{"b":1}}}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			zero, _ := domain.NewCommand(c.typ)
			dec := json.NewDecoder(strings.NewReader(c.data))
			dec.DisallowUnknownFields()
			oracle := dec.Decode(ptrTo(zero))
			key, isUnknown := strings.CutPrefix(errText(oracle), "json: unknown field ")
			if isUnknown != c.unknown {
				t.Fatalf("encoding/json says %v; the case expects unknown=%v", oracle, c.unknown)
			}
			name, _ := strconv.Unquote(key)
			if got, ok := wire.UnknownField(oracle, []byte(c.data), ptrTo(zero)); ok != c.unknown || got != name {
				t.Errorf("UnknownField(%v) = %q, %v; want %q, %v", oracle, got, ok, name, c.unknown)
			}
			env, err := wire.DecodeEnvelope([]byte(line(c.typ, c.data)))
			if err != nil {
				t.Fatalf("envelope: %v", err)
			}
			_, err = wire.DecodeCommand(env)
			var de *domain.Error
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
			}
			if c.unknown {
				if de == nil || de.Field != "" || de.Message != "data: unknown field "+key {
					t.Errorf("got %v, want \"data: unknown field %s\" as encoding/json finds it", err, key)
				}
				var uf *wire.UnknownFieldError
				if !errors.As(err, &uf) || uf.Field != "data."+name {
					t.Errorf("got cause %v, want an UnknownFieldError for data.%s", uf, name)
				}
				return
			}
			if de != nil && strings.Contains(de.Message, "unknown field") {
				t.Errorf("got %v; encoding/json reports %v, not an unknown field", err, oracle)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ptrTo returns a pointer to a new value of c's type, for json.Decode.
func ptrTo(c domain.Command) any { return reflect.New(reflect.TypeOf(c)).Interface() }
