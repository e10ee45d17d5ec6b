package wire

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/grantledger/grantledger/domain"
)

// aliases name the rules that many fields share, so that a limit is
// written once: money is an amount from 0.00 to 100 000 000 000.00 (in
// cents), positive_money the same above 0.00, year an implementation
// year (1 to 50), count a count of things (0 to 10^12), code a short
// code of plain characters (lines, indicators, reports, documents), and
// sha256hex a SHA-256 in lowercase hexadecimal.
var aliases = map[string]string{
	"money":          "gte=0,lte=" + maxMoney,
	"positive_money": "gt=0,lte=" + maxMoney,
	"year":           "gte=1,lte=50",
	"count":          "gte=0,lte=1000000000000",
	"code":           "max=64,printascii,excludesall= ",
	"sha256hex":      "len=64,hexadecimal,lowercase",
}

// maxMoney is domain.MaxMoney in cents, as the validator's rules write it.
var maxMoney = strconv.FormatInt(int64(domain.MaxMoney), 10)

// fields maps a struct's Go field names to their rules.
type fields = map[string]string

// rules are the rules of every command's fields, and of the fields of the
// types commands hold, as go-playground/validator rules (with the aliases
// above) by Go field name. A field of an embedded struct (Ref, LineSpec)
// has its rules under its own struct's entry.
//
// Why a table here, and not validator tags on the domain's structs or
// wire-side copies of each command: the command types stay the domain's,
// one struct per command with nothing to keep in step, and the rules stay
// at the edge with the library that checks them. Adding a command adds one
// entry here (the validator's RegisterStructValidationMapRules reads it).
// TestRulesCoverEveryCommand checks that every command of
// domain.CommandTypes has an entry and that every field named exists,
// since the validator skips a name it does not find.
var rules = []struct {
	of     any
	fields fields
}{
	// Parts of commands.
	{domain.Ref{}, fields{"Agreement": "required,max=100"}},
	{domain.YearSpec{}, fields{"Year": "year"}},
	{domain.LineSpec{}, fields{"Line": "required,code", "Name": "max=300"}},
	{domain.IndicatorTarget{}, fields{"Year": "year", "Target": "count"}},
	{domain.ScheduledTarget{}, fields{"Target": "count"}},
	{domain.Baseline{}, fields{"Value": "count", "Date": "required", "Comment": "max=500"}},
	{domain.Contact{}, fields{"Name": "required,max=200", "Email": "omitempty,max=254,email", "Phone": "max=50"}},
	{domain.CalendarPart{}, fields{"CalendarYear": "gte=1900,lte=2200", "Amount": "money"}},
	{domain.SealCheckpoint{}, fields{"TreeSize": "gte=1", "RootHash": "required,sha256hex"}},

	// Commands.
	{domain.RegisterAgreement{}, fields{
		"Kind": "required,oneof=delegation grant memorandum", "Title": "required,max=500",
		"Grantee": "required,max=300", "Funder": "required,max=300", "Programme": "max=300",
		"SupportIntensity": "omitempty,max=10,intensity", "TotalFunding": "gte=0", "Period": "required",
		"Years": "required,min=1,max=50,dive", "Lines": "max=200,dive"}},
	{domain.AddBudgetLine{}, fields{}}, // its fields are Ref's and LineSpec's
	{domain.PlanBudget{}, fields{"Line": "required,max=64", "Year": "year", "Amount": "money"}},
	{domain.AmendBudget{}, fields{"Line": "required,max=64", "Year": "year", "Amount": "money", "EffectiveDate": "required"}},
	{domain.RecordSpending{}, fields{"Line": "required,max=64", "Year": "year", "Amount": "positive_money", "Date": "required",
		"Document": "required,max=200", "Description": "max=1000"}},
	{domain.ReverseSpending{}, fields{"Spending": "required", "Date": "required"}},
	{domain.CarryOver{}, fields{"Line": "required,max=64", "FromYear": "gte=1,lte=49", "Amount": "money", "Date": "required"}},
	{domain.ReturnUnspent{}, fields{"Line": "required,max=64", "Year": "year", "Amount": "money", "To": "max=300", "Date": "required"}},
	{domain.DeclareIneligible{}, fields{"Line": "required,max=64", "Year": "year", "Amount": "positive_money", "Date": "required",
		"Description": "required,max=1000"}},
	{domain.RecordRecovery{}, fields{"Ineligible": "required", "Amount": "positive_money", "Date": "required"}},
	{domain.DefineIndicator{}, fields{"Indicator": "required,code", "Name": "required,max=300", "Unit": "required,max=64",
		"Aggregation": "required,oneof=sum distinct latest", "Targets": "max=50,dive",
		"Responsible": "max=10,dive,required,max=300", "Place": "max=300"}},
	{domain.RecordDelivery{}, fields{"Indicator": "required,max=64", "Year": "year", "Quantity": "count",
		"Identifiers": "max=10000,dive,required,max=200", "Date": "required", "Evidence": "max=500"}},
	{domain.CloseYear{}, fields{"Year": "year", "Date": "required"}},
	{domain.ReverseDelivery{}, fields{"Delivery": "required", "Date": "required"}},
	{domain.AmendTarget{}, fields{"Indicator": "required,max=64", "Year": "year", "Targets": "required,min=1,max=50,dive", "Date": "required"}},
	{domain.AddParty{}, fields{"Organisation": "required,max=300",
		"Roles":    "required,min=1,max=5,dive,oneof=funding accountable extending implementing partner",
		"Contacts": "max=20,dive"}},
	{domain.RecordNarrative{}, fields{"Year": "gte=0,lte=50", "Field": "required,oneof=description other", "Text": "required,max=20000"}},
	{domain.RequireReport{}, fields{"Report": "required,code", "Kind": "required,oneof=interim final other", "Year": "year",
		"Due": "required", "Name": "max=300"}},
	{domain.SubmitReport{}, fields{"Report": "required,max=64", "Date": "required", "SHA256": "required,sha256hex", "Size": "count",
		"Document": "max=64"}},
	{domain.AcceptReport{}, fields{"Report": "required,max=64", "Date": "required"}},
	{domain.ReturnReport{}, fields{"Report": "required,max=64", "Date": "required"}},
	{domain.RegisterDocument{}, fields{"Document": "required,code",
		"Kind": "required,oneof=agreement annex invoice payment_order result report",
		"Name": "required,max=300", "SHA256": "required,sha256hex", "Size": "count", "URI": "omitempty,max=2000,uri"}},
	{domain.LinkDocument{}, fields{"Document": "required,max=64", "Report": "max=64"}},
	{domain.PlanDisbursement{}, fields{"Kind": "required,oneof=advance tranche final", "Year": "year", "Amount": "positive_money",
		"Date": "required", "Report": "max=300"}},
	{domain.RecordDisbursement{}, fields{"Kind": "omitempty,oneof=advance tranche final", "Year": "year", "Amount": "positive_money",
		"Date": "required", "Reference": "required,max=200"}},
	{domain.ReverseDisbursement{}, fields{"Disbursement": "required", "Date": "required"}},
	{domain.RecordRefund{}, fields{"For": "required", "Amount": "positive_money", "Date": "required", "Reference": "required,max=200"}},
	{domain.SplitPlan{}, fields{"Line": "required,max=64", "Year": "year", "Parts": "required,min=1,max=60,dive"}},
	{domain.ReverseClosedSpending{}, fields{"Spending": "required", "Date": "required"}},
}

// Rules returns the rules of the field named field (its Go name) of
// struct type t, with every alias written out, as a list of single rules
// ("required", "max=64", "dive", …), or nil when the field has none. The
// OpenAPI document (adapters/httpapi) and 'grantledger commands' describe
// the fields from it.
func Rules(t reflect.Type, field string) []string {
	for _, r := range rules {
		if reflect.TypeOf(r.of) == t {
			return expand(r.fields[field])
		}
	}
	return nil
}

// expand splits a rule at its commas (oneof values are separated by
// spaces, so a comma always ends a rule) and writes out its aliases.
func expand(rule string) []string {
	if rule == "" {
		return nil
	}
	var out []string
	for _, r := range strings.Split(rule, ",") {
		if a, ok := aliases[r]; ok {
			out = append(out, expand(a)...)
			continue
		}
		out = append(out, r)
	}
	return out
}
