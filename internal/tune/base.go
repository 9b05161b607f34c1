package tune

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Flag is one `xlrl train` flag and its value.
type Flag struct{ Name, Value string }

// Base is the configuration every trial (or sweep run) starts from: an
// optional `xlrl train` config file, train flags given on the tune or sweep
// command line, and --hp settings (the file's and the command line's).
type Base struct {
	Config string            // path of a train config (e.g. a run's config.yaml); "" for none
	Flags  []Flag            // train flags, in order; they win over the file
	HP     map[string]string // every --hp setting, the command line's over the file's
	hpKeys []string          // HP's keys in the order they were given
	file   map[string]any    // the config file's keys
}

// NewBase reads the config file at configPath (if any) and merges its --hp
// list with hp (name=value items, the command line's). The file is only
// read here: `xlrl train` reads it again and reports its mistakes by line.
func NewBase(configPath string, flags []Flag, hp []string) (*Base, error) {
	b := &Base{Config: configPath, Flags: flags, HP: map[string]string{}, file: map[string]any{}}
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if err := yaml.Unmarshal(data, &b.file); err != nil {
			return nil, fmt.Errorf("--config %s: %s", configPath, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if b.file == nil {
			b.file = map[string]any{}
		}
		if raw, ok := b.file["hp"]; ok {
			items, ok := raw.([]any)
			if !ok {
				return nil, fmt.Errorf("--config %s: key \"hp\": want a list of name=value items", configPath)
			}
			for _, it := range items {
				if err := b.addHP(fmt.Sprint(it)); err != nil {
					return nil, fmt.Errorf("--config %s: %w", configPath, err)
				}
			}
		}
	}
	for _, kv := range hp {
		if err := b.addHP(kv); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *Base) addHP(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("--hp %q: want name=value, e.g. --hp double=false", kv)
	}
	if _, seen := b.HP[k]; !seen {
		b.hpKeys = append(b.hpKeys, k)
	}
	b.HP[k] = v
	return nil
}

// HasFlag reports whether the train flag name is set, on the command line
// or in the config file.
func (b *Base) HasFlag(name string) bool {
	_, ok := b.Get(name)
	return ok
}

// Get is the value of the train flag name: the command line's, else the
// config file's.
func (b *Base) Get(name string) (string, bool) {
	for i := len(b.Flags) - 1; i >= 0; i-- {
		if b.Flags[i].Name == name {
			return b.Flags[i].Value, true
		}
	}
	if v, ok := b.file[name]; ok && v != nil {
		return fmt.Sprint(v), true
	}
	return "", false
}

// HPList is every --hp setting as name=value, in the order given.
func (b *Base) HPList() []string {
	out := make([]string, len(b.hpKeys))
	for i, k := range b.hpKeys {
		out[i] = k + "=" + b.HP[k]
	}
	return out
}

// TrainArgs is the command line (after the executable) of one trial or
// sweep run: `xlrl train` with the base configuration, the flags extra on
// top, the base's --hp settings and then hp, writing its run directory to
// out and its result as JSON. It is the one place that knows train's flags.
func (b *Base) TrainArgs(extra []Flag, hp []string, out string) []string {
	args := []string{"train"}
	if b.Config != "" {
		args = append(args, "--config", b.Config)
	}
	for _, f := range b.Flags {
		args = append(args, "--"+f.Name+"="+f.Value)
	}
	for _, f := range extra {
		args = append(args, "--"+f.Name+"="+f.Value)
	}
	// --hp on the command line replaces the file's list, so the whole list
	// is passed: the file's, the tune command line's, then the sampled ones.
	for _, kv := range append(b.HPList(), hp...) {
		args = append(args, "--hp", kv)
	}
	return append(args, "--out", out, "--json", "--plot=false")
}
