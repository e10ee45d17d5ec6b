package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Command is a request to change one agreement. Each command type is a small
// struct with validation tags; Decide turns it into events or refuses it.
type Command interface {
	CommandType() string
	AgreementNumber() string
}

// Stable command type names, as written in JSON.
const (
	CmdRegisterAgreement = "register_agreement"
	CmdAddBudgetLine     = "add_budget_line"
	CmdPlanBudget        = "plan_budget"
	CmdAmendBudget       = "amend_budget"
	CmdRecordSpending    = "record_spending"
	CmdReverseSpending   = "reverse_spending"
	CmdCarryOver         = "carry_over"
	CmdReturnUnspent     = "return_unspent"
	CmdDeclareIneligible = "declare_ineligible"
	CmdRecordRecovery    = "record_recovery"
	CmdDefineIndicator   = "define_indicator"
	CmdRecordDelivery    = "record_delivery"
	CmdCloseYear         = "close_year"
)

// Ref names the agreement a command is for, by its human number.
type Ref struct {
	Agreement string `json:"agreement" validate:"required,max=100"`
}

// AgreementNumber returns the agreement's number.
func (r Ref) AgreementNumber() string { return r.Agreement }

// RegisterAgreement registers a delegation agreement or grant project with
// its implementation years and, optionally, its budget lines.
type RegisterAgreement struct {
	Ref
	Kind             string     `json:"kind" validate:"required,oneof=delegation grant memorandum"`
	Title            string     `json:"title" validate:"required,max=500"`
	Grantee          string     `json:"grantee" validate:"required,max=300"`
	Funder           string     `json:"funder" validate:"required,max=300"`
	Programme        string     `json:"programme,omitempty" validate:"max=300"`
	SupportIntensity string     `json:"support_intensity,omitempty" validate:"omitempty,max=10,intensity"`
	TotalFunding     Money      `json:"total_funding,omitempty" validate:"gte=0"`
	Period           Period     `json:"period" validate:"required"`
	Years            []YearSpec `json:"years" validate:"required,min=1,max=50,dive"`
	Lines            []LineSpec `json:"lines,omitempty" validate:"max=200,dive"`
}

// AddBudgetLine adds a budget line.
type AddBudgetLine struct {
	Ref
	LineSpec
}

// PlanBudget sets the planned amount of a line in a year, once.
type PlanBudget struct {
	Ref
	Line   string `json:"line" validate:"required,max=64"`
	Year   int    `json:"year" validate:"gte=1,lte=50"`
	Amount Money  `json:"amount" validate:"gte=0,lte=10000000000000"`
}

// AmendBudget revises a planned amount; the envelope's reason is required.
type AmendBudget struct {
	Ref
	Line          string `json:"line" validate:"required,max=64"`
	Year          int    `json:"year" validate:"gte=1,lte=50"`
	Amount        Money  `json:"amount" validate:"gte=0,lte=10000000000000"`
	EffectiveDate Date   `json:"effective_date" validate:"required"`
}

// RecordSpending records money spent.
type RecordSpending struct {
	Ref
	Line        string `json:"line" validate:"required,max=64"`
	Year        int    `json:"year" validate:"gte=1,lte=50"`
	Amount      Money  `json:"amount" validate:"gt=0,lte=10000000000000"`
	Date        Date   `json:"date" validate:"required"`
	Document    string `json:"document" validate:"required,max=200"`
	Description string `json:"description,omitempty" validate:"max=1000"`
}

// ReverseSpending cancels a recorded spending in full; the envelope's reason
// is required.
type ReverseSpending struct {
	Ref
	Spending uuid.UUID `json:"spending" validate:"required"`
	Date     Date      `json:"date" validate:"required"`
}

// CarryOver moves the remainder of a line from year FromYear to the next.
// A zero Amount carries the whole remainder.
type CarryOver struct {
	Ref
	Line     string `json:"line" validate:"required,max=64"`
	FromYear int    `json:"from_year" validate:"gte=1,lte=49"`
	Amount   Money  `json:"amount,omitempty" validate:"gte=0,lte=10000000000000"`
	Date     Date   `json:"date" validate:"required"`
}

// ReturnUnspent returns unspent funds of a line in a year to the funder (or
// To). A zero Amount returns the whole remainder.
type ReturnUnspent struct {
	Ref
	Line   string `json:"line" validate:"required,max=64"`
	Year   int    `json:"year" validate:"gte=1,lte=50"`
	Amount Money  `json:"amount,omitempty" validate:"gte=0,lte=10000000000000"`
	To     string `json:"to,omitempty" validate:"max=300"`
	Date   Date   `json:"date" validate:"required"`
}

// DeclareIneligible declares part of a year's spending ineligible.
type DeclareIneligible struct {
	Ref
	Line        string     `json:"line" validate:"required,max=64"`
	Year        int        `json:"year" validate:"gte=1,lte=50"`
	Amount      Money      `json:"amount" validate:"gt=0,lte=10000000000000"`
	Date        Date       `json:"date" validate:"required"`
	Description string     `json:"description" validate:"required,max=1000"`
	Spending    *uuid.UUID `json:"spending,omitempty"`
}

// RecordRecovery records money recovered against an ineligible expenditure.
type RecordRecovery struct {
	Ref
	Ineligible uuid.UUID `json:"ineligible" validate:"required"`
	Amount     Money     `json:"amount" validate:"gt=0,lte=10000000000000"`
	Date       Date      `json:"date" validate:"required"`
}

// DefineIndicator defines a performance indicator with targets per year.
type DefineIndicator struct {
	Ref
	Indicator   string            `json:"indicator" validate:"required,max=64,printascii,excludesall= "`
	Name        string            `json:"name" validate:"required,max=300"`
	Unit        string            `json:"unit" validate:"required,max=64"`
	Aggregation string            `json:"aggregation" validate:"required,oneof=sum distinct latest"`
	Targets     []IndicatorTarget `json:"targets" validate:"max=50,dive"`
	// Issue 15 (work.go): who answers for the task, where it happens, and
	// the value before the agreement started.
	Responsible []string  `json:"responsible,omitempty" validate:"max=10,dive,required,max=300"`
	Place       string    `json:"place,omitempty" validate:"max=300"`
	Baseline    *Baseline `json:"baseline,omitempty"`
}

// RecordDelivery records delivered output of an indicator: a quantity (sum,
// latest) or identifiers (distinct).
type RecordDelivery struct {
	Ref
	Indicator   string   `json:"indicator" validate:"required,max=64"`
	Year        int      `json:"year" validate:"gte=1,lte=50"`
	Quantity    int64    `json:"quantity,omitempty" validate:"gte=0,lte=1000000000000"`
	Identifiers []string `json:"identifiers,omitempty" validate:"max=10000,dive,required,max=200"`
	Date        Date     `json:"date" validate:"required"`
	Evidence    string   `json:"evidence,omitempty" validate:"max=500"`
}

// CloseYear closes an implementation year.
type CloseYear struct {
	Ref
	Year int  `json:"year" validate:"gte=1,lte=50"`
	Date Date `json:"date" validate:"required"`
}

func (RegisterAgreement) CommandType() string { return CmdRegisterAgreement }
func (AddBudgetLine) CommandType() string     { return CmdAddBudgetLine }
func (PlanBudget) CommandType() string        { return CmdPlanBudget }
func (AmendBudget) CommandType() string       { return CmdAmendBudget }
func (RecordSpending) CommandType() string    { return CmdRecordSpending }
func (ReverseSpending) CommandType() string   { return CmdReverseSpending }
func (CarryOver) CommandType() string         { return CmdCarryOver }
func (ReturnUnspent) CommandType() string     { return CmdReturnUnspent }
func (DeclareIneligible) CommandType() string { return CmdDeclareIneligible }
func (RecordRecovery) CommandType() string    { return CmdRecordRecovery }
func (DefineIndicator) CommandType() string   { return CmdDefineIndicator }
func (RecordDelivery) CommandType() string    { return CmdRecordDelivery }
func (CloseYear) CommandType() string         { return CmdCloseYear }

var commandFactories = map[string]func() Command{
	CmdRegisterAgreement: func() Command { return &RegisterAgreement{} },
	CmdAddBudgetLine:     func() Command { return &AddBudgetLine{} },
	CmdPlanBudget:        func() Command { return &PlanBudget{} },
	CmdAmendBudget:       func() Command { return &AmendBudget{} },
	CmdRecordSpending:    func() Command { return &RecordSpending{} },
	CmdReverseSpending:   func() Command { return &ReverseSpending{} },
	CmdCarryOver:         func() Command { return &CarryOver{} },
	CmdReturnUnspent:     func() Command { return &ReturnUnspent{} },
	CmdDeclareIneligible: func() Command { return &DeclareIneligible{} },
	CmdRecordRecovery:    func() Command { return &RecordRecovery{} },
	CmdDefineIndicator:   func() Command { return &DefineIndicator{} },
	CmdRecordDelivery:    func() Command { return &RecordDelivery{} },
	CmdCloseYear:         func() Command { return &CloseYear{} },
}

// CommandTypes returns every command type name, sorted.
func CommandTypes() []string {
	out := make([]string, 0, len(commandFactories))
	for t := range commandFactories {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Envelope is a command as it arrives from outside: one line of a JSONL
// file, or the body of an HTTP request.
type Envelope struct {
	Type          string          `json:"type"`
	CommandID     uuid.UUID       `json:"command_id"`
	Actor         string          `json:"actor"`
	Reason        string          `json:"reason,omitempty"`
	CorrelationID uuid.UUID       `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data"`

	// scanned is Data as decodeEnvelope read it, after it found no key
	// twice in the whole envelope, data included: DecodeCommand does not
	// scan the same bytes a second time (the scan ran on every command of
	// every apply file twice). Data set or replaced after decoding is a
	// different slice and is scanned.
	scanned json.RawMessage
}

// MaxEnvelopeBytes bounds one command's JSON.
const MaxEnvelopeBytes = 1 << 20

// Envelope fields that are checked before the data.
func (e *Envelope) check() error {
	if e.Type == "" {
		return FieldError("type", "missing; one of %s", strings.Join(CommandTypes(), ", "))
	}
	if _, ok := commandFactories[e.Type]; !ok {
		return FieldError("type", "unknown command type %q; expected one of %s", truncate(e.Type, 60), strings.Join(CommandTypes(), ", "))
	}
	if e.CommandID == uuid.Nil {
		return FieldError("command_id", "missing; every command needs a UUID so that a retry is not applied twice")
	}
	if strings.TrimSpace(e.Actor) == "" {
		return FieldError("actor", "missing; say who is acting")
	}
	if utf8.RuneCountInString(e.Actor) > 200 { // characters, as docs/commands.md says, not bytes
		return FieldError("actor", "longer than 200 characters")
	}
	if utf8.RuneCountInString(e.Reason) > 2000 {
		return FieldError("reason", "longer than 2000 characters")
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		return FieldError("data", "missing; the command's fields go in \"data\"")
	}
	return nil
}

// DecodeEnvelope reads one command envelope strictly: unknown fields,
// trailing data and oversized input are errors.
func DecodeEnvelope(b []byte) (Envelope, error) {
	return decodeEnvelope(b, nil)
}

// DecodeEnvelopeAs is DecodeEnvelope for a caller that knows who acts (a
// server, from the authenticated principal): the actor in b, if any, is
// replaced by actor before the envelope is checked. Every other rule is
// DecodeEnvelope's: size, valid UTF-8, strict JSON, the required fields.
func DecodeEnvelopeAs(b []byte, actor string) (Envelope, error) {
	return decodeEnvelope(b, &actor)
}

func decodeEnvelope(b []byte, actor *string) (Envelope, error) {
	var e Envelope
	if len(b) > MaxEnvelopeBytes {
		return e, Errorf(EInvalid, "command is %d bytes, more than the %d allowed", len(b), MaxEnvelopeBytes)
	}
	if !utf8.Valid(b) {
		return e, Errorf(EInvalid, "command is not valid UTF-8 (first bad byte at offset %d); nothing was recorded", firstInvalidUTF8(b))
	}
	if err := strictUnmarshal(b, &e); err != nil {
		return e, err
	}
	if err := checkDuplicateKeys(b); err != nil {
		return e, err
	}
	e.scanned = e.Data
	if actor != nil {
		e.Actor = *actor
	}
	return e, e.check()
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// DecodeCommand decodes and validates the envelope's data into its command.
func (e Envelope) DecodeCommand() (Command, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	cmd := commandFactories[e.Type]()
	if err := strictUnmarshal(e.Data, cmd); err != nil {
		return nil, prefixField("data", err)
	}
	if !sameSlice(e.scanned, e.Data) {
		if err := checkDuplicateKeys(e.Data); err != nil {
			return nil, prefixField("data", err)
		}
	}
	cmd = derefCommand(cmd)
	if err := ValidateCommand(cmd); err != nil {
		return nil, err
	}
	return cmd, nil
}

// CommandHash returns the SHA-256 of a decoded command in canonical form:
// its type and its fields as grantledger writes them. Two envelopes that
// differ only in spacing, key order or how an amount was written ("10 000,00"
// or "10000.00") hash alike, so a retry is recognised; any change of meaning
// changes the hash.
func CommandHash(cmd Command) string {
	h := sha256.New()
	h.Write([]byte(cmd.CommandType()))
	h.Write([]byte{0})
	b, err := json.Marshal(cmd)
	if err != nil {
		panic(err) // command structs always marshal
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// NewEnvelope wraps a command for sending.
func NewEnvelope(id uuid.UUID, actor, reason string, cmd Command) Envelope {
	data, err := json.Marshal(cmd)
	if err != nil {
		panic(err) // command structs always marshal
	}
	return Envelope{Type: cmd.CommandType(), CommandID: id, Actor: actor, Reason: reason, Data: data}
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, b, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(EInvalid, "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error, b []byte, v any) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return FieldError(te.Field, "expected %s, got JSON %s", jsonKind(te.Type), te.Value)
		}
		return Errorf(EInvalid, "expected %s, got JSON %s", jsonKind(te.Type), te.Value)
	case errors.As(err, &se):
		return Errorf(EInvalid, "malformed JSON at byte %d: %v", se.Offset, se)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return Errorf(EInvalid, "unknown field %s", strings.TrimPrefix(msg, "json: unknown field "))
	}
	if err == io.EOF {
		return Errorf(EInvalid, "empty input; expected a JSON object")
	}
	if err == io.ErrUnexpectedEOF {
		return Errorf(EInvalid, "the JSON ends before the object is complete (a closing brace or quote is missing)")
	}
	// The error came from a field's own decoder (an amount, a date, a
	// UUID), which does not know the field's name: find it.
	if f := failingKey(b, v); f != "" {
		if strings.HasPrefix(msg, "invalid UUID") {
			return FieldError(f, "not a UUID (%s); write it as in \"6f1c1a52-8d1e-4d0a-9a55-3f5b6f0d2c11\"", msg)
		}
		return FieldError(f, "%s", msg)
	}
	if de, ok := err.(*Error); ok {
		return de
	}
	return Errorf(EInvalid, "%s", strings.TrimPrefix(msg, "json: "))
}

// failingKey returns the first key (in sorted order) of the JSON object b
// whose value alone does not decode into a fresh value of v's type, or "".
func failingKey(b []byte, v any) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return ""
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := reflect.TypeOf(v).Elem()
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: obj[k]})
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return k
		}
	}
	return ""
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

func prefixField(prefix string, err error) error {
	if de, ok := err.(*Error); ok {
		c := *de
		if c.Field != "" {
			c.Field = prefix + "." + c.Field
		} else {
			c.Message = prefix + ": " + c.Message
		}
		return &c
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

func derefCommand(c Command) Command {
	switch v := c.(type) {
	case *RegisterAgreement:
		return *v
	case *AddBudgetLine:
		return *v
	case *PlanBudget:
		return *v
	case *AmendBudget:
		return *v
	case *RecordSpending:
		return *v
	case *ReverseSpending:
		return *v
	case *CarryOver:
		return *v
	case *ReturnUnspent:
		return *v
	case *DeclareIneligible:
		return *v
	case *RecordRecovery:
		return *v
	case *DefineIndicator:
		return *v
	case *RecordDelivery:
		return *v
	case *CloseYear:
		return *v
	}
	if v, ok := derefWork(c).(Command); ok {
		return v
	}
	if v, ok := derefCash(c).(Command); ok {
		return v
	}
	return c
}

// NewCommand returns a zero command of the given type, for tools that
// describe or build commands.
func NewCommand(typ string) (Command, bool) {
	f, ok := commandFactories[typ]
	if !ok {
		return nil, false
	}
	return derefCommand(f()), true
}

// sameSlice reports whether a and b are the same bytes in memory (same
// start, same length), not merely equal.
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
