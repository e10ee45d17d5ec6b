package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

//go:generate go run ./internal/genopenapi

// The JSON Schemas of openapi.json's command data and reports are generated
// from the Go types by reflection (GenerateOpenAPI); the rest of the document
// (paths, descriptions, the envelope's own fields) is kept by hand in the same
// file. `go generate ./adapters/httpapi` rewrites the file and
// TestOpenAPIIsGenerated fails when the checked-in file differs from what the
// types give, so a field added to a command or report without regenerating
// fails CI.

// Patterns of the JSON strings the ledger reads and writes (docs/commands.md
// "Amounts" and "Dates").
const (
	// moneyInPattern is the accepted input form of an amount: digits, spaces
	// (also non-breaking and thin) grouping thousands, a point or comma with
	// one or two decimals, an optional euro sign or "EUR"/"euro".
	moneyInPattern = `^\s*€?\s*([0-9]+|[0-9]{1,3}(` + "[ \u00a0\u202f\u2009]" + `[0-9]{3})+)([.,][0-9]{1,2})?\s*(€|[Ee][Uu][Rr]([Oo])?)?\s*$`
	// moneyOutPattern is the form the ledger writes: "47786.53".
	moneyOutPattern = `^-?[0-9]+\.[0-9]{2}$`
	// dateInPattern: ISO "2024-03-15" or Latvian "15.03.2024." (final point optional).
	dateInPattern  = `^\s*([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{4}\.?)\s*$`
	dateOutPattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
)

var (
	tMoney   = reflect.TypeOf(domain.Money(0))
	tDate    = reflect.TypeOf(domain.Date(0))
	tUUID    = reflect.TypeOf(uuid.UUID{})
	tTime    = reflect.TypeOf(time.Time{})
	tRaw     = reflect.TypeOf(json.RawMessage(nil))
	tPercent = reflect.TypeOf(projections.Percent(0))
	tHash    = reflect.TypeOf(merkle.Hash{})
	tEvent   = reflect.TypeOf((*domain.Event)(nil)).Elem()
	tMarshal = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	tText    = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// customJSON reports whether t writes its own JSON (or text).
func customJSON(t reflect.Type) bool {
	for _, i := range []reflect.Type{tMarshal, tText} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// schemaGen builds OpenAPI 3.0 schemas from Go types. input selects the
// forms the ledger reads (commands) rather than the ones it writes (reports).
type schemaGen struct {
	input bool
	stack []reflect.Type // struct types being built, to refuse recursion
	// named are the types with a schema of their own in components: inside
	// another schema they are a $ref.
	named map[reflect.Type]string
}

// ref returns a $ref to t's own schema when t has one and is not the type
// being built at the top.
func (g *schemaGen) ref(t reflect.Type) (obj, bool) {
	name, ok := g.named[t]
	if !ok || len(g.stack) == 0 {
		return nil, false
	}
	return obj{"$ref": "#/components/schemas/" + name}, true
}

type obj = map[string]any

// schema returns the schema of t with the validate rules of its field.
func (g *schemaGen) schema(t reflect.Type, rules []string) (obj, error) {
	s, err := g.base(t)
	if err != nil {
		return nil, err
	}
	if err := g.applyRules(s, t, rules); err != nil {
		return nil, err
	}
	return s, nil
}

func (g *schemaGen) base(t reflect.Type) (obj, error) {
	switch t {
	case tMoney:
		if g.input {
			return obj{"type": "string", "pattern": moneyInPattern, "description": `euro, a decimal string such as "47786.53" or "47 786,53" (docs/commands.md "Amounts"); a JSON number is refused`}, nil
		}
		return obj{"type": "string", "pattern": moneyOutPattern, "description": "euro, exact to the cent"}, nil
	case tDate:
		if g.input {
			return obj{"type": "string", "pattern": dateInPattern, "description": `a day, "2024-03-15" or "15.03.2024."`}, nil
		}
		return obj{"type": "string", "format": "date", "pattern": dateOutPattern}, nil
	case tUUID:
		return obj{"type": "string", "format": "uuid"}, nil
	case tTime:
		return obj{"type": "string", "format": "date-time"}, nil
	case tPercent:
		return obj{"type": "string", "pattern": `^-?[0-9]+\.[0-9]{2}$`, "description": "per cent, two decimals"}, nil
	case tHash:
		return obj{"type": "string", "format": "byte", "description": "SHA-256, base64"}, nil
	case tEvent:
		return obj{"type": "object", "description": "the event's fields, by its type (docs/commands.md)"}, nil
	case tRaw:
		return obj{"description": "any JSON value"}, nil
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && customJSON(t) {
		return nil, fmt.Errorf("type %s writes its own JSON: give it a schema in schemaGen.base", t)
	}
	if r, ok := g.ref(t); ok {
		return r, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if r, ok := g.ref(t.Elem()); ok {
			return obj{"allOf": []any{r}, "nullable": true}, nil
		}
		s, err := g.base(t.Elem())
		if err != nil {
			return nil, err
		}
		s["nullable"] = true
		return s, nil
	case reflect.Bool:
		return obj{"type": "boolean"}, nil
	case reflect.String:
		return obj{"type": "string"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s := obj{"type": "integer"}
		if t.Kind() == reflect.Int64 || t.Kind() == reflect.Uint64 || t.Kind() == reflect.Int {
			s["format"] = "int64"
		}
		return s, nil
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "format": "byte"}, nil
		}
		items, err := g.base(t.Elem())
		if err != nil {
			return nil, err
		}
		s := obj{"type": "array", "items": items}
		if t.Kind() == reflect.Slice {
			s["nullable"] = true // a nil slice is written as null
		}
		return s, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String && t.Key().Kind() != reflect.Int {
			return nil, fmt.Errorf("map %s: keys must be strings or integers", t)
		}
		v, err := g.base(t.Elem())
		if err != nil {
			return nil, err
		}
		return obj{"type": "object", "additionalProperties": v, "nullable": true}, nil
	case reflect.Interface:
		return obj{"description": "any JSON value"}, nil
	case reflect.Struct:
		return g.object(t)
	}
	return nil, fmt.Errorf("type %s (%s) has no JSON Schema mapping", t, t.Kind())
}

// rulesOf returns a field's rules: its owner's entry in the wire format's
// table.
func rulesOf(f wire.Field) []string { return wire.Rules(f.Owner, f.Name) }

// JSONFieldNames returns the JSON names of struct t's fields, sorted.
func JSONFieldNames(t reflect.Type) []string {
	var out []string
	for _, f := range wire.Fields(t) {
		out = append(out, f.JSONName)
	}
	sort.Strings(out)
	return out
}

func (g *schemaGen) object(t reflect.Type) (obj, error) {
	for _, s := range g.stack {
		if s == t {
			return nil, fmt.Errorf("type %s is recursive; schemaGen does not build recursive schemas", t)
		}
	}
	g.stack = append(g.stack, t)
	defer func() { g.stack = g.stack[:len(g.stack)-1] }()
	props := obj{}
	var required []string
	for _, f := range wire.Fields(t) {
		name, omitempty := f.JSONName, f.Omitempty
		if _, dup := props[name]; dup {
			return nil, fmt.Errorf("%s: two fields named %q", t, name)
		}
		rules := rulesOf(f)
		s, err := g.schema(f.Type, rules)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		props[name] = s
		if g.input {
			if mustGive(f.Type, rules) {
				required = append(required, name)
			}
		} else if !omitempty {
			required = append(required, name) // always written
		}
	}
	s := obj{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s, nil
}

// FieldRequired reports whether field f of struct type owner (the struct
// that declares it, an embedded one's for an inlined field) must be sent:
// whether the wire format's rules refuse its zero value (the rule the
// OpenAPI document's "required" lists follow; 'grantledger commands' marks
// the same fields).
func FieldRequired(owner reflect.Type, f reflect.StructField) bool {
	return mustGive(f.Type, wire.Rules(owner, f.Name))
}

// mustGive reports whether the validator refuses the field's zero value,
// so a client has to send it: required, gt=0, or a lower bound above zero.
func mustGive(t reflect.Type, rules []string) bool {
	for _, r := range rules {
		if r == "dive" {
			break
		}
		k, v, _ := strings.Cut(r, "=")
		switch k {
		case "required":
			return true
		case "gt":
			if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
				return true
			}
		case "gte", "min":
			if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
				return true
			}
		}
	}
	return false
}

// applyRules adds the validator's bounds to s. Rules after "dive" apply to
// the items of a slice.
func (g *schemaGen) applyRules(s obj, t reflect.Type, rules []string) error {
	defer func() {
		// omitempty: the validator lets the empty string through.
		if p, ok := s["pattern"].(string); ok && t.Kind() == reflect.String && slices.Contains(rules, "omitempty") {
			s["pattern"] = "^$|" + p
		}
	}()
	for i, r := range rules {
		if r == "dive" {
			if t.Kind() != reflect.Slice {
				return fmt.Errorf("dive on %s", t)
			}
			items, _ := s["items"].(obj)
			if items == nil {
				return fmt.Errorf("dive on %s without items", t)
			}
			return g.applyRules(items, t.Elem(), rules[i+1:])
		}
		k, v, _ := strings.Cut(r, "=")
		isMoney := t == tMoney
		num := func() (int64, error) { return strconv.ParseInt(v, 10, 64) }
		switch k {
		case "", "omitempty":
		case "numeric": // the validator's own expression
			s["pattern"] = `^[-+]?[0-9]+(?:\.[0-9]+)?$`
		case "printascii":
			s["pattern"] = `^[ -~]*$`
		case "excludesall":
			addDescription(s, fmt.Sprintf("must not contain any of %q", v))
		case "required":
			if t.Kind() == reflect.String {
				s["minLength"] = 1
			}
		case "oneof":
			s["enum"] = strings.Fields(v)
		case "max", "min", "lte", "gte", "lt", "gt":
			n, err := num()
			if err != nil {
				return fmt.Errorf("rule %q: %w", r, err)
			}
			if isMoney {
				addDescription(s, moneyBound(k, n))
				continue
			}
			switch {
			case t.Kind() == reflect.String:
				if k == "max" || k == "lte" {
					s["maxLength"] = n
				} else if k == "min" || k == "gte" {
					s["minLength"] = n
				}
			case t.Kind() == reflect.Slice:
				if k == "max" || k == "lte" {
					s["maxItems"] = n
				} else if k == "min" || k == "gte" {
					s["minItems"] = n
				}
			default:
				switch k {
				case "max", "lte":
					s["maximum"] = n
				case "min", "gte":
					s["minimum"] = n
				case "lt":
					s["maximum"], s["exclusiveMaximum"] = n, true
				case "gt":
					s["minimum"], s["exclusiveMinimum"] = n, true
				}
			}
		default:
			// A rule with no JSON Schema form (a command type added later may
			// bring one): named in the description, still checked by the server.
			addDescription(s, "also checked: "+r)
		}
	}
	return nil
}

func moneyBound(k string, cents int64) string {
	m := domain.Money(cents).String()
	switch k {
	case "gt":
		return "more than " + m
	case "gte", "min":
		return "at least " + m
	case "lt":
		return "less than " + m
	}
	return "at most " + m
}

func addDescription(s obj, d string) {
	if old, _ := s["description"].(string); old != "" {
		d = old + "; " + d
	}
	s["description"] = d
}

// goName turns "register_agreement" into "RegisterAgreement".
func goName(typ string) string {
	var b strings.Builder
	for _, p := range strings.Split(typ, "_") {
		if p == "" {
			continue
		}
		r := []rune(p)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// reportTypes are the Go types the report routes encode as JSON (see
// readmodel.Service and the handlers in reports.go), by schema name.
var reportTypes = map[string]reflect.Type{
	"AgreementSummary": reflect.TypeOf(AgreementSummary{}),
	"YearReport":       reflect.TypeOf(projections.YearReport{}),
	"Reconciliation":   reflect.TypeOf(projections.Reconciliation{}),
	"MultiYear":        reflect.TypeOf(projections.MultiYear{}),
	"IndicatorsReport": reflect.TypeOf(projections.IndicatorsReport{}),
	"AuditReport":      reflect.TypeOf(projections.AuditReport{}),
	"VerifyReport":     reflect.TypeOf(VerifyReport{}),
	"LogState":         reflect.TypeOf(LogState{}),
	"TokenList":        reflect.TypeOf(TokenList{}),
	"TokenCreated":     reflect.TypeOf(TokenCreated{}),
	"WhoAmI":           reflect.TypeOf(WhoAmI{}),
	// Issue 14's cash position and issue 15's obligations, restatements
	// and whole-period summaries.
	"CashReport":        reflect.TypeOf(projections.CashReport{}),
	"ObligationsReport": reflect.TypeOf(projections.ObligationsReport{}),
	"Restatement":       reflect.TypeOf(projections.Restatement{}),
	"PeriodSummary":     reflect.TypeOf(projections.PeriodSummary{}),
	// The answers of the command routes.
	"Result":        reflect.TypeOf(command.Result{}),
	"Appended":      reflect.TypeOf(command.Appended{}),
	"BatchResponse": reflect.TypeOf(BatchResponse{}),
	"Problem":       reflect.TypeOf(Problem{}),
}

// statedReports are wrapped in readmodel.Stated, with a log state when
// the read model has a log:
// their JSON gains "checkpoint".
var statedReports = []string{"YearReport", "Reconciliation", "MultiYear", "IndicatorsReport", "AuditReport",
	"CashReport", "ObligationsReport", "Restatement", "PeriodSummary"}

// reportRoutes says which schema each report route answers with.
var reportRoutes = map[string][]string{
	"/v1/agreements/{agreement}": {"AgreementSummary"},
	"/v1/reports/yearly":         {"YearReport"},
	"/v1/reports/reconciliation": {"Reconciliation", "MultiYear"},
	"/v1/reports/indicators":     {"IndicatorsReport"},
	"/v1/reports/audit":          {"AuditReport"},
	"/v1/verify":                 {"VerifyReport"},
	"/v1/whoami":                 {"WhoAmI"},
	"/v1/tokens":                 {"TokenList"},
	"/v1/reports/cash":           {"CashReport"},
	"/v1/reports/obligations":    {"ObligationsReport"},
	"/v1/reports/restatement":    {"Restatement"},
	"/v1/reports/period":         {"PeriodSummary"},
}

// CommandSchemaName is the name of the schema of a command type's data.
func CommandSchemaName(typ string) string { return goName(typ) + "Command" }

// GenerateOpenAPI returns doc (the OpenAPI document) with the generated
// parts replaced: the schema of every command's data and envelope, every
// report's schema, the report routes' 200 answers and their lang/csv
// parameters. The output is deterministic (sorted keys, two-space indent).
func GenerateOpenAPI(doc []byte) ([]byte, error) {
	var d obj
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	comps, _ := d["components"].(obj)
	schemas, _ := comps["schemas"].(obj)
	paths, _ := d["paths"].(obj)
	if schemas == nil || paths == nil {
		return nil, fmt.Errorf("openapi.json: no components.schemas or paths")
	}
	// Drop what an earlier run generated, so a removed type leaves no schema.
	for name, s := range schemas {
		if m, ok := s.(obj); ok && m["x-generated"] == true {
			delete(schemas, name)
		}
	}
	env, _ := schemas["Envelope"].(obj)
	if env == nil {
		return nil, fmt.Errorf("openapi.json: no Envelope schema")
	}
	envProps, _ := env["properties"].(obj)
	if typ, _ := envProps["type"].(obj); typ != nil {
		typ["enum"] = domain.CommandTypes() // generated too: no hand-kept list
	}
	in := &schemaGen{input: true}
	var variants []any
	mapping := obj{}
	for _, typ := range domain.CommandTypes() {
		c, ok := domain.NewCommand(typ)
		if !ok {
			return nil, fmt.Errorf("command type %q has no factory", typ)
		}
		s, err := in.schema(reflect.TypeOf(c), nil)
		if err != nil {
			return nil, fmt.Errorf("command %s: %w", typ, err)
		}
		s["x-generated"] = true
		s["description"] = "the data of a " + typ + " command"
		schemas[CommandSchemaName(typ)] = s
		props := obj{}
		for k, v := range envProps {
			props[k] = v
		}
		props["type"] = obj{"type": "string", "enum": []string{typ}}
		props["data"] = obj{"$ref": "#/components/schemas/" + CommandSchemaName(typ)}
		name := goName(typ) + "Envelope"
		schemas[name] = obj{"type": "object", "additionalProperties": false, "required": env["required"],
			"properties": props, "x-generated": true}
		ref := "#/components/schemas/" + name
		variants = append(variants, obj{"$ref": ref})
		mapping[typ] = ref
	}
	schemas["Command"] = obj{"x-generated": true, "oneOf": variants,
		"discriminator": obj{"propertyName": "type", "mapping": mapping},
		"description":   "a command: the envelope's type selects the schema of its data"}

	out := &schemaGen{named: map[reflect.Type]string{}}
	for name, t := range reportTypes {
		out.named[t] = name
	}
	for name, t := range reportTypes {
		s, err := out.schema(t, nil)
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", name, err)
		}
		s["x-generated"] = true
		schemas[name] = s
	}
	if err := setEventSchemas(schemas, out); err != nil {
		return nil, err
	}
	for _, name := range statedReports {
		props := schemas[name].(obj)["properties"].(obj)
		props["checkpoint"] = obj{"$ref": "#/components/schemas/LogState",
			"description": "the Merkle log's size and root the report was computed from (absent when the server keeps no log)"}
	}
	for path, names := range reportRoutes {
		op, err := operation(paths, path)
		if err != nil {
			return nil, err
		}
		var sch obj
		if len(names) == 1 {
			sch = obj{"$ref": "#/components/schemas/" + names[0]}
		} else {
			var any []any
			for _, n := range names {
				any = append(any, obj{"$ref": "#/components/schemas/" + n})
			}
			sch = obj{"anyOf": any}
		}
		resp, _ := op["responses"].(obj)
		ok, _ := resp["200"].(obj)
		content, _ := ok["content"].(obj)
		js, _ := content["application/json"].(obj)
		if js == nil {
			return nil, fmt.Errorf("openapi.json: %s has no 200 application/json answer", path)
		}
		js["schema"] = sch
		if strings.HasPrefix(path, "/v1/reports/") {
			setReportParams(op)
		}
	}
	if err := setAnswer(paths, "/v1/tokens", "post", "201", "TokenCreated"); err != nil {
		return nil, err
	}
	for path, method := range map[string]string{"/v1/commands": "post", "/v1/commands/batch": "post"} {
		p, _ := paths[path].(obj)
		op, _ := p[method].(obj)
		body, _ := op["requestBody"].(obj)
		content, _ := body["content"].(obj)
		js, _ := content["application/json"].(obj)
		if js == nil {
			return nil, fmt.Errorf("openapi.json: %s has no JSON request body", path)
		}
		ref := obj{"$ref": "#/components/schemas/Command"}
		if sch, _ := js["schema"].(obj); sch != nil && sch["type"] == "array" {
			sch["items"] = ref
		} else {
			js["schema"] = ref
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// setAnswer sets the JSON schema of one answer to a generated schema.
func setAnswer(paths obj, path, method, status, schema string) error {
	p, _ := paths[path].(obj)
	op, _ := p[method].(obj)
	resp, _ := op["responses"].(obj)
	st, _ := resp[status].(obj)
	content, _ := st["content"].(obj)
	js, _ := content["application/json"].(obj)
	if js == nil {
		return fmt.Errorf("openapi.json: %s %s has no %s application/json answer", method, path, status)
	}
	js["schema"] = obj{"$ref": "#/components/schemas/" + schema}
	return nil
}

func operation(paths obj, path string) (obj, error) {
	p, _ := paths[path].(obj)
	op, _ := p["get"].(obj)
	if op == nil {
		return nil, fmt.Errorf("openapi.json: no GET %s", path)
	}
	return op, nil
}

// setReportParams adds the lang and csv query parameters every report route
// takes (docs/SERVER.md), replacing earlier ones.
func setReportParams(op obj) {
	params, _ := op["parameters"].([]any)
	var kept []any
	for _, p := range params {
		if m, ok := p.(obj); ok && m["in"] == "query" && (m["name"] == "lang" || m["name"] == "csv") {
			continue
		}
		kept = append(kept, p)
	}
	kept = append(kept,
		obj{"name": "lang", "in": "query", "required": false,
			"description": "language of CSV, XLSX, Markdown and HTML labels, amounts and dates; default the server's --lang",
			"schema":      obj{"type": "string", "enum": []string{"en", "lv"}}},
		obj{"name": "csv", "in": "query", "required": false,
			"description": "CSV dialect: machine (comma, decimal point) or excel (UTF-8 BOM, semicolon, decimal comma in Latvian); docs/REPORTS.md",
			"schema":      obj{"type": "string", "enum": []string{"machine", "excel"}}})
	op["parameters"] = kept
}

// EventSchemaName is the name of the schema of an event type's data.
func EventSchemaName(typ string) string { return typ + "Event" }

// EventTypes returns every event type the ledger records, by its stored
// name, with the Go type its data is decoded into (the registry's current
// schema version).
func EventTypes() (map[string]reflect.Type, error) {
	reg := domain.NewEventRegistry()
	out := map[string]reflect.Type{}
	for _, typ := range reg.Types() {
		ev, err := reg.Decode(typ, reg.Version(typ), []byte("{}"))
		if err != nil {
			return nil, fmt.Errorf("event type %s: %w", typ, err)
		}
		out[typ] = reflect.TypeOf(ev)
	}
	return out, nil
}

// setEventSchemas gives every event type a schema of its own, generated
// from its Go type, and makes Appended (one appended event in a command's
// answer) a oneOf of one variant per event type, discriminated by "type",
// whose "data" is that type's schema.
func setEventSchemas(schemas obj, g *schemaGen) error {
	types, err := EventTypes()
	if err != nil {
		return err
	}
	app, _ := schemas["Appended"].(obj)
	appProps, _ := app["properties"].(obj)
	if appProps == nil {
		return fmt.Errorf("openapi.json: no generated Appended schema")
	}
	names := make([]string, 0, len(types))
	for typ := range types {
		names = append(names, typ)
	}
	sort.Strings(names)
	var variants []any
	mapping := obj{}
	for _, typ := range names {
		s, err := g.schema(types[typ], nil)
		if err != nil {
			return fmt.Errorf("event %s: %w", typ, err)
		}
		s["x-generated"] = true
		s["description"] = "the data of a " + typ + " event"
		schemas[EventSchemaName(typ)] = s
		props := obj{}
		for k, v := range appProps {
			props[k] = v
		}
		props["type"] = obj{"type": "string", "enum": []string{typ}}
		props["data"] = obj{"$ref": "#/components/schemas/" + EventSchemaName(typ)}
		name := "Appended" + typ
		schemas[name] = obj{"type": "object", "additionalProperties": false, "required": app["required"],
			"properties": props, "x-generated": true}
		ref := "#/components/schemas/" + name
		variants = append(variants, obj{"$ref": ref})
		mapping[typ] = ref
	}
	schemas["Appended"] = obj{"x-generated": true, "oneOf": variants,
		"discriminator": obj{"propertyName": "type", "mapping": mapping},
		"description":   "an appended event: its type selects the schema of its data"}
	return nil
}
