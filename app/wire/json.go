package wire

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// decodeData decodes a command's data strictly into a new value of zero's
// type and returns it as a struct value; errors name the field under
// "data".
func decodeData(data []byte, zero domain.Command, fast bool) (domain.Command, error) {
	if fast {
		if cmd, ok := fastData(zero.CommandType(), data); ok {
			return cmd, nil
		}
	}
	p := reflect.New(reflect.TypeOf(zero))
	if err := strictUnmarshal(data, p.Interface()); err != nil {
		return nil, prefixField("data", err)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return nil, prefixField("data", err)
	}
	return p.Elem().Interface().(domain.Command), nil
}

// strictUnmarshal decodes one JSON value of b into v (a pointer to a
// struct): a key v's type has no field for, and anything after the value,
// are errors.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, b, reflect.TypeOf(v).Elem())
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Errorf(domain.EInvalid, "unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns an error of decoding b into a value of type t into a
// *domain.Error that names the field. Each kind of error is told by its
// type, never by its message.
func jsonError(err error, b []byte, t reflect.Type) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return domain.FieldError(te.Field, "expected %s, got JSON %s", jsonKind(te.Type), te.Value)
		}
		return domain.Errorf(domain.EInvalid, "expected %s, got JSON %s", jsonKind(te.Type), te.Value)
	case errors.As(err, &se):
		return domain.Errorf(domain.EInvalid, "malformed JSON at byte %d: %v", se.Offset, se)
	case err == io.EOF:
		return domain.Errorf(domain.EInvalid, "empty input; expected a JSON object")
	case err == io.ErrUnexpectedEOF:
		return domain.Errorf(domain.EInvalid, "the JSON ends before the object is complete (a closing brace or quote is missing)")
	}
	if key, ok := unknownField(err, b, t); ok {
		e := domain.Errorf(domain.EInvalid, "unknown field %q", key)
		e.Err = &UnknownFieldError{Field: key}
		return e
	}
	// The field decoder does not know the field's name: find it (the
	// first failing key in sorted order, as before).
	if f, ft := failingKey(b, t, false); f != "" {
		if ft == reflect.TypeOf(uuid.UUID{}) {
			return domain.FieldError(f, "not a UUID (%v); write it as in \"6f1c1a52-8d1e-4d0a-9a55-3f5b6f0d2c11\"", err)
		}
		return domain.FieldError(f, "%v", err)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return domain.Errorf(domain.EInvalid, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// UnknownField returns the key for which encoding/json's strict decoder
// (Decoder.DisallowUnknownFields) refused b when decoding it into v, a
// pointer to a struct, with err: the first key, in the order of the text
// and depth first, that v's type has no field for. It reports false when
// err is another error: a syntax or type error, the end of the input, or
// a field's own decoder refusing its value. encoding/json gives an
// unknown key no error type of its own; this finds the key without
// reading the error's message.
func UnknownField(err error, b []byte, v any) (string, bool) {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return "", false
	}
	return unknownField(err, b, t.Elem())
}

// unknownField is UnknownField for a value of struct type t.
func unknownField(err error, b []byte, t reflect.Type) (string, bool) {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	if err == nil || errors.As(err, &te) || errors.As(err, &se) || err == io.EOF || err == io.ErrUnexpectedEOF {
		return "", false
	}
	// What is left is either a key t has no field for (encoding/json goes
	// on decoding after it) or an error of a field's own decoder (an
	// amount, a date, a UUID), which stops decoding at once and so is the
	// one returned. A field decoder failed if some key's value, decoded
	// alone, fails with an error that is not a type error.
	if f, _ := failingKey(b, t, true); f != "" {
		return "", false
	}
	return unknownKey(b, t)
}

// failingKey returns the first key (in sorted order) of the JSON object b
// whose value alone does not decode into a fresh value of type t, and the
// type of t's field for that key (a pointer's element type), or "". With
// decoderOnly, a value that fails with a type error does not count.
func failingKey(b []byte, t reflect.Type, decoderOnly bool) (string, reflect.Type) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return "", nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: obj[k]})
		err := json.Unmarshal(one, reflect.New(t).Interface())
		var te *json.UnmarshalTypeError
		if err == nil || decoderOnly && errors.As(err, &te) {
			continue
		}
		ft, _ := fieldByJSONName(t, k)
		for ft != nil && ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		return k, ft
	}
	return "", nil
}

var (
	jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// unknownKey returns the first key of b, in the order the text gives
// them and depth first, as encoding/json meets them, that a value of type
// t has no field for. Values that decode themselves (amounts, dates,
// UUIDs, raw JSON) and maps take any key.
func unknownKey(b []byte, t reflect.Type) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	key, ok, _ := walkKeys(dec, t)
	return key, ok
}

// walkKeys reads one JSON value from dec, meant for a Go value of type t
// (nil: any), and returns the first key found that t has no field for.
func walkKeys(dec *json.Decoder, t reflect.Type) (string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return "", false, nil // a string, number, true, false or null
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // its own decoder reads it
	}
	for dec.More() {
		var next reflect.Type
		if delim == '{' {
			tok, err := dec.Token()
			if err != nil {
				return "", false, err
			}
			key, _ := tok.(string)
			switch {
			case t != nil && t.Kind() == reflect.Struct:
				ft, known := fieldByJSONName(t, key)
				if !known {
					return key, true, nil
				}
				next = ft
			case t != nil && t.Kind() == reflect.Map:
				next = t.Elem()
			}
		} else if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			next = t.Elem()
		}
		if key, found, err := walkKeys(dec, next); found || err != nil {
			return key, found, err
		}
	}
	_, err = dec.Token() // the closing } or ]
	return "", false, err
}

// fieldByJSONName returns the type of struct t's field that encoding/json
// fills from key: the field of that JSON name, else the one whose name is
// equal to key ignoring case (foldKey). Embedded structs without a JSON
// name are inlined, as encoding/json does for this code's types.
func fieldByJSONName(t reflect.Type, key string) (reflect.Type, bool) {
	var folded reflect.Type
	for _, f := range Fields(t) {
		if f.JSONName == key {
			return f.Type, true
		}
		if folded == nil && foldKey(f.JSONName) == foldKey(key) {
			folded = f.Type
		}
	}
	return folded, folded != nil
}

// Field is a JSON field of a struct, as encoding/json fills it.
type Field struct {
	reflect.StructField
	JSONName  string       // the JSON name (Name is the Go one)
	Omitempty bool         // omitempty or omitzero
	Owner     reflect.Type // the struct that declares it (an embedded one's, for an inlined field): Rules(Owner, field) are its rules
}

// Fields lists the JSON fields of struct t the way encoding/json does for
// this code's types: embedded structs (or pointers to them) without a JSON
// name are inlined; unexported fields and `json:"-"` are left out. The
// unknown-key search here and the OpenAPI schema (adapters/httpapi) both
// read the command types through it.
func Fields(t reflect.Type) []Field {
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, Fields(ft)...)
				continue
			}
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := false
		for _, o := range strings.Split(opts, ",") {
			omit = omit || o == "omitempty" || o == "omitzero"
		}
		out = append(out, Field{StructField: f, JSONName: name, Omitempty: omit, Owner: t})
	}
	return out
}

// jsonKind names what a Go type expects in JSON, in words.
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeOf(uuid.UUID{}) {
		return "a UUID string"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// UnknownFieldError is the cause (domain.Error.Err) of the refusal of a
// key that the command or envelope has no field for; the refusal itself
// names no field, as the key is not one of the command's.
type UnknownFieldError struct {
	Field string // the key's path as the sender wrote it: "colour", "data.colour"
}

func (e *UnknownFieldError) Error() string { return fmt.Sprintf("unknown field %q", e.Field) }

// prefixField puts prefix before the field an error names ("data" and
// "amount" make "data.amount"), or before its message when it names none.
func prefixField(prefix string, err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		c := *de
		if c.Field != "" {
			c.Field = prefix + "." + c.Field
		} else {
			c.Message = prefix + ": " + c.Message
		}
		var uf *UnknownFieldError
		if errors.As(c.Err, &uf) {
			c.Err = &UnknownFieldError{Field: prefix + "." + uf.Field}
		}
		return &c
	}
	return fmt.Errorf("%s: %w", prefix, err)
}
