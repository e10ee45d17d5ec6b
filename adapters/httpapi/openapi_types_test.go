package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// TestOpenAPIIsGenerated fails when openapi.json is not what `go generate`
// gives from today's Go types: a field added to a command or report without
// regenerating the document.
func TestOpenAPIIsGenerated(t *testing.T) {
	got, err := GenerateOpenAPI(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, OpenAPI) {
		t.Fatalf("adapters/httpapi/openapi.json is stale: run `go generate ./adapters/httpapi` and commit the result (first difference at byte %d)", firstDiff(got, OpenAPI))
	}
	// The check can fail: a document that lost one command field is
	// regenerated into a different one.
	stale := bytes.Replace(OpenAPI, []byte(`"document": {`), []byte(`"document_gone": {`), 1)
	if bytes.Equal(stale, OpenAPI) {
		t.Fatal("mutation did not apply: no \"document\" property in openapi.json")
	}
	if again, err := GenerateOpenAPI(stale); err != nil || bytes.Equal(again, stale) {
		t.Errorf("regenerating a stale document did not change it (err %v)", err)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// wireFields lists the JSON names encoding/json gives struct t, written
// here apart from the generator: embedded structs without a name are
// inlined, json:"-" and unexported fields are left out.
func wireFields(t reflect.Type) map[string]ownedField {
	out := map[string]ownedField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range wireFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = ownedField{f, t}
	}
	return out
}

// ownedField is a struct field with the struct type that declares it,
// whose entry in the wire format's table holds the field's rules.
type ownedField struct {
	reflect.StructField
	owner reflect.Type
}

type schemaDoc struct {
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
			Additional *bool                      `json:"additionalProperties"`
		} `json:"schemas"`
	} `json:"components"`
}

// schemaMismatch says how the schema name in doc differs from the JSON
// fields of t; "" when every field has a property and no property lacks a
// field.
func schemaMismatch(doc schemaDoc, name string, t reflect.Type, input bool) string {
	s, ok := doc.Components.Schemas[name]
	if !ok {
		return "no schema " + name
	}
	var msgs []string
	fields := wireFields(t)
	for n, f := range fields {
		if _, ok := s.Properties[n]; !ok {
			msgs = append(msgs, "field "+n+" has no property")
		}
		rules, _, _ := strings.Cut(strings.Join(wire.Rules(f.owner, f.Name), ","), "dive") // rules after dive are the items'
		if input && strings.Contains(rules, "required") && !contains(s.Required, n) {
			msgs = append(msgs, "field "+n+" is required by the validator but not by the schema")
		}
	}
	for n := range s.Properties {
		if _, ok := fields[n]; !ok && n != "checkpoint" {
			msgs = append(msgs, "property "+n+" has no field")
		}
	}
	if s.Additional == nil || *s.Additional {
		msgs = append(msgs, "additionalProperties is not false")
	}
	sort.Strings(msgs)
	return strings.Join(msgs, "; ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestOpenAPISchemasMatchGoTypes compares, for every command type and every
// report, the JSON fields of the Go type with the properties of its schema
// in the served document.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	status, b, _ := f.do("GET", "/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("GET /openapi.json: %d", status)
	}
	var doc schemaDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	types := domain.CommandTypes()
	if len(types) < 13 {
		t.Fatalf("only %d command types", len(types))
	}
	for _, typ := range types {
		c, _ := domain.NewCommand(typ)
		if m := schemaMismatch(doc, CommandSchemaName(typ), reflect.TypeOf(c), true); m != "" {
			t.Errorf("command %s: %s", typ, m)
		}
	}
	for name, rt := range reportTypes {
		if name == "Appended" {
			// A oneOf of one variant per event type: each variant has the
			// fields of ledger.Appended (TestEveryEventTypeHasItsSchema).
			for _, typ := range domain.NewEventRegistry().Types() {
				if m := schemaMismatch(doc, "Appended"+typ, rt, false); m != "" {
					t.Errorf("Appended variant %s: %s", typ, m)
				}
			}
			continue
		}
		if m := schemaMismatch(doc, name, rt, false); m != "" {
			t.Errorf("report %s: %s", name, m)
		}
	}
	// Every command type is one of the request body's variants.
	var raw struct {
		Components struct {
			Schemas struct {
				Command struct {
					Discriminator struct {
						Mapping map[string]string `json:"mapping"`
					} `json:"discriminator"`
				} `json:"Command"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, typ := range types {
		if _, ok := raw.Components.Schemas.Command.Discriminator.Mapping[typ]; !ok {
			t.Errorf("command %s is not a variant of the Command schema", typ)
		}
	}
	// The comparison can fail: drop one property of record_spending.
	s := doc.Components.Schemas[CommandSchemaName(domain.CmdRecordSpending)]
	props := map[string]json.RawMessage{}
	for k, v := range s.Properties {
		if k != "document" {
			props[k] = v
		}
	}
	s.Properties = props
	doc.Components.Schemas[CommandSchemaName(domain.CmdRecordSpending)] = s
	if m := schemaMismatch(doc, CommandSchemaName(domain.CmdRecordSpending), reflect.TypeOf(domain.RecordSpending{}), true); !strings.Contains(m, "field document has no property") {
		t.Errorf("a missing property went unnoticed: %q", m)
	}
}

func loadServedDoc(t *testing.T, f *fixture) *openapi3.T {
	t.Helper()
	status, b, _ := f.do("GET", "/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("GET /openapi.json: %d", status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("kin-openapi cannot load /openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("kin-openapi: /openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// exchange sends one request and validates the answer (and, when
// checkRequest, the request) against doc. It returns the status and body.
func exchange(t *testing.T, f *fixture, doc *openapi3.T, method, path, token string, body []byte, checkRequest bool) (int, []byte) {
	t.Helper()
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no route in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if checkRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match the document: %v", method, path, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer does not match the document: %v\nbody: %.600s", method, path, resp.StatusCode, err, b)
	}
	return resp.StatusCode, b
}

// TestAPIAnswersMatchOpenAPI validates real answers of the server against
// /openapi.json with kin-openapi's openapi3filter.
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	doc := loadServedDoc(t, f)
	cmd := mustJSON(t, spending(agOwn, "12.34"))
	if st, _ := exchange(t, f, doc, "POST", "/v1/commands", f.tok["grantee"], cmd, true); st != 201 {
		t.Errorf("record_spending: status %d, want 201", st)
	}
	if st, _ := exchange(t, f, doc, "POST", "/v1/commands", f.tok["grantee"], cmd, true); st != 200 {
		t.Errorf("record_spending again: status %d, want 200 (duplicate)", st)
	}
	// A 400: an amount as a bare JSON number (docs/commands.md refuses it).
	bad := []byte(strings.Replace(string(cmd), `"amount":"12.34"`, `"amount":12.34`, 1))
	if bytes.Equal(bad, cmd) {
		t.Fatalf("mutation did not apply to %s", cmd)
	}
	if st, b := exchange(t, f, doc, "POST", "/v1/commands", f.tok["grantee"], bad, false); st != 400 {
		t.Errorf("bare number amount: status %d, want 400: %s", st, b)
	}
	batch := mustJSON(t, []domain.Envelope{spending(agOwn, "1.00"), spending("AG-404", "1.00")})
	exchange(t, f, doc, "POST", "/v1/commands/batch", f.tok["grantee"], batch, true)
	for _, c := range []struct {
		path, tok string
		want      int
	}{
		{"/v1/reports/yearly?agreement=AG-1&year=1", "grantee", 200},
		{"/v1/reports/yearly?agreement=AG-1&year=2&lang=lv", "funder", 200},
		{"/v1/reports/reconciliation", "auditor", 200},
		{"/v1/reports/reconciliation?year=1", "auditor", 200},
		{"/v1/reports/indicators", "auditor", 200},
		{"/v1/reports/audit?agreement=AG-1", "auditor", 200},
		{"/v1/agreements/AG-1", "grantee", 200},
		{"/v1/verify", "auditor", 200},
		{"/v1/whoami", "grantee", 200},
		{"/v1/tokens", "admin", 200},
		// Issues 14 and 15: cash, obligations, whole-period summary.
		{"/v1/reports/cash?agreement=AG-1", "grantee", 200},
		{"/v1/reports/obligations", "auditor", 200},
		{"/v1/reports/period?agreement=AG-1&lang=lv", "funder", 200},
		{"/v1/reports/yearly?agreement=AG-1&year=9", "grantee", 404},
	} {
		if st, b := exchange(t, f, doc, "GET", c.path, f.tok[c.tok], nil, true); st != c.want {
			t.Errorf("GET %s: status %d, want %d: %.300s", c.path, st, c.want, b)
		}
	}
	tokenReq := []byte(`{"name":"new-officer","role":"funder","funder":"Ministry A"}`)
	if st, b := exchange(t, f, doc, "POST", "/v1/tokens", f.tok["admin"], tokenReq, true); st != 201 {
		t.Errorf("POST /v1/tokens: status %d, want 201: %s", st, b)
	}
	// A language the document does not list: the request is refused by
	// kin-openapi and answered 400 by the server, in the documented shape.
	if st, b := exchange(t, f, doc, "GET", "/v1/reports/yearly?agreement=AG-1&year=1&lang=xx", f.tok["grantee"], nil, false); st != 400 {
		t.Errorf("lang=xx: status %d, want 400: %s", st, b)
	}
}

// TestAPIValidationCanFail shows the answer check is not vacuous: a yearly
// report whose remainder is a JSON number, or that carries a field the
// document does not know, is refused by the same validator.
func TestAPIValidationCanFail(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	doc := loadServedDoc(t, f)
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, good := exchange(t, f, doc, "GET", "/v1/reports/yearly?agreement=AG-1&year=1", f.tok["grantee"], nil, true)
	var rep map[string]any
	if err := json.Unmarshal(good, &rep); err != nil {
		t.Fatal(err)
	}
	check := func(body []byte) error {
		req, _ := http.NewRequest("GET", f.url+"/v1/reports/yearly?agreement=AG-1&year=1", nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 200, Header: http.Header{"Content-Type": {"application/json"}}}
		in.SetBodyBytes(body)
		return openapi3filter.ValidateResponse(context.Background(), in)
	}
	if err := check(good); err != nil {
		t.Fatalf("the real answer fails: %v", err)
	}
	extra := map[string]any{}
	for k, v := range rep {
		extra[k] = v
	}
	extra["unlisted_field"] = 1
	if err := check(mustJSON(t, extra)); err == nil {
		t.Error("an answer with an unknown field passed")
	}
	if _, ok := rep["agreement"]; !ok {
		t.Fatalf("yearly report has no agreement field: %s", good)
	}
	wrong := map[string]any{}
	for k, v := range rep {
		wrong[k] = v
	}
	wrong["agreement"] = 12
	if err := check(mustJSON(t, wrong)); err == nil {
		t.Error("an answer with a number for the agreement passed")
	}
}

// TestOpenAPIAmountAndDatePatterns checks the patterns the document gives
// for amounts and dates against the examples docs/commands.md lists as
// accepted and refused.
func TestOpenAPIAmountAndDatePatterns(t *testing.T) {
	money := regexp.MustCompile(moneyInPattern)
	for _, s := range []string{"47786.53", "47 786,53", "47 786,53 euro", "19 998.58 EUR", "49000", "12,3", "47\u00a0786,53", "0,50"} {
		if !money.MatchString(s) {
			t.Errorf("amount %q is accepted by docs/commands.md but not by the pattern", s)
		}
	}
	for _, s := range []string{"1.234", "12,3,4", "4778 653,00", "4 7786", "-5.00", "NaN", "1e5", ""} {
		if money.MatchString(s) {
			t.Errorf("amount %q is refused by docs/commands.md but matches the pattern", s)
		}
	}
	date := regexp.MustCompile(dateInPattern)
	for _, s := range []string{"2024-03-15", "15.03.2024.", "15.03.2024"} {
		if !date.MatchString(s) {
			t.Errorf("date %q is accepted by docs/commands.md but not by the pattern", s)
		}
	}
	for _, s := range []string{"2024/03/15", "15-03-2024", "March 15", ""} {
		if date.MatchString(s) {
			t.Errorf("date %q matches the pattern", s)
		}
	}
	out := regexp.MustCompile(moneyOutPattern)
	for _, s := range []string{"47786.53", "0.00", "-12.30"} {
		if !out.MatchString(s) {
			t.Errorf("written amount %q does not match %s", s, moneyOutPattern)
		}
	}
}

// TestOpenAPICommandSchemaAcceptsDocsAndSeeds validates, with kin-openapi,
// every example command of docs/commands.md and every command of the seed
// scenarios against the document's Command schema, and shows commands the
// docs refuse (a bare number amount, an unknown field, a missing required
// field) do not pass.
func TestOpenAPICommandSchemaAcceptsDocsAndSeeds(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	cmdSchema := doc.Components.Schemas["Command"]
	if cmdSchema == nil || cmdSchema.Value == nil {
		t.Fatal("no Command schema")
	}
	check := func(b []byte) error {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		return cmdSchema.Value.VisitJSON(v, openapi3.MultiErrors())
	}
	md, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	inBlock := false
	for i, line := range strings.Split(string(md), "\n") {
		switch {
		case strings.HasPrefix(line, "```json"):
			inBlock = true
			continue
		case strings.HasPrefix(line, "```"):
			inBlock = false
			continue
		}
		if !inBlock || !strings.HasPrefix(strings.TrimSpace(line), `{"type"`) {
			continue
		}
		var env struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(line), &env) != nil {
			continue
		}
		seen[env.Type] = true
		if err := check([]byte(line)); err != nil {
			t.Errorf("docs/commands.md:%d: a %s example does not match the Command schema: %v", i+1, env.Type, err)
		}
	}
	if len(seen) < 13 {
		t.Errorf("found examples of only %d command types in docs/commands.md: %v", len(seen), seen)
	}
	all := seeds.All()
	if len(all) == 0 {
		t.Fatal("no seed commands")
	}
	for _, e := range all {
		if err := check(mustJSON(t, e)); err != nil {
			t.Errorf("seed command %s %s does not match the Command schema: %v", e.Type, e.CommandID, err)
		}
	}
	good := mustJSON(t, spending(agOwn, "250.00"))
	if err := check(good); err != nil {
		t.Fatalf("record_spending: %v", err)
	}
	for name, bad := range map[string]string{
		"bare number amount": strings.Replace(string(good), `"amount":"250.00"`, `"amount":250`, 1),
		"unknown field":      strings.Replace(string(good), `"line":"L1"`, `"line":"L1","colour":"red"`, 1),
		"no document":        regexp.MustCompile(`"document":"[^"]*",?`).ReplaceAllString(string(good), ""),
		"ambiguous amount":   strings.Replace(string(good), `"amount":"250.00"`, `"amount":"1.234"`, 1),
	} {
		if bad == string(good) {
			t.Fatalf("%s: mutation did not apply to %s", name, good)
		}
		if err := check([]byte(bad)); err == nil {
			t.Errorf("%s: %s matches the Command schema", name, bad)
		}
	}
}

// TestAPIAnswersWithCheckpointMatchOpenAPI: with the Merkle log set, the
// JSON reports end with "checkpoint" (TestJSONReportsCarryTheirCheckpoint);
// those answers match the document too.
func TestAPIAnswersWithCheckpointMatchOpenAPI(t *testing.T) {
	store := memstore.New()
	f := newFixture(t, fixtureOpts{store: store, cfg: func(c *Config) {
		c.Reports = readmodel.NewLive(store, readmodel.ServiceOptions{Log: store})
	}})
	doc := loadServedDoc(t, f)
	for _, path := range []string{"/v1/reports/yearly?agreement=AG-1&year=1", "/v1/reports/reconciliation", "/v1/reports/reconciliation?year=2",
		"/v1/reports/indicators", "/v1/reports/audit"} {
		st, b := exchange(t, f, doc, "GET", path, f.tok["auditor"], nil, true)
		if st != 200 || !bytes.Contains(b, []byte(`"checkpoint":{"size":`)) {
			t.Errorf("GET %s: status %d, want 200 with a checkpoint: %.300s", path, st, b)
		}
	}
}

// TestUnknownDataFieldNamesTheSchema: the 400 for an unknown field in a
// command's data names the schema of /openapi.json that lists the fields
// the command takes, and that schema exists and lacks the field.
func TestUnknownDataFieldNamesTheSchema(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	good := string(mustJSON(t, spending(agOwn, "250.00")))
	bad := strings.Replace(good, `"line":"L1"`, `"line":"L1","colour":"red"`, 1)
	if bad == good {
		t.Fatalf("mutation did not apply to %s", good)
	}
	st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], bad)
	if st != 400 {
		t.Fatalf("status %d, want 400: %s", st, b)
	}
	p := decodeProblem(t, b)
	want := "components/schemas/RecordSpendingCommand"
	if len(p.Errors) != 1 || p.Errors[0].Field != "data.colour" || !strings.Contains(p.Errors[0].Detail, want) {
		t.Errorf("errors %+v: want field data.colour with a detail naming %s", p.Errors, want)
	}
	var doc schemaDoc
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Components.Schemas["RecordSpendingCommand"]
	if _, has := s.Properties["colour"]; !ok || has || len(s.Properties) == 0 {
		t.Errorf("schema RecordSpendingCommand: present %v, properties %v", ok, s.Properties)
	}
}
