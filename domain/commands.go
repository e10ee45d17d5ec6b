package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/google/uuid"
)

// Command is a request to change one agreement. Each command type is a small
// struct; the rules its fields must meet on the way in (required, lengths,
// ranges) are the wire format's (package app/wire), and Decide turns
// it into events or refuses it.
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
	Agreement string `json:"agreement"`
}

// AgreementNumber returns the agreement's number.
func (r Ref) AgreementNumber() string { return r.Agreement }

// RegisterAgreement registers a delegation agreement or grant project with
// its implementation years and, optionally, its budget lines.
type RegisterAgreement struct {
	Ref
	Kind             string     `json:"kind"`
	Title            string     `json:"title"`
	Grantee          string     `json:"grantee"`
	Funder           string     `json:"funder"`
	Programme        string     `json:"programme,omitempty"`
	SupportIntensity string     `json:"support_intensity,omitempty"`
	TotalFunding     Money      `json:"total_funding,omitempty"`
	Period           Period     `json:"period"`
	Years            []YearSpec `json:"years"`
	Lines            []LineSpec `json:"lines,omitempty"`
}

// AddBudgetLine adds a budget line.
type AddBudgetLine struct {
	Ref
	LineSpec
}

// PlanBudget sets the planned amount of a line in a year, once.
type PlanBudget struct {
	Ref
	Line   string `json:"line"`
	Year   int    `json:"year"`
	Amount Money  `json:"amount"`
}

// AmendBudget revises a planned amount; the envelope's reason is required.
type AmendBudget struct {
	Ref
	Line          string `json:"line"`
	Year          int    `json:"year"`
	Amount        Money  `json:"amount"`
	EffectiveDate Date   `json:"effective_date"`
}

// RecordSpending records money spent.
type RecordSpending struct {
	Ref
	Line        string `json:"line"`
	Year        int    `json:"year"`
	Amount      Money  `json:"amount"`
	Date        Date   `json:"date"`
	Document    string `json:"document"`
	Description string `json:"description,omitempty"`
}

// ReverseSpending cancels a recorded spending in full; the envelope's reason
// is required.
type ReverseSpending struct {
	Ref
	Spending uuid.UUID `json:"spending"`
	Date     Date      `json:"date"`
}

// CarryOver moves the remainder of a line from year FromYear to the next.
// A zero Amount carries the whole remainder.
type CarryOver struct {
	Ref
	Line     string `json:"line"`
	FromYear int    `json:"from_year"`
	Amount   Money  `json:"amount,omitempty"`
	Date     Date   `json:"date"`
}

// ReturnUnspent returns unspent funds of a line in a year to the funder (or
// To). A zero Amount returns the whole remainder.
type ReturnUnspent struct {
	Ref
	Line   string `json:"line"`
	Year   int    `json:"year"`
	Amount Money  `json:"amount,omitempty"`
	To     string `json:"to,omitempty"`
	Date   Date   `json:"date"`
}

// DeclareIneligible declares part of a year's spending ineligible.
type DeclareIneligible struct {
	Ref
	Line        string     `json:"line"`
	Year        int        `json:"year"`
	Amount      Money      `json:"amount"`
	Date        Date       `json:"date"`
	Description string     `json:"description"`
	Spending    *uuid.UUID `json:"spending,omitempty"`
}

// RecordRecovery records money recovered against an ineligible expenditure.
type RecordRecovery struct {
	Ref
	Ineligible uuid.UUID `json:"ineligible"`
	Amount     Money     `json:"amount"`
	Date       Date      `json:"date"`
}

// DefineIndicator defines a performance indicator with targets per year.
type DefineIndicator struct {
	Ref
	Indicator   string            `json:"indicator"`
	Name        string            `json:"name"`
	Unit        string            `json:"unit"`
	Aggregation string            `json:"aggregation"`
	Targets     []IndicatorTarget `json:"targets"`
	// Issue 15 (work.go): who answers for the task, where it happens, and
	// the value before the agreement started.
	Responsible []string  `json:"responsible,omitempty"`
	Place       string    `json:"place,omitempty"`
	Baseline    *Baseline `json:"baseline,omitempty"`
}

// RecordDelivery records delivered output of an indicator: a quantity (sum,
// latest) or identifiers (distinct).
type RecordDelivery struct {
	Ref
	Indicator   string   `json:"indicator"`
	Year        int      `json:"year"`
	Quantity    int64    `json:"quantity,omitempty"`
	Identifiers []string `json:"identifiers,omitempty"`
	Date        Date     `json:"date"`
	Evidence    string   `json:"evidence,omitempty"`
}

// CloseYear closes an implementation year.
type CloseYear struct {
	Ref
	Year int  `json:"year"`
	Date Date `json:"date"`
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

// commands lists every command, as a zero value: the one list of the
// command types there are (a new command is added here, beside its
// constant, struct and CommandType method). The wire format (package
// app/wire) decodes into these types and checks their fields.
var commands = []Command{
	RegisterAgreement{}, AddBudgetLine{}, PlanBudget{}, AmendBudget{}, RecordSpending{}, ReverseSpending{},
	CarryOver{}, ReturnUnspent{}, DeclareIneligible{}, RecordRecovery{}, DefineIndicator{}, RecordDelivery{}, CloseYear{},
	ReverseDelivery{}, AmendTarget{}, AddParty{}, RecordNarrative{}, // work.go, narrative.go
	RequireReport{}, SubmitReport{}, AcceptReport{}, ReturnReport{}, RegisterDocument{}, LinkDocument{}, // obligations.go
	PlanDisbursement{}, RecordDisbursement{}, ReverseDisbursement{}, RecordRefund{}, SplitPlan{}, ReverseClosedSpending{}, // disbursement.go, calendar.go, closedreversal.go
}

// commandByType indexes commands by their type name.
var commandByType = func() map[string]Command {
	m := make(map[string]Command, len(commands))
	for _, c := range commands {
		if _, dup := m[c.CommandType()]; dup {
			panic("domain: command type " + c.CommandType() + " listed twice")
		}
		m[c.CommandType()] = c
	}
	return m
}()

// CommandTypes returns every command type name, sorted.
func CommandTypes() []string {
	out := make([]string, 0, len(commands))
	for _, c := range commands {
		out = append(out, c.CommandType())
	}
	sort.Strings(out)
	return out
}

// NewCommand returns the zero command of the given type (a struct value,
// not a pointer), for tools that describe, build or decode commands.
func NewCommand(typ string) (Command, bool) {
	c, ok := commandByType[typ]
	return c, ok
}

// Envelope is a command as it arrives from outside: one line of a JSONL
// file, or the body of an HTTP request. Package app/wire reads it
// from JSON (wire.DecodeEnvelope) and decodes and checks its command
// (wire.DecodeCommand); NewEnvelope builds one from a command.
type Envelope struct {
	Type          string          `json:"type"`
	CommandID     uuid.UUID       `json:"command_id"`
	Actor         string          `json:"actor"`
	Reason        string          `json:"reason,omitempty"`
	CorrelationID uuid.UUID       `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data"`
}

// CommandHash returns the SHA-256 of a decoded command in canonical form:
// its type and its fields as grantledger writes them. Two envelopes that
// differ only in spacing, key order or how an amount was written ("10 000,00"
// or "10000.00") hash alike, so a retry is recognised; any change of meaning
// changes the hash.
func CommandHash(cmd Command) string {
	// The type, a zero byte and the command's JSON as encoding/json writes
	// it (AppendCommandJSON: the same bytes, without reflection for the
	// tabled types), hashed once.
	var stack [1024]byte
	b := append(append(stack[:0], cmd.CommandType()...), 0)
	b, err := AppendCommandJSON(b, cmd)
	if err != nil {
		panic(err) // command structs always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// NewEnvelope wraps a command for sending.
func NewEnvelope(id uuid.UUID, actor, reason string, cmd Command) Envelope {
	data, err := json.Marshal(cmd)
	if err != nil {
		panic(err) // command structs always marshal
	}
	return Envelope{Type: cmd.CommandType(), CommandID: id, Actor: actor, Reason: reason, Data: data}
}
