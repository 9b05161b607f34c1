package run

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/atomicfile"
	"gopkg.in/yaml.v3"
)

// A command whose configuration is its flags (xlrl train) gets a config file
// for free: every flag is a key of the same name, with the flag's type and
// default. LoadFlagConfig reads such a file into the flags the user did not
// set; WriteFlagConfig writes the flags back out, each under its help text.

// LoadFlagConfig sets, from the YAML file at path, every flag the command
// line did not set. A key that is not a flag, a flag in skip (such as
// --config itself) or a value the flag does not accept is an error naming the
// file, the line and the key. A flag set from the file counts as Changed, as
// if the user had typed it.
func LoadFlagConfig(fs *pflag.FlagSet, path string, skip ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: a config file is a mapping of keys to values (key: value), not %s",
			path, root.Line, nodeDesc(root))
	}
	known := map[string][]int{}
	fs.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(skip, f.Name) {
			known[f.Name] = nil
		}
	})
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("%s:%d: key %q is given twice (first on line %d)", path, k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		if _, ok := known[k.Value]; !ok {
			return fmt.Errorf("%s:%d: unknown key %q%s", path, k.Line, k.Value, suggest(k.Value, known))
		}
		f := fs.Lookup(k.Value)
		if f.Changed {
			continue // the command line wins
		}
		if err := setFlagFromNode(fs, f, v); err != nil {
			var se *shapeError
			if errors.As(err, &se) {
				return fmt.Errorf("%s:%d: key %q: want %s", path, v.Line, k.Value, se.msg)
			}
			return fmt.Errorf("%s:%d: key %q: want %s, got %s", path, v.Line, k.Value, flagTypeDesc(f), nodeDesc(v))
		}
	}
	return nil
}

// setFlagFromNode sets f from the YAML value v, accepting what a person
// writes as well as what WriteFlagConfig writes:
//
//   - a list flag takes a list ([a, b]), a mapping of key: value items
//     ({train_freq: 4, double: false} for --hp, in the file's order) or one
//     scalar, read as on the command line;
//   - a string flag takes a list of scalars as its comma-separated form
//     (layers: [32, 32] is --layers 32,32).
//
// A *shapeError says what in v's shape is wrong; any other error means v is
// not of the flag's type.
func setFlagFromNode(fs *pflag.FlagSet, f *pflag.Flag, v *yaml.Node) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			return fs.Set(f.Name, v.Value)
		}
		items, err := listItems(v)
		if err != nil {
			return err
		}
		if err := sv.Replace(items); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	if v.Kind == yaml.SequenceNode && f.Value.Type() == "string" {
		items := make([]string, len(v.Content))
		for i, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				return &shapeError{fmt.Sprintf("a list of plain values (such as [32, 32]), got %s at item %d", nodeDesc(it), i+1)}
			}
			items[i] = it.Value
		}
		return fs.Set(f.Name, strings.Join(items, ","))
	}
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("not a scalar")
	}
	if f.Value.Type() == "string" && v.Tag != "!!str" && v.Tag != "!!null" {
		// env: 5 or algo: true is almost certainly a mistake, not an id.
		return fmt.Errorf("not a string")
	}
	val := v.Value
	if v.Tag == "!!null" {
		val = ""
	}
	return fs.Set(f.Name, val)
}

// shapeError is a value of the right kind with a wrong part inside.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

// listItems reads a list flag's items: a list of values or of one-key
// mappings, or a mapping (key: value becomes "key=value"); null is no item.
func listItems(v *yaml.Node) ([]string, error) {
	var items []string
	pairs := func(m *yaml.Node) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, val := m.Content[i], m.Content[i+1]
			if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
				return &shapeError{fmt.Sprintf("key: value items with plain values (such as {train_freq: 4}), got %s for %q", nodeDesc(val), k.Value)}
			}
			items = append(items, k.Value+"="+val.Value)
		}
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		if err := pairs(v); err != nil {
			return nil, err
		}
	case yaml.SequenceNode:
		for i, it := range v.Content {
			switch it.Kind {
			case yaml.ScalarNode:
				items = append(items, it.Value)
			case yaml.MappingNode:
				if err := pairs(it); err != nil {
					return nil, err
				}
			default:
				return nil, &shapeError{fmt.Sprintf("a list of values, got %s at item %d", nodeDesc(it), i+1)}
			}
		}
	case yaml.ScalarNode: // null
	default:
		return nil, fmt.Errorf("not a list")
	}
	return items, nil
}

func flagTypeDesc(f *pflag.Flag) string {
	switch t := f.Value.Type(); {
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "a string"
	case t == "duration":
		return "a duration such as 30s or 5m"
	case strings.HasSuffix(t, "Slice"), strings.HasSuffix(t, "Array"):
		return "a list"
	default:
		return t
	}
}

// WriteFlagConfig writes every flag of fs but those in skip as a YAML config
// file that LoadFlagConfig reads back, atomically. Each key carries its help
// text as a comment. Flags that were set (on the command line or from a
// config file) are keys; the others are written commented out with their
// default, so that reading the file back sets exactly what was set before:
// commands whose defaults depend on other flags ("0: tuned for this
// environment") resolve them the same way again. trailer, if not empty, is
// appended as comment lines (for values resolved at run time).
func WriteFlagConfig(path string, fs *pflag.FlagSet, trailer string, skip ...string) error {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(skip, f.Name) && !f.Hidden {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("# The configuration of this run: one key per flag. Keys commented out were\n" +
		"# left at their default. `--config " + path + "` starts a run with it;\n" +
		"# flags given next to --config override it.\n")
	for _, name := range names {
		f := fs.Lookup(name)
		val, err := flagYAML(f)
		if err != nil {
			return fmt.Errorf("writing %s: flag --%s: %w", path, name, err)
		}
		comment := ""
		if !f.Changed {
			comment = "# "
		}
		fmt.Fprintf(&b, "\n# %s\n%s%s: %s\n", strings.ReplaceAll(f.Usage, "\n", "\n# "), comment, name, val)
	}
	if trailer != "" {
		b.WriteString("\n# " + strings.ReplaceAll(strings.TrimRight(trailer, "\n"), "\n", "\n# ") + "\n")
	}
	return atomicfile.WriteFile(path, b.Bytes(), 0o644)
}

// flagYAML renders a flag's value as a YAML value of the matching type.
func flagYAML(f *pflag.Flag) (string, error) {
	var v any
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		v = sv.GetSlice()
	} else {
		s := f.Value.String()
		switch t := f.Value.Type(); {
		case t == "bool":
			v, _ = strconv.ParseBool(s)
		case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
			// Numbers are written as they print; YAML reads them back as numbers.
			return s, nil
		default:
			v = s
		}
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return "", err
	}
	n.Style = yaml.FlowStyle // a list stays on its key's line: [a, b]
	out, err := yaml.Marshal(&n)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
