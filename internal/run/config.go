package run

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// A configuration is a struct whose fields carry yaml tags; the same fields
// are bound to command-line flags. The precedence is: a flag the user set,
// then the --config file, then the default the flag was declared with.
//
//	type Config struct {
//		Env   string  `yaml:"env"`
//		Steps int     `yaml:"steps"`
//		Gamma float64 `yaml:"gamma"`
//	}
//	var cfg Config
//	cmd.Flags().StringVar(&cfg.Env, "env", "CartPole-v1", "environment id")
//	...
//	RunE: func(cmd *cobra.Command, _ []string) error {
//		if err := run.Resolve(cmd.Flags(), configPath, &cfg); err != nil { ... }
//
// Nested structs are nested mappings in the file.

// Resolve loads the YAML file at path (nothing when path is "") into cfg and
// then applies again every flag the user set on the command line, so that
// explicit flags win over the file.
func Resolve(flags *pflag.FlagSet, path string, cfg any) error {
	type setFlag struct {
		flag  *pflag.Flag
		value string
		slice []string
	}
	var set []setFlag
	flags.VisitAll(func(f *pflag.Flag) {
		if !f.Changed {
			return // Visit would miss flags set through another FlagSet
		}
		s := setFlag{flag: f, value: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = sv.GetSlice()
		}
		set = append(set, s)
	})
	if path != "" {
		if err := LoadConfig(path, cfg); err != nil {
			return err
		}
	}
	for _, s := range set {
		var err error
		if sv, ok := s.flag.Value.(pflag.SliceValue); ok {
			err = sv.Replace(s.slice)
		} else {
			err = s.flag.Value.Set(s.value)
		}
		if err != nil {
			return fmt.Errorf("applying --%s over %s: %w", s.flag.Name, path, err)
		}
	}
	return nil
}

// LoadConfig reads the YAML file at path into cfg, a pointer to a struct.
// Keys the struct does not have and values of the wrong type are errors that
// name the file, the line and the key; keys the file leaves out keep the
// values cfg already holds.
func LoadConfig(path string, cfg any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	return DecodeConfig(path, data, cfg)
}

// DecodeConfig is LoadConfig on bytes; name is used in error messages.
func DecodeConfig(name string, data []byte, cfg any) error {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("run.DecodeConfig: want a pointer to a struct, got %T", cfg)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: a config file is a mapping of keys to values (key: value), not %s",
			name, root.Line, nodeDesc(root))
	}
	return decodeMapping(name, "", root, v.Elem())
}

func decodeMapping(file, prefix string, m *yaml.Node, dst reflect.Value) error {
	fields := yamlFields(dst.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("%s:%d: key %q is given twice (first on line %d)", file, k.Line, key, line)
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("%s:%d: unknown key %q%s", file, k.Line, key, suggest(k.Value, fields))
		}
		fv := dst.FieldByIndex(idx)
		if isPlainStruct(fv.Type()) {
			if val.Kind != yaml.MappingNode {
				return fmt.Errorf("%s:%d: key %q: want a mapping of keys to values, got %s",
					file, val.Line, key, nodeDesc(val))
			}
			if err := decodeMapping(file, key+".", val, fv); err != nil {
				return err
			}
			continue
		}
		// Decode into a fresh value so a failed key leaves the default intact.
		tmp := reflect.New(fv.Type())
		tmp.Elem().Set(fv)
		if err := val.Decode(tmp.Interface()); err != nil {
			return fmt.Errorf("%s:%d: key %q: want %s, got %s", file, val.Line, key, typeDesc(fv.Type()), nodeDesc(val))
		}
		fv.Set(tmp.Elem())
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// isPlainStruct says whether t is a struct the loader walks key by key
// rather than handing to yaml as one value.
func isPlainStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	_, custom := reflect.New(t).Interface().(yaml.Unmarshaler)
	return !custom
}

// yamlFields maps each key of struct type t to its field index, following
// yaml.v3's rules: the tag's name, else the lower-cased field name; "-"
// skips; ",inline" lifts the embedded struct's keys.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func typeDesc(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 30s or 5m"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeDesc(t.Elem()), "an "), "a ") + "s"
	case reflect.Map:
		return "a mapping"
	case reflect.Pointer:
		return typeDesc(t.Elem())
	}
	return t.String()
}

func nodeDesc(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

// suggest names the closest known key (a likely typo) and lists them all.
func suggest(key string, fields map[string][]int) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	sort.Strings(known)
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	var b strings.Builder
	if best != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", best)
	}
	fmt.Fprintf(&b, "; known keys: %s", strings.Join(known, ", "))
	return b.String()
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WriteConfig writes cfg as YAML to path, atomically, under a comment that
// says how to reuse it.
func WriteConfig(path string, cfg any) error {
	var buf bytes.Buffer
	buf.WriteString("# The full resolved configuration of this run.\n" +
		"# `--config " + path + "` starts a run with it; flags given next to --config override it.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// ReadConfigMap reads a run's config.yaml without knowing its struct, for
// commands (plot, eval) that only need a few keys such as env and algo.
func ReadConfigMap(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return m, nil
}
