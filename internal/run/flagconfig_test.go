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
		{"tags: a\n", `key "tags": want a list`},
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
