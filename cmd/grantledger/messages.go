package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/grantledger/grantledger/app/document"
)

// The command line's messages, help texts and flag descriptions are said
// in the run's language through one catalogue (docs/cli.md "Language"):
// the key of a message is its English text, a format string as for
// fmt.Sprintf; lvMessages holds the Latvian of every key. English is the
// key itself. The catalogue is golang.org/x/text/message's (the Go
// project's own library for translated messages: positional arguments
// such as %[2]s let a sentence reorder them); it is built on first use,
// not at start-up. Numbers go into messages as they are: x/text/message
// would group a year as "2 023", so every argument is handed to it as a
// plain value (plainArg). Amounts are formatted before, by package report.

var (
	catOnce sync.Once
	catLV   map[string]string
	catB    *catalog.Builder
)

func catalogue() (map[string]string, *catalog.Builder) {
	catOnce.Do(func() {
		catLV = map[string]string{}
		catB = catalog.NewBuilder(catalog.Fallback(language.English))
		for k, v := range lvMessages() {
			// A key of an error says %w where the printer reads %v.
			k, v = strings.ReplaceAll(k, "%w", "%v"), strings.ReplaceAll(v, "%w", "%v")
			catLV[strings.TrimSpace(k)] = strings.TrimSpace(v)
			catB.SetString(language.Latvian, k, v)
		}
	})
	return catLV, catB
}

// hasLatvian reports whether the catalogue has the Latvian of key.
func hasLatvian(key string) bool {
	m, _ := catalogue()
	_, ok := m[strings.TrimSpace(strings.ReplaceAll(key, "%w", "%v"))]
	return ok
}

// plainArg hands a value to x/text/message as fmt would print it.
type plainArg struct{ v any }

func (p plainArg) Format(f fmt.State, verb rune) { fmt.Fprintf(f, fmt.FormatString(f, verb), p.v) }

// tr is message key with args in language l.
func tr(l document.Lang, key string, args ...any) string {
	key = strings.ReplaceAll(key, "%w", "%v")
	if l != document.LV {
		return fmt.Sprintf(key, args...)
	}
	_, b := catalogue()
	wrapped := make([]any, len(args))
	for i, a := range args {
		if err, ok := a.(error); ok {
			a = errText(l, err)
		}
		wrapped[i] = plainArg{a}
	}
	return message.NewPrinter(language.Latvian, message.Catalog(b)).Sprintf(key, wrapped...)
}

// trText is a text without arguments (a help text, a flag's description)
// in language l; a text with no Latvian stays as it is.
func trText(l document.Lang, s string) string {
	if l != document.LV {
		return s
	}
	m, _ := catalogue()
	if v, ok := m[strings.TrimSpace(s)]; ok {
		lead := s[:len(s)-len(strings.TrimLeft(s, " \n"))]
		trail := s[len(strings.TrimRight(s, " \n")):]
		return lead + v + trail
	}
	if strings.Contains(strings.TrimSpace(s), "\n\n") {
		// A help text put together from paragraphs: each is a key.
		paras := strings.Split(s, "\n\n")
		for i, p := range paras {
			paras[i] = trText(l, p)
		}
		return strings.Join(paras, "\n\n")
	}
	for _, p := range composedTexts {
		if rest, ok := strings.CutPrefix(s, p); ok {
			if v, ok := m[strings.TrimSpace(p)]; ok {
				return v + " " + rest
			}
		}
	}
	return s
}

// composedTexts are keys that a list is appended to in the code
// ("output format: " + "text, json").
var composedTexts = []string{"output format: ", "comma-separated formats: "}

// msgError is an error whose text is a catalogue message: English from
// Error(), the run's language when the program prints it.
type msgError struct {
	key  string
	args []any
	err  error
}

// errorf is fmt.Errorf with a message of the catalogue.
func errorf(key string, args ...any) error {
	return &msgError{key: key, args: args, err: fmt.Errorf(key, args...)}
}

func (e *msgError) Error() string { return e.err.Error() }
func (e *msgError) Unwrap() error { return errors.Unwrap(e.err) }

// exitf is an exitError whose message is a catalogue message.
func exitf(code int, key string, args ...any) error {
	return exitError{code: code, msg: fmt.Sprintf(strings.ReplaceAll(key, "%w", "%v"), args...), key: key, args: args}
}

// errText is err as the program says it in language l.
func errText(l document.Lang, err error) string {
	var le langErr
	if errors.As(err, &le) {
		err = le.err
	}
	switch e := err.(type) {
	case *msgError:
		return tr(l, e.key, e.args...)
	case usageError:
		if e.key != "" {
			return tr(l, e.key, e.args...)
		}
	case exitError:
		if e.key != "" {
			return tr(l, e.key, e.args...)
		}
	case *fs.PathError:
		// The operating system's words: the common reasons in Latvian.
		why := e.Err.Error()
		switch {
		case errors.Is(e.Err, fs.ErrNotExist):
			why = tr(l, "no such file or directory")
		case errors.Is(e.Err, fs.ErrPermission):
			why = tr(l, "permission denied")
		case errors.Is(e.Err, fs.ErrExist):
			why = tr(l, "file already exists")
		}
		return tr(l, "%s %s: %s", tr(l, e.Op), e.Path, why)
	}
	return refusalIn(l, err, nil)
}

// langErr carries the language of the run that returned err, so that
// report says it in that language.
type langErr struct {
	lang document.Lang
	err  error
}

func (e langErr) Error() string { return e.err.Error() }
func (e langErr) Unwrap() error { return e.err }

// errLang is the language err is to be said in.
func errLang(err error) document.Lang {
	var le langErr
	if errors.As(err, &le) {
		return le.lang
	}
	return runLang()
}

// argsLang is the language of a run: the last valid --lang among args
// (before "--"), else $GRANTLEDGER_LANG, else English.
func argsLang(args []string) document.Lang {
	l := runLang()
	for i, s := range args {
		if s == "--" {
			break
		}
		v, ok := "", false
		switch {
		case s == "--lang" || s == "-lang":
			if i+1 < len(args) {
				v, ok = args[i+1], true
			}
		case strings.HasPrefix(s, "--lang="):
			v, ok = s[len("--lang="):], true
		case strings.HasPrefix(s, "-lang="):
			v, ok = s[len("-lang="):], true
		}
		if x, err := document.ParseLang(v); ok && err == nil {
			l = x
		}
	}
	return l
}

// flagErrors are the messages of the flag package, as it prints them
// (compiled on first use: start-up stays fast).
var flagErrors = sync.OnceValue(func() []flagError {
	return []flagError{
		{regexp.MustCompile(`^flag provided but not defined: (.*)$`), "flag provided but not defined: %s"},
		{regexp.MustCompile(`^flag needs an argument: (.*)$`), "flag needs an argument: %s"},
		{regexp.MustCompile(`^invalid value (".*") for flag (\S+): (.*)$`), "invalid value %s for flag %s: %s"},
		{regexp.MustCompile(`^invalid boolean value (".*") for (\S+): (.*)$`), "invalid boolean value %s for %s: %s"},
		{regexp.MustCompile(`^invalid boolean flag (\S+): (.*)$`), "invalid boolean flag %s: %s"},
		{regexp.MustCompile(`^bad flag syntax: (.*)$`), "bad flag syntax: %s"},
	}
})

type flagError struct {
	re  *regexp.Regexp
	key string
}

// flagOutput says the flag package's errors in the run's language.
type flagOutput struct {
	w    io.Writer
	lang document.Lang
}

func (o flagOutput) Write(p []byte) (int, error) {
	if o.lang != document.LV {
		return o.w.Write(p)
	}
	line := strings.TrimSuffix(string(p), "\n")
	for _, fe := range flagErrors() {
		if m := fe.re.FindStringSubmatch(line); m != nil {
			args := make([]any, len(m)-1)
			for i, s := range m[1:] {
				args[i] = trText(o.lang, s)
			}
			if _, err := io.WriteString(o.w, tr(o.lang, fe.key, args...)+"\n"); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return o.w.Write(p)
}

// printFlags is flag.PrintDefaults with the descriptions, the kinds of
// value and "default" in language l.
func printFlags(w io.Writer, fs *flag.FlagSet, l document.Lang) {
	fs.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		name, usage := flag.UnquoteUsage(f)
		usage = trText(l, usage)
		if name != "" {
			b.WriteString(" " + trText(l, name))
		}
		if b.Len() <= 4 {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "0", "false", "0s", "[]":
		default:
			if g, ok := f.Value.(flag.Getter); ok {
				if _, isStr := g.Get().(string); !isStr {
					b.WriteString(tr(l, " (default %v)", f.DefValue))
					break
				}
			}
			b.WriteString(tr(l, " (default %q)", f.DefValue))
		}
		fmt.Fprintln(w, b.String())
	})
}
