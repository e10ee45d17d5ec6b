// Package wire is the JSON wire format of commands: it reads a command
// envelope (one line of an apply file, one HTTP request body) strictly,
// decodes its data into the domain's command type, and checks the fields
// against the rules of this package's table (rules.go). The CLI, the HTTP
// API, the web forms, the CSV import and the command service all go
// through it; package domain keeps the command types, their meaning and
// the ledger's rules (Decide), and knows nothing of JSON input errors or
// of the validator library.
//
// Errors are *domain.Error with code EInvalid, naming the field as the
// sender wrote it ("data.amount", "years[0].year"), in words a person
// understands.
package wire

import (
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// MaxEnvelopeBytes bounds one command's JSON.
const MaxEnvelopeBytes = 1 << 20

// DecodeEnvelope reads one command envelope strictly: unknown fields,
// a key given twice, trailing data, invalid UTF-8 and oversized input are
// errors, as are missing envelope fields (type, command_id, actor, data).
// The data is not decoded: DecodeCommand does that.
func DecodeEnvelope(b []byte) (domain.Envelope, error) {
	return decodeEnvelope(b, nil, true)
}

// DecodeEnvelopeAs is DecodeEnvelope for a caller that knows who acts (a
// server, from the authenticated principal): the actor in b, if any, is
// replaced by actor before the envelope is checked. Every other rule is
// DecodeEnvelope's: size, valid UTF-8, strict JSON, the required fields.
func DecodeEnvelopeAs(b []byte, actor string) (domain.Envelope, error) {
	return decodeEnvelope(b, &actor, true)
}

// decodeEnvelope is DecodeEnvelope(As); fast: through the fast path when
// it takes b (fast.go), else always with encoding/json.
func decodeEnvelope(b []byte, actor *string, fast bool) (domain.Envelope, error) {
	var e domain.Envelope
	if len(b) > MaxEnvelopeBytes {
		return e, domain.Errorf(domain.EInvalid, "command is %d bytes, more than the %d allowed", len(b), MaxEnvelopeBytes)
	}
	if !utf8.Valid(b) {
		return e, domain.Errorf(domain.EInvalid, "command is not valid UTF-8 (first bad byte at offset %d); nothing was recorded", firstInvalidUTF8(b))
	}
	ok := false
	if fast {
		e, ok = fastEnvelope(b)
	}
	if !ok {
		e = domain.Envelope{}
		if err := strictUnmarshal(b, &e); err != nil {
			return e, err
		}
		if err := checkDuplicateKeys(b); err != nil {
			return e, err
		}
	}
	if actor != nil {
		e.Actor = *actor
	}
	return e, check(e)
}

// check checks the envelope's own fields, before its data.
func check(e domain.Envelope) error {
	if e.Type == "" {
		return domain.FieldError("type", "missing; one of %s", strings.Join(domain.CommandTypes(), ", "))
	}
	if _, ok := domain.NewCommand(e.Type); !ok {
		return domain.FieldError("type", "unknown command type %q; expected one of %s", truncate(e.Type, 60), strings.Join(domain.CommandTypes(), ", "))
	}
	if e.CommandID == uuid.Nil {
		return domain.FieldError("command_id", "missing; every command needs a UUID so that a retry is not applied twice")
	}
	if strings.TrimSpace(e.Actor) == "" {
		return domain.FieldError("actor", "missing; say who is acting")
	}
	if utf8.RuneCountInString(e.Actor) > 200 { // characters, as docs/commands.md says, not bytes
		return domain.FieldError("actor", "longer than 200 characters")
	}
	if utf8.RuneCountInString(e.Reason) > 2000 {
		return domain.FieldError("reason", "longer than 2000 characters")
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		return domain.FieldError("data", "missing; the command's fields go in \"data\"")
	}
	return nil
}

// DecodeCommand decodes the envelope's data into its command (a struct
// value of the type env.Type names) and checks it against the rules of
// this package (Validate). The envelope's own fields are checked first,
// so an envelope built by hand is held to DecodeEnvelope's rules too, and
// the data is scanned for a key given twice whoever built it.
func DecodeCommand(env domain.Envelope) (domain.Command, error) {
	return decodeCommand(env, true)
}

func decodeCommand(env domain.Envelope, fast bool) (domain.Command, error) {
	if err := check(env); err != nil {
		return nil, err
	}
	zero, _ := domain.NewCommand(env.Type) // check found it
	cmd, err := decodeData(env.Data, zero, fast)
	if err != nil {
		return nil, err
	}
	if err := Validate(cmd); err != nil {
		return nil, err
	}
	return cmd, nil
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

// truncate cuts s to n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
