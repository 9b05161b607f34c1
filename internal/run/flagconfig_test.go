package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type flagVals struct {
	env      string
	steps    int64
	seed     uint64
	lr       float64
	slippery bool
	tags     []string
	hp       []string
	layers   string
	config   string
}

func newFlags(v *flagVals) *pflag.FlagSet {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	fs.StringVar(&v.env, "env", "CartPole-v1", "environment id")
	fs.Int64Var(&v.steps, "steps", 1000, "environment steps\nover all episodes")
	fs.Uint64Var(&v.seed, "seed", 1, "random seed")
	fs.Float64Var(&v.lr, "lr", 1e-3, "learning rate")
	fs.BoolVar(&v.slippery, "slippery", true, "slippery ice")
	fs.StringSliceVar(&v.tags, "tags", nil, "labels")
	fs.StringArrayVar(&v.hp, "hp", nil, "hyperparameters, key=value (repeatable)")
	fs.StringVar(&v.layers, "layers", "", "hidden layer sizes, e.g. 64,64")
	fs.StringVar(&v.config, "config", "", "config file")
	return fs
}

func TestFlagConfigRoundTrip(t *testing.T) {
	var a flagVals
	fa := newFlags(&a)
	if err := fa.Parse([]string{"--env", "Taxi-v3", "--steps", "77", "--lr", "2.5e-05", "--slippery=false", "--tags", "x,y", "--config", "c.yaml"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), ConfigFile)
	if err := WriteFlagConfig(path, fa, "tuned: lr 0.1", "config"); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{"# environment id\nenv: Taxi-v3\n", "# environment steps\n# over all episodes\nsteps: 77\n",
		"# random seed\n# seed: 1\n", "# tuned: lr 0.1"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "config:") {
		t.Errorf("skipped flag written:\n%s", text)
	}

	var b flagVals
	fb := newFlags(&b)
	fb.Parse([]string{"--steps", "5"}) // the command line wins over the file
	if err := LoadFlagConfig(fb, path, "config"); err != nil {
		t.Fatal(err)
	}
	if b.env != "Taxi-v3" || b.steps != 5 || b.lr != 2.5e-05 || b.slippery || strings.Join(b.tags, ",") != "x,y" || b.seed != 1 {
		t.Fatalf("loaded %+v", b)
	}
	if !fb.Changed("lr") || !fb.Changed("env") {
		t.Fatal("flags set from the file must count as changed")
	}
	if fb.Changed("seed") {
		t.Fatal("a flag left at its default must stay unset through the file")
	}
}

func TestLoadFlagConfigErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"stpes: 5\n", `c.yaml:1: unknown key "stpes" (did you mean "steps"?)`},
		{"config: other.yaml\n", `unknown key "config"`},
		{"env: x\nsteps: lots\n", `c.yaml:2: key "steps": want an integer, got "lots"`},
		{"seed: -1\n", `key "seed": want a non-negative integer`},
		{"lr: [1]\n", `key "lr": want a number, got a list`},
		{"slippery: sometimes\n", `key "slippery": want true or false`},
		{"env: 5\n", `key "env": want a string, got "5"`},
		{"tags: {a: [1]}\n", `c.yaml:1: key "tags": want key: value items with plain values (such as {train_freq: 4}), got a list for "a"`},
		{"hp: [[1]]\n", `key "hp": want a list of values, got a list at item 1`},
		{"layers: [32, [1]]\n", `key "layers": want a list of plain values (such as [32, 32]), got a list at item 2`},
		{"layers: {a: 1}\n", `key "layers": want a string, got a mapping`},
		{"steps: 1\nsteps: 2\n", `given twice`},
		{"[1, 2]\n", "mapping"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		var v flagVals
		err := LoadFlagConfig(newFlags(&v), path, "config")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}

// TestLoadFlagConfigTakesWhatPeopleWrite: list flags take lists, mappings
// and single values; comma-list string flags take YAML lists.
func TestLoadFlagConfigTakesWhatPeopleWrite(t *testing.T) {
	for _, tc := range []struct {
		yaml   string
		hp     []string
		tags   []string
		layers string
	}{
		{yaml: "hp: {train_freq: 4, double: false}\n", hp: []string{"train_freq=4", "double=false"}},
		{yaml: "hp:\n  train_freq: 4\n  lr: 1e-3\n", hp: []string{"train_freq=4", "lr=1e-3"}},
		{yaml: "hp: [train_freq=4, double=false]\n", hp: []string{"train_freq=4", "double=false"}},
		{yaml: "hp:\n  - train_freq: 4\n  - double=false\n", hp: []string{"train_freq=4", "double=false"}},
		{yaml: "hp: train_freq=4\n", hp: []string{"train_freq=4"}},
		{yaml: "hp: []\n", hp: []string{}},
		{yaml: "hp:\n", hp: []string{}},
		{yaml: "tags: x,y\n", tags: []string{"x", "y"}}, // as on the command line
		{yaml: "layers: [32, 32]\n", layers: "32,32"},
		{yaml: "layers: [64]\n", layers: "64"},
		{yaml: "layers: \"64,64\"\n", layers: "64,64"},
		{yaml: "layers: 64,64\n", layers: "64,64"},
	} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(tc.yaml), 0o644)
		var v flagVals
		fs := newFlags(&v)
		if err := LoadFlagConfig(fs, path, "config"); err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if tc.hp != nil && (strings.Join(v.hp, " ") != strings.Join(tc.hp, " ") || !fs.Changed("hp")) {
			t.Errorf("%q: hp = %q (changed %v), want %q", tc.yaml, v.hp, fs.Changed("hp"), tc.hp)
		}
		if tc.tags != nil && strings.Join(v.tags, " ") != strings.Join(tc.tags, " ") {
			t.Errorf("%q: tags = %q, want %q", tc.yaml, v.tags, tc.tags)
		}
		if v.layers != tc.layers {
			t.Errorf("%q: layers = %q, want %q", tc.yaml, v.layers, tc.layers)
		}
	}
}

// TestWrittenListsReadBack: what WriteFlagConfig writes for the list and
// comma-list flags reads back to the same values.
func TestWrittenListsReadBack(t *testing.T) {
	var a flagVals
	fa := newFlags(&a)
	if err := fa.Parse([]string{"--hp", "train_freq=4", "--hp", "double=false", "--layers", "32,32"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), ConfigFile)
	if err := WriteFlagConfig(path, fa, "", "config"); err != nil {
		t.Fatal(err)
	}
	var b flagVals
	if err := LoadFlagConfig(newFlags(&b), path, "config"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(b.hp, " ") != "train_freq=4 double=false" || b.layers != "32,32" {
		t.Fatalf("read back hp %q, layers %q", b.hp, b.layers)
	}
}
