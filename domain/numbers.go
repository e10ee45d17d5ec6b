package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// Agreement numbers.
//
// A new agreement's number must be in its one canonical form: Unicode NFC;
// made of letters and digits (of any script, but of one script: Latin
// mixed with Cyrillic or Greek is refused), the separators "/", ".", "-",
// "_", and single spaces between other characters; at most 100 bytes;
// no ".." and no "." or ".." path segment. So no control, format
// (zero-width, bidi override), combining or other invisible character, no
// space at either end, and no right-to-left letter or digit (Hebrew,
// Arabic: shown in another order than written, so "A/1/2" and "2/1/A"
// could look alike). Real numbers such as "LV/NVOF/MIC/031/10",
// "2021.LV/NVOF/MIC/031/10", "AIF/2022/KAPAC2/104" and "KNVOC-2022-2025"
// pass. Every lookup of an agreement is exact (byte for byte); these rules
// apply only when a number is registered, so agreements an older ledger
// registered under other numbers still load and take commands.

// MaxNumberBytes bounds an agreement number.
const MaxNumberBytes = 100

// numberSeparators may appear in an agreement number besides letters,
// digits and single inner spaces.
const numberSeparators = "/.-_"

// CheckNumber returns nil when number is in canonical form, and otherwise
// an error on field "agreement" that says which character or rule is at
// fault.
func CheckNumber(number string) error {
	bad := func(format string, args ...any) error { return FieldError("agreement", format, args...) }
	switch {
	case number == "":
		return bad("agreement number is empty")
	case len(number) > MaxNumberBytes:
		return bad("agreement number is %d bytes, more than the %d allowed", len(number), MaxNumberBytes)
	case !utf8.ValidString(number):
		return bad("agreement number is not valid UTF-8")
	case !norm.NFC.IsNormalString(number):
		return bad("agreement number %q is not in Unicode NFC (it has decomposed accents); write it as %q", number, norm.NFC.String(number))
	case !norm.NFKC.IsNormalString(number):
		return bad("agreement number %q has compatibility characters (full-width or styled letters, ligatures, superscripts); write it as %q", number, norm.NFKC.String(number))
	}
	script := ""
	hasAlnum := false
	prev := rune(-1)
	for i, r := range number {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			hasAlnum = true
			if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL || p.Class() == bidi.AN {
				return bad("agreement number %q has the right-to-left character %U at byte %d: a number with right-to-left letters or digits is shown in another order than it is written, so two numbers could look alike", number, r, i)
			}
			if s := scriptOf(r); s != "" {
				if script != "" && s != script {
					return bad("agreement number %q mixes %s and %s letters (character %d, %U); letters that look alike in two scripts would make two numbers look the same", number, script, s, i, r)
				}
				script = s
			}
		case r == ' ':
			if i == 0 || i == len(number)-1 {
				return bad("agreement number %q begins or ends with a space", number)
			}
			if prev == ' ' {
				return bad("agreement number %q has two spaces in a row", number)
			}
		case strings.ContainsRune(numberSeparators, r):
		default:
			return bad("agreement number %q has the character %U at byte %d; a number is made of letters, digits, the separators / . - _ and single spaces inside", number, r, i)
		}
		prev = r
	}
	if !hasAlnum {
		return bad("agreement number %q has no letter or digit", number)
	}
	if strings.Contains(number, "..") {
		return bad("agreement number %q contains \"..\"", number)
	}
	for _, seg := range strings.Split(number, "/") {
		if seg == "." {
			return bad("agreement number %q has a \".\" segment", number)
		}
	}
	return nil
}

// scriptOf names the script of a letter or digit among those whose letters
// look alike, or "" for ASCII digits, which go with every script. Other
// digits count as "other", so Latin letters with Bengali or Devanagari
// digits are refused as mixed.
func scriptOf(r rune) string {
	if r >= '0' && r <= '9' {
		return ""
	}
	for _, s := range lookAlikeScripts {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	return "other"
}

var lookAlikeScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Cherokee", unicode.Cherokee}, {"Coptic", unicode.Coptic},
}

var (
	folder = cases.Fold()
	upper  = cases.Upper(language.Und)
)

// NumberKeys are what two agreement numbers are compared by to tell
// whether people could take one for the other. Unicode TS 39's confusable
// skeleton (the confusables table, github.com/mtibben/confusables) is case
// sensitive: it maps capital "I", "1" and "|" to "l", Cyrillic "О" and
// digit "0" to "O", "rn" to "m"'s "rn", but not "i" to "l". So each number
// has two keys, both ignoring case: the skeleton of its upper-case form,
// folded, and the skeleton of its folded form, folded. Two different
// numbers that share either key cannot both be registered: "KNVOC-2022",
// "knvoc-2022", "KNVОC-2022" (Cyrillic О), "ΚNVOC-2022" (Greek Κ) and
// "KNV0C-2022" all share their upper-case key, as do "AIF" and "AlF".
func NumberKeys(number string) [2]string {
	f := folder.String(norm.NFC.String(number))
	skel := func(s string) string { return folder.String(norm.NFC.String(confusables.Skeleton(s))) }
	return [2]string{"U:" + skel(upper.String(f)), "L:" + skel(f)}
}

// NumberTakenError refuses a number that people could not tell from an
// existing one.
func NumberTakenError(number, existing string) *Error {
	return &Error{Code: EDuplicate, Field: "agreement", Err: ErrDuplicate,
		Message: fmt.Sprintf("agreement number %q is too like the registered %q (the same after ignoring case and letters that look alike); choose another number or use %q", number, existing, existing)}
}
