package main

import (
	"os"

	rpt "github.com/grantledger/grantledger/adapters/report"
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
func parseLang(s string) (rpt.Lang, error) {
	l, err := rpt.ParseLang(s)
	if err != nil {
		if env := os.Getenv(langEnv); env != "" && env == s {
			return l, usagef("%s=%s: %v", langEnv, env, err)
		}
		return l, usagef("--lang: %v", err)
	}
	return l, nil
}
