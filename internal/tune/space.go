package tune

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Param is one dimension of a search space, in the form the worker's
// tune.ask suggests it (trial.suggest_categorical / suggest_float / suggest_int).
type Param struct {
	Name    string  `msgpack:"name" json:"name"`
	Type    string  `msgpack:"type" json:"type"` // categorical, float or int
	Choices []any   `msgpack:"choices,omitempty" json:"choices,omitempty"`
	Low     float64 `msgpack:"low" json:"low"`
	High    float64 `msgpack:"high" json:"high"`
	Log     bool    `msgpack:"log" json:"log"`
}

// Space is a search space: the parameters to sample, in order, and the
// values a space file fixed (name: value instead of a range).
type Space struct {
	Params []Param
	Fixed  map[string]any
	// Drop are names a space file gives as null: as an override it removes
	// them from the built-in space (neither searched nor fixed: the
	// configuration's value).
	Drop []string
	// Unreachable are the choices FitBudget removed, as "name value", and
	// Budget the trial's steps it fitted the space to.
	Unreachable []string
	Budget      int64
}

// stepParams are the hyperparameters counted in environment steps: a
// choice of at least a trial's whole budget cannot act within it.
var stepParams = []string{"learning_starts", "target_update_interval", "train_freq", "n_steps"}

// FitBudget removes the categorical choices of step-counted parameters
// (stepParams) that are not below budget, a trial's environment steps:
// rl-zoo's DQN space offers learning_starts and target_update_interval of
// 20,000, which in a 20k-step trial never train, or never update the
// target, and so waste the trial (a third of random trials drew one). A
// parameter keeps its choices when none is below the budget.
func (s *Space) FitBudget(budget int64) {
	for i, p := range s.Params {
		if p.Type != "categorical" || !slices.Contains(stepParams, p.Name) {
			continue
		}
		var kept []any
		var dropped []string
		for _, c := range p.Choices {
			if n, err := asInt(c); err == nil && int64(n) >= budget {
				dropped = append(dropped, p.Name+" "+formatValue(c))
				continue
			}
			kept = append(kept, c)
		}
		if len(kept) > 0 && len(dropped) > 0 {
			s.Params[i].Choices = kept
			s.Unreachable = append(s.Unreachable, dropped...)
		}
	}
	s.Budget = budget
}

//go:embed spaces/*.yaml
var spaceFiles embed.FS

// Algorithms are the algorithms with a built-in search space.
func Algorithms() []string {
	entries, _ := spaceFiles.ReadDir("spaces")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// DefaultSpace is the built-in search space of algo (rl-zoo's ranges).
func DefaultSpace(algo string) (Space, error) {
	data, err := spaceFiles.ReadFile("spaces/" + algo + ".yaml")
	if err != nil {
		return Space{}, fmt.Errorf("no search space for --algo %q: xlrl tune knows %s (or give --space FILE with a whole space)",
			algo, strings.Join(Algorithms(), ", "))
	}
	return ParseSpace(data, "spaces/"+algo+".yaml")
}

// DefaultSpaceText is the built-in space file of algo, comments included.
func DefaultSpaceText(algo string) string {
	data, _ := spaceFiles.ReadFile("spaces/" + algo + ".yaml")
	return string(data)
}

// ParseSpace reads a space file: a mapping of parameter names to a list
// (a categorical choice), a mapping {low, high[, log][, type: int]} (a
// range) or a scalar (a fixed value). where names the file in errors.
func ParseSpace(data []byte, where string) (Space, error) {
	sp := Space{Fixed: map[string]any{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return sp, fmt.Errorf("%s: %s", where, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return sp, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return sp, fmt.Errorf("%s:%d: a space file maps parameter names to ranges (name: [a, b] or name: {low: x, high: y})", where, root.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		if seen[name] {
			return sp, fmt.Errorf("%s:%d: parameter %q is given twice", where, k.Line, name)
		}
		seen[name] = true
		p, fixed, isFixed, err := parseParam(name, v)
		if err != nil {
			return sp, fmt.Errorf("%s:%d: %s: %w", where, v.Line, name, err)
		}
		if isFixed && fixed == nil {
			sp.Drop = append(sp.Drop, name)
			continue
		}
		if isFixed {
			sp.Fixed[name] = fixed
			continue
		}
		sp.Params = append(sp.Params, p)
	}
	return sp, nil
}

func parseParam(name string, v *yaml.Node) (Param, any, bool, error) {
	p := Param{Name: name}
	switch v.Kind {
	case yaml.SequenceNode:
		p.Type = "categorical"
		if err := v.Decode(&p.Choices); err != nil {
			return p, nil, false, err
		}
		if len(p.Choices) == 0 {
			return p, nil, false, fmt.Errorf("an empty list of choices")
		}
		for _, c := range p.Choices {
			switch c.(type) {
			case string, int, float64, bool:
			default:
				return p, nil, false, fmt.Errorf("choice %v: want numbers, strings or booleans", c)
			}
		}
		return p, nil, false, nil
	case yaml.MappingNode:
		var r struct {
			Low  *float64 `yaml:"low"`
			High *float64 `yaml:"high"`
			Log  bool     `yaml:"log"`
			Type string   `yaml:"type"`
		}
		if err := v.Decode(&r); err != nil {
			return p, nil, false, err
		}
		for i := 0; i < len(v.Content); i += 2 {
			if k := v.Content[i].Value; !slices.Contains([]string{"low", "high", "log", "type"}, k) {
				return p, nil, false, fmt.Errorf("unknown key %q in a range (want low, high, log, type)", k)
			}
		}
		if r.Low == nil || r.High == nil {
			return p, nil, false, fmt.Errorf("a range needs low and high")
		}
		p.Low, p.High, p.Log = *r.Low, *r.High, r.Log
		switch r.Type {
		case "", "float":
			p.Type = "float"
		case "int":
			p.Type = "int"
			if p.Low != math.Trunc(p.Low) || p.High != math.Trunc(p.High) {
				return p, nil, false, fmt.Errorf("an int range needs whole bounds, got %g and %g", p.Low, p.High)
			}
		default:
			return p, nil, false, fmt.Errorf("type %q: want float or int", r.Type)
		}
		if !(p.Low <= p.High) || math.IsInf(p.Low, 0) || math.IsInf(p.High, 0) {
			return p, nil, false, fmt.Errorf("want low <= high, got %g and %g", p.Low, p.High)
		}
		if p.Log && p.Low <= 0 {
			return p, nil, false, fmt.Errorf("a log range needs low > 0, got %g", p.Low)
		}
		return p, nil, false, nil
	case yaml.ScalarNode:
		var x any
		if err := v.Decode(&x); err != nil {
			return p, nil, false, err
		}
		return p, x, true, nil
	}
	return p, nil, false, fmt.Errorf("want a list, a range or a value")
}

// Override returns s with the parameters of o replacing (or adding to) its
// own, o's fixed values removing them from the space.
func (s Space) Override(o Space) Space {
	out := Space{Fixed: map[string]any{}}
	for k, v := range s.Fixed {
		out.Fixed[k] = v
	}
	byName := map[string]Param{}
	for _, p := range o.Params {
		byName[p.Name] = p
	}
	for _, p := range s.Params {
		if _, fixed := o.Fixed[p.Name]; fixed || slices.Contains(o.Drop, p.Name) {
			continue
		}
		if q, ok := byName[p.Name]; ok {
			p = q
			delete(byName, p.Name)
		}
		out.Params = append(out.Params, p)
	}
	for _, p := range o.Params {
		if _, left := byName[p.Name]; left {
			out.Params = append(out.Params, p)
		}
	}
	for k, v := range o.Fixed {
		out.Fixed[k] = v
	}
	for _, k := range o.Drop {
		delete(out.Fixed, k)
	}
	return out
}

// LoadSpace is DefaultSpace(algo) overridden by the space file at path
// (none when path is "").
func LoadSpace(algo, path string) (Space, error) {
	var base Space
	var err error
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Space{}, fmt.Errorf("--space: %w", err)
		}
		o, err := ParseSpace(data, path)
		if err != nil {
			return Space{}, err
		}
		if base, err = DefaultSpace(algo); err != nil {
			// No built-in space: the file is the whole space.
			return o, nil
		}
		return base.Override(o), nil
	}
	base, err = DefaultSpace(algo)
	return base, err
}

// netArch maps rl-zoo's net_arch names to hidden layers.
var netArch = map[string][]int{"tiny": {64}, "small": {64, 64}, "medium": {256, 256}, "big": {400, 300}}

// targets are the hyperparameters (names of `xlrl train --hp`) that a
// sampled parameter sets, and the train flags that, when given, fix them.
func targets(param, algo string) (hp []string, flags []string) {
	switch param {
	case "net_arch":
		return []string{"hidden"}, []string{"layers", "arch"}
	case "one_minus_gamma", "gamma":
		return []string{"gamma"}, []string{"gamma"}
	case "learning_rate":
		if algo == "a2c" || algo == "reinforce" {
			return []string{"learning_rate", "vf_learning_rate"}, []string{"lr"}
		}
		return []string{"learning_rate"}, []string{"lr"}
	case "subsample_steps":
		return []string{"gradient_steps"}, nil
	case "activation_fn":
		return []string{"activation"}, []string{"arch"}
	}
	return []string{param}, nil
}

// Fix removes from s the parameters whose hyperparameters the base
// configuration already fixes (by --hp names or by train flags such as
// --lr and --layers), so that tuning never overrides a value the user chose.
// It returns the removed names.
func (s *Space) Fix(algo string, b *Base) []string {
	var kept []Param
	var removed []string
	for _, p := range s.Params {
		hp, flags := targets(p.Name, algo)
		fixed := false
		for _, h := range hp {
			if _, ok := b.HP[h]; ok {
				fixed = true
			}
		}
		for _, f := range flags {
			if b.HasFlag(f) {
				fixed = true
			}
		}
		if fixed {
			removed = append(removed, p.Name)
			continue
		}
		kept = append(kept, p)
	}
	s.Params = kept
	return removed
}

// Check verifies that every parameter of s sets hyperparameters that algo
// has (known: the JSON names of its configuration).
func (s Space) Check(algo string, known []string) error {
	names := make([]string, 0, len(s.Params)+len(s.Fixed))
	for _, p := range s.Params {
		names = append(names, p.Name)
		if p.Name == "net_arch" {
			for _, c := range p.Choices {
				if _, ok := netArch[fmt.Sprint(c)]; !ok {
					return fmt.Errorf("net_arch choice %v: want tiny, small, medium or big", c)
				}
			}
		}
	}
	for k := range s.Fixed {
		names = append(names, k)
	}
	sort.Strings(names)
	setBy := map[string]string{}
	for _, n := range names {
		hp, _ := targets(n, algo)
		for _, h := range hp {
			if other, ok := setBy[h]; ok {
				return fmt.Errorf("search space parameters %q and %q both set %s: give one of them as null in --space to drop it", other, n, h)
			}
			setBy[h] = n
			if !slices.Contains(known, h) {
				return fmt.Errorf("search space parameter %q: %s has no hyperparameter %q (it has %s)",
					n, algo, h, strings.Join(known, ", "))
			}
		}
	}
	return nil
}

// HPSettings turns sampled (or fixed) parameter values into `--hp name=value`
// settings, in a stable order. trainFreq is the train_freq the run uses when
// none was sampled (subsample_steps needs it).
func HPSettings(algo string, values map[string]any, trainFreq int) ([]string, error) {
	out := map[string]string{}
	if tf, ok := values["train_freq"]; ok {
		n, err := asInt(tf)
		if err != nil {
			return nil, fmt.Errorf("train_freq: %w", err)
		}
		trainFreq = n
	}
	for name, v := range values {
		hp, _ := targets(name, algo)
		var s string
		switch name {
		case "net_arch":
			layers, ok := netArch[fmt.Sprint(v)]
			if !ok {
				return nil, fmt.Errorf("net_arch %v: want tiny, small, medium or big", v)
			}
			b, _ := json.Marshal(layers)
			s = string(b)
		case "one_minus_gamma":
			f, err := asFloat(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			s = formatFloat(1 - f)
		case "subsample_steps":
			n, err := asInt(v)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("subsample_steps %v: want a positive integer", v)
			}
			if trainFreq <= 0 {
				return nil, fmt.Errorf("subsample_steps needs train_freq")
			}
			s = strconv.Itoa(max(trainFreq/n, 1))
		default:
			s = formatValue(v)
		}
		for _, h := range hp {
			out[h] = s
		}
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	settings := make([]string, len(keys))
	for i, k := range keys {
		settings[i] = k + "=" + out[k]
	}
	return settings, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, _ := strconv.ParseFloat(fmt.Sprint(x), 64)
		return f, nil
	}
	return 0, fmt.Errorf("want a number, got %v", v)
}

func asInt(v any) (int, error) {
	f, err := asFloat(v)
	if err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("want an integer, got %v", v)
	}
	return int(f), nil
}
