// Package flagcheck validates numeric command-line flags, the same way on
// every command, before any work starts and before any file is written.
//
// Every int, uint, float and duration flag that was set (on the command line
// or through a --config file, which sets flags too) is checked: a float must
// be a finite number, an int at least 0, a duration not negative. A command
// narrows a flag with Declare and an interval, e.g. Declare(fs, "steps",
// "[1,inf)") or Declare(fs, "gamma", "(0,1]"), or widens it with "any". A
// flag left at its default is not checked: defaults such as 0 meaning
// "tuned" are the command's own.
package flagcheck

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// annotation is the pflag annotation key that holds a flag's rule.
const annotation = "xlrl-flagcheck"

// rule is an interval of accepted values; "any" is every finite number.
type rule struct {
	lo, hi         float64
	loOpen, hiOpen bool
	text           string
}

func (r rule) contains(v float64) bool {
	if v < r.lo || (r.loOpen && v == r.lo) {
		return false
	}
	return v < r.hi || (!r.hiOpen && v == r.hi)
}

// describe says what the rule accepts, for error messages.
func (r rule) describe() string {
	switch {
	case math.IsInf(r.lo, -1) && math.IsInf(r.hi, 1):
		return "a finite number"
	case math.IsInf(r.hi, 1) && !r.loOpen:
		return "at least " + fmtNum(r.lo)
	case math.IsInf(r.hi, 1):
		return "greater than " + fmtNum(r.lo)
	}
	open, close := "[", "]"
	if r.loOpen {
		open = "("
	}
	if r.hiOpen {
		close = ")"
	}
	return fmt.Sprintf("in %s%s, %s%s", open, fmtNum(r.lo), fmtNum(r.hi), close)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// parseRule reads "[a,b]", "(a,b)", "[a,inf)", ... or "any".
func parseRule(s string) (rule, error) {
	if s == "any" {
		return rule{lo: math.Inf(-1), hi: math.Inf(1), loOpen: true, hiOpen: true, text: s}, nil
	}
	if len(s) < 5 || !strings.ContainsRune("[(", rune(s[0])) || !strings.ContainsRune("])", rune(s[len(s)-1])) {
		return rule{}, fmt.Errorf("flagcheck: rule %q: want an interval such as [1,inf) or (0,1], or any", s)
	}
	a, b, ok := strings.Cut(s[1:len(s)-1], ",")
	if !ok {
		return rule{}, fmt.Errorf("flagcheck: rule %q: want two bounds", s)
	}
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err := errors.Join(err1, err2); err != nil || math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return rule{}, fmt.Errorf("flagcheck: rule %q: bad bounds", s)
	}
	return rule{lo: lo, hi: hi, loOpen: s[0] == '(', hiOpen: s[len(s)-1] == ')', text: s}, nil
}

// Declare sets the interval of values the flag name accepts (see the package
// doc). It panics on a malformed rule or an unknown flag: both are mistakes
// in the command's code.
func Declare(fs *pflag.FlagSet, name, interval string) {
	if _, err := parseRule(interval); err != nil {
		panic(err)
	}
	if err := fs.SetAnnotation(name, annotation, []string{interval}); err != nil {
		panic("flagcheck: " + err.Error())
	}
}

// Error lists every flag whose value is refused.
type Error struct {
	Problems []string // one per flag: "--steps -5: must be at least 1"
}

func (e *Error) Error() string {
	return strings.Join(e.Problems, "; ")
}

// Check validates every numeric flag of fs that was set, against its
// declared rule or the default one, and returns an *Error naming each one
// refused.
func Check(fs *pflag.FlagSet) error {
	var problems []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Changed {
			return
		}
		if p := checkFlag(f); p != "" {
			problems = append(problems, p)
		}
	})
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

func checkFlag(f *pflag.Flag) string {
	kind := f.Value.Type()
	var def rule
	switch {
	case kind == "duration":
		d, err := time.ParseDuration(f.Value.String())
		if err == nil && d < 0 {
			return fmt.Sprintf("--%s %s: must not be negative", f.Name, d)
		}
		return ""
	case strings.HasPrefix(kind, "float"):
		def, _ = parseRule("any")
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		def, _ = parseRule("[0,inf)")
	default:
		return ""
	}
	v, err := strconv.ParseFloat(f.Value.String(), 64)
	if err != nil {
		return "" // a value pflag accepted but we cannot read: not ours to judge
	}
	r := def
	if rs := f.Annotations[annotation]; len(rs) == 1 {
		r, _ = parseRule(rs[0])
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("--%s %s: must be a finite number", f.Name, fmtNum(v))
	}
	if !r.contains(v) {
		return fmt.Sprintf("--%s %s: must be %s", f.Name, f.Value.String(), r.describe())
	}
	return ""
}

// HP checks one --hp name=value: a name, and a value that, when it is a
// number, is finite (JSON has no NaN, and a NaN hyperparameter trains
// nothing). It returns the name and the value as given.
func HP(kv string) (name, value string, err error) {
	name, value, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("--hp %q: want name=value, e.g. --hp double=false", kv)
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); (err == nil || errors.Is(err, strconv.ErrRange)) &&
		(math.IsNaN(f) || math.IsInf(f, 0)) {
		return "", "", fmt.Errorf("--hp %s: not a finite number", kv)
	}
	return name, value, nil
}
