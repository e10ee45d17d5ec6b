package document

import (
	"strings"

	"github.com/grantledger/grantledger/domain"
)

// LocaliseAmounts rewrites the plain amounts in a message for people
// ("1213.47", as the domain's refusals write them) in language l's format
// ("1 213,47" in Latvian, "1,213.47" in English), so that one output
// shows amounts one way. An amount is digits, a point and two digits,
// standing alone: "15.07.2023." (a date), "v1.2.3" and "1.5" are left as
// they are.
func LocaliseAmounts(msg string, l Lang) string {
	var b strings.Builder
	i := 0
	for i < len(msg) {
		c := msg[i]
		if !isDigit(c) || i > 0 && (isDigit(msg[i-1]) || msg[i-1] == '.' || isWordByte(msg[i-1])) {
			b.WriteByte(c)
			i++
			continue
		}
		// A run of digits and points starting here.
		j := i
		for j < len(msg) && (isDigit(msg[j]) || msg[j] == '.') {
			j++
		}
		tok := msg[i:j]
		end := j
		if strings.HasSuffix(tok, ".") { // a sentence's full stop
			tok, end = tok[:len(tok)-1], j-1
		}
		if isAmount(tok) && (end == len(msg) || !isWordByte(msg[end])) {
			m, err := domain.ParseMoney(tok)
			if err == nil {
				b.WriteString(FormatAmount(m, l)) // a minus sign before it is already written
				i = end
				continue
			}
		}
		b.WriteString(msg[i:j])
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// isAmount reports whether s is digits, a point and exactly two digits.
func isAmount(s string) bool {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || strings.Contains(frac, ".") {
		return false
	}
	for k := 0; k < len(whole); k++ {
		if !isDigit(whole[k]) {
			return false
		}
	}
	return isDigit(frac[0]) && isDigit(frac[1])
}
