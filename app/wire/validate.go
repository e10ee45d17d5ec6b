package wire

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"github.com/grantledger/grantledger/domain"
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

func theValidator() *validator.Validate {
	validateOnce.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		// Report fields by their JSON names, as the user wrote them.
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
		// A support intensity as docs/commands.md writes it: 0 to 100 with
		// at most two decimals after a point or a comma ("85,5").
		_ = v.RegisterValidation("intensity", func(fl validator.FieldLevel) bool {
			_, err := domain.CheckIntensity(fl.Field().String())
			return err == nil
		})
		for name, rule := range aliases {
			v.RegisterAlias(name, rule)
		}
		for _, r := range rules {
			v.RegisterStructValidationMapRules(r.fields, r.of)
		}
		validate = v
	})
	return validate
}

// Validate checks a command's shape against the rules of this package's
// table (required fields, formats, ranges) and returns a *domain.Error
// naming the first bad field in words a person understands, or nil.
func Validate(cmd domain.Command) error {
	err := theValidator().Struct(cmd)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		return domain.Errorf(domain.EInvalid, "%v", err)
	}
	msgs := make([]string, 0, len(ves))
	for _, fe := range ves {
		msgs = append(msgs, describe(fe))
	}
	first := ves[0]
	return &domain.Error{Code: domain.EInvalid, Field: fieldPath(first), Message: strings.Join(msgs, "; ")}
}

// fieldPath turns "RegisterAgreement.years[0].year" into "years[0].year".
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		ns = ns[i+1:]
	}
	// Embedded structs (Ref, LineSpec) appear under their Go names.
	ns = strings.TrimPrefix(ns, "Ref.")
	ns = strings.TrimPrefix(ns, "LineSpec.")
	return ns
}

func describe(fe validator.FieldError) string {
	f := fieldPath(fe)
	p := fe.Param()
	isMoney := fe.Type() == reflect.TypeOf(domain.Money(0))
	num := func(s string) string {
		if isMoney {
			var c int64
			fmt.Sscan(s, &c)
			return domain.Money(c).String()
		}
		return s
	}
	switch fe.ActualTag() { // the rule that failed, also inside an alias (rules.go)
	case "required":
		return f + " is required"
	case "oneof":
		return fmt.Sprintf("%s must be one of %s, not %q", f, strings.ReplaceAll(p, " ", ", "), fmt.Sprint(fe.Value()))
	case "max":
		if fe.Kind() == reflect.Slice {
			return fmt.Sprintf("%s has more than %s entries", f, p)
		}
		return fmt.Sprintf("%s is longer than %s characters", f, p)
	case "min":
		if fe.Kind() == reflect.Slice {
			return fmt.Sprintf("%s needs at least %s entries", f, p)
		}
		return fmt.Sprintf("%s is shorter than %s characters", f, p)
	case "gt":
		return fmt.Sprintf("%s must be more than %s", f, num(p))
	case "gte":
		return fmt.Sprintf("%s must be at least %s", f, num(p))
	case "lte":
		return fmt.Sprintf("%s must be at most %s", f, num(p))
	case "numeric", "intensity":
		return fmt.Sprintf("%s must be a percentage from 0 to 100 with at most two decimals, such as 100 or 85,5", f)
	case "printascii", "excludesall":
		return fmt.Sprintf("%s must be a short code of plain letters, digits and punctuation, without spaces", f)
	}
	return fmt.Sprintf("%s fails the %q rule", f, fe.ActualTag())
}
