package main

import (
	"errors"
	"os"

	"github.com/grantledger/grantledger/adapters/web"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// langEnv names the environment variable that sets the default language
// of a run: of every command's reports, files and messages and, for
// serve, of the web pages and of the API's CSV/XLSX/Markdown/HTML reports
// (a page's or a report route's ?lang= and a command's --lang still
// choose otherwise).
const langEnv = "GRANTLEDGER_LANG"

// langHelp is the help text of every --lang flag.
const langHelp = "language of labels, amounts and dates: en or lv (default: $" + langEnv + ", else en)"

// defaultLang is the --lang default: $GRANTLEDGER_LANG when set, else en.
func defaultLang() string {
	if s := os.Getenv(langEnv); s != "" {
		return s
	}
	return "en"
}

// parseLang checks a --lang value, saying where a bad one came from.
func parseLang(s string) (document.Lang, error) {
	l, err := document.ParseLang(s)
	if err != nil {
		if env := os.Getenv(langEnv); env != "" && env == s {
			return l, usagef("%s=%s: %v", langEnv, env, err)
		}
		return l, usagef("--lang: %v", err)
	}
	return l, nil
}

// runLang is the language of a run's messages: $GRANTLEDGER_LANG when it
// names one, else English.
func runLang() document.Lang {
	if l, err := document.ParseLang(defaultLang()); err == nil {
		return l
	}
	return document.EN
}

// refusalText says why the ledger refused a command, in the run's
// language: in English the ledger's message as it is; in Latvian the
// sentence the web pages use, then the ledger's own message in brackets,
// so the rule's code and every detail stay visible to people and scripts
// (its amounts written as Latvian writes them: one money format per
// output).
// Errors that are not the ledger's refusals are said as they are.
func refusalText(err error) string { return refusalIn(runLang(), err, nil) }

// refusalIn is refusalText in language l; a, when not nil, names the
// agreement's budget lines.
func refusalIn(l document.Lang, err error, a *domain.Agreement) string {
	var re *domain.RuleError
	var de *domain.Error
	if l != document.LV || !(errors.As(err, &re) || errors.As(err, &de)) {
		return err.Error()
	}
	text, _ := web.Explain(l, err, a)
	return text + " [" + document.LocaliseAmounts(err.Error(), l) + "]"
}
