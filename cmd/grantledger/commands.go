package main

import (
	"context"
	"fmt"
	"github.com/grantledger/grantledger/app/document"
	"reflect"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/domain"
)

func cmdCommands(ctx context.Context, a *app, args []string) error {
	fs := a.flags("commands", "[TYPE]", `
Lists the command types that 'apply' accepts and the fields of their
"data" object (* marks a required field). docs/commands.md has an example of each.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	types := domain.CommandTypes()
	if fs.NArg() > 0 {
		types = fs.Args()
	}
	for _, t := range types {
		cmd, ok := domain.NewCommand(t)
		if !ok {
			return usagef("unknown command type %q; known: %s", t, strings.Join(domain.CommandTypes(), ", "))
		}
		fmt.Fprintf(a.stdout, "%s\n", t)
		describeFields(a, reflect.TypeOf(cmd), "  ")
	}
	return nil
}

func describeFields(a *app, t reflect.Type, indent string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			describeFields(a, f.Type, indent)
			continue
		}
		name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
		req := " "
		if httpapi.FieldRequired(t, f) {
			req = "*"
		}
		fmt.Fprintf(a.stdout, "%s%s %-16s %s\n", indent, req, name, typeName(a.lang, f.Type))
	}
}

// typeName says what a field holds, in language l.
func typeName(l document.Lang, t reflect.Type) string {
	switch t {
	case reflect.TypeOf(domain.Money(0)):
		return tr(l, `amount, a string such as "47786.53" or "47 786,53"`)
	case reflect.TypeOf(domain.Date(0)):
		return tr(l, `date, "2022-07-15"`)
	case reflect.TypeOf(domain.Period{}):
		return `{"from": date, "to": date}`
	case reflect.TypeOf(uuid.UUID{}), reflect.TypeOf(&uuid.UUID{}):
		return tr(l, "event id (UUID)")
	case reflect.TypeOf([]domain.YearSpec{}):
		return `[{"year": 1, "from": date, "to": date}, …]`
	case reflect.TypeOf([]domain.LineSpec{}):
		return `[{"line": "code", "name": "…"}, …]`
	case reflect.TypeOf([]domain.IndicatorTarget{}):
		return `[{"year": 1, "target": 24, "due": date (optional)}, …]`
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return tr(l, "whole number")
	case reflect.Slice:
		return tr(l, "list of %s", typeName(l, t.Elem()))
	}
	return trText(l, t.Kind().String())
}
