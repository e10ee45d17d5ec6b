package main

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// TestCommandsMarksWhatTheValidatorRequires: 'grantledger commands' marks
// with * exactly the fields the ledger refuses a command without (issue 16:
// "commands marks required fields correctly, from the same rules the
// validator uses"). The oracle is the ledger's own refusal: for every
// command type with an example in docs/commands.md, each top-level field of
// the example's data is left out in turn and the command decoded.
func TestCommandsMarksWhatTheValidatorRequires(t *testing.T) {
	out, errs, code := runCLI(t, "", "commands")
	if code != 0 {
		t.Fatalf("commands: exit %d: %s", code, errs)
	}
	marked := map[string]map[string]bool{} // type -> field -> marked required
	var typ string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "":
		case !strings.HasPrefix(line, " "):
			typ = line
			marked[typ] = map[string]bool{}
		default:
			f := strings.Fields(strings.TrimPrefix(line, "  "))
			if strings.HasPrefix(line, "  *") {
				marked[typ][f[1]] = true
			} else {
				marked[typ][f[0]] = false
			}
		}
	}
	examples := map[string]string{}
	f, err := os.Open("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Type string `json:"type"`
		}
		if l := sc.Text(); strings.HasPrefix(l, `{"type"`) && json.Unmarshal([]byte(l), &env) == nil {
			if _, ok := examples[env.Type]; !ok {
				examples[env.Type] = l
			}
		}
	}
	checked := 0
	for _, typ := range domain.CommandTypes() {
		ex, ok := examples[typ]
		if !ok {
			continue
		}
		var env map[string]json.RawMessage
		json.Unmarshal([]byte(ex), &env)
		var data map[string]json.RawMessage
		json.Unmarshal(env["data"], &data)
		fields := make([]string, 0, len(data))
		for k := range data {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		for _, field := range fields {
			req, listed := marked[typ][field]
			if !listed {
				t.Errorf("%s: the example's field %q is not listed by 'commands'", typ, field)
				continue
			}
			less := map[string]json.RawMessage{}
			for k, v := range data {
				if k != field {
					less[k] = v
				}
			}
			b, _ := json.Marshal(less)
			e := domain.Envelope{Type: typ, Actor: "a", Reason: "a reason", Data: b}
			json.Unmarshal(env["command_id"], &e.CommandID)
			_, err := wire.DecodeCommand(e)
			refused := err != nil && strings.Contains(err.Error(), field)
			if refused != req {
				t.Errorf("%s without %q: refused=%v (%v), but 'commands' marks it required=%v", typ, field, refused, err, req)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d fields checked: the docs examples were not found", checked)
	}
}
