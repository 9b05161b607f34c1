package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type netConfig struct {
	Hidden []int  `yaml:"hidden"`
	Act    string `yaml:"activation"`
}

type testConfig struct {
	Env     string        `yaml:"env"`
	Steps   int           `yaml:"steps"`
	Gamma   float64       `yaml:"gamma"`
	Double  bool          `yaml:"double"`
	Timeout time.Duration `yaml:"timeout"`
	Net     netConfig     `yaml:"net"`
	Tags    []string      `yaml:"tags"`
}

func defaults() testConfig {
	return testConfig{Env: "CartPole-v1", Steps: 1000, Gamma: 0.99, Net: netConfig{Hidden: []int{32}, Act: "relu"}}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    []string // substrings; empty: no error
		check      func(testConfig) bool
	}{
		{name: "partial keeps defaults", yaml: "steps: 5\n",
			check: func(c testConfig) bool { return c.Steps == 5 && c.Gamma == 0.99 && c.Env == "CartPole-v1" }},
		{name: "nested and duration", yaml: "net:\n  hidden: [64, 64]\ntimeout: 30s\n",
			check: func(c testConfig) bool {
				return len(c.Net.Hidden) == 2 && c.Net.Act == "relu" && c.Timeout == 30*time.Second
			}},
		{name: "empty file", yaml: "", check: func(c testConfig) bool { return c.Steps == 1000 }},
		{name: "unknown key with suggestion", yaml: "env: X\ngama: 0.9\n",
			wantErr: []string{"cfg.yaml:2", `unknown key "gama"`, `did you mean "gamma"`, "known keys:"}},
		{name: "unknown nested key", yaml: "net:\n  hiden: [1]\n",
			wantErr: []string{"cfg.yaml:2", `unknown key "net.hiden"`}},
		{name: "wrong type int", yaml: "steps: many\n",
			wantErr: []string{"cfg.yaml:1", `key "steps"`, "want an integer", `"many"`}},
		{name: "wrong type float", yaml: "gamma: [1]\n", wantErr: []string{`key "gamma"`, "want a number", "a list"}},
		{name: "wrong type bool", yaml: "double: maybe\n", wantErr: []string{`key "double"`, "true or false"}},
		{name: "wrong type nested list", yaml: "net:\n  hidden: [a]\n",
			wantErr: []string{"cfg.yaml:2", `key "net.hidden"`, "a list of integers"}},
		{name: "struct given a scalar", yaml: "net: 3\n", wantErr: []string{`key "net"`, "want a mapping"}},
		{name: "not a mapping", yaml: "- a\n- b\n", wantErr: []string{"cfg.yaml:1", "mapping"}},
		{name: "syntax error", yaml: "env: [\n", wantErr: []string{"cfg.yaml"}},
		{name: "duplicate key", yaml: "steps: 1\nsteps: 2\n", wantErr: []string{"cfg.yaml", "steps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults()
			err := DecodeConfig("cfg.yaml", []byte(tt.yaml), &cfg)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(cfg) {
					t.Fatalf("decoded %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, decoded %+v", cfg)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestWriteConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFile)
	want := defaults()
	want.Tags = []string{"a", "b"}
	want.Timeout = time.Minute
	if err := WriteConfig(path, want); err != nil {
		t.Fatal(err)
	}
	var got testConfig
	if err := LoadConfig(path, &got); err != nil {
		t.Fatal(err)
	}
	if got.Env != want.Env || got.Steps != want.Steps || got.Timeout != want.Timeout ||
		len(got.Net.Hidden) != 1 || len(got.Tags) != 2 {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
	m, err := ReadConfigMap(path)
	if err != nil || m["env"] != "CartPole-v1" {
		t.Fatalf("ReadConfigMap = %v, %v", m, err)
	}
}

func TestResolveFlagsOverrideFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("env: MountainCar-v0\nsteps: 7\ngamma: 0.5\ntags: [x, y]\n"), 0o644)

	cfg := defaults()
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	fs.StringVar(&cfg.Env, "env", cfg.Env, "")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "")
	fs.Float64Var(&cfg.Gamma, "gamma", cfg.Gamma, "")
	fs.BoolVar(&cfg.Double, "double", cfg.Double, "")
	fs.StringSliceVar(&cfg.Tags, "tags", nil, "")
	if err := fs.Parse([]string{"--steps", "42", "--tags", "p,q", "--double"}); err != nil {
		t.Fatal(err)
	}
	if err := Resolve(fs, path, &cfg); err != nil {
		t.Fatal(err)
	}
	// Flags set: steps, tags, double. File: env, gamma. Default: net.
	if cfg.Steps != 42 || !cfg.Double || strings.Join(cfg.Tags, ",") != "p,q" {
		t.Errorf("flags did not win: %+v", cfg)
	}
	if cfg.Env != "MountainCar-v0" || cfg.Gamma != 0.5 {
		t.Errorf("file did not override defaults: %+v", cfg)
	}
	if cfg.Net.Act != "relu" {
		t.Errorf("default lost: %+v", cfg)
	}
}

func TestResolveBadFileFailsBeforeFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("stepz: 1\n"), 0o644)
	cfg := defaults()
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	if err := Resolve(fs, path, &cfg); err == nil || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), `"stepz"`) {
		t.Fatalf("err = %v", err)
	}
	if err := Resolve(fs, filepath.Join(t.TempDir(), "none.yaml"), &cfg); err == nil ||
		!strings.Contains(err.Error(), "none.yaml") {
		t.Fatalf("missing file: err = %v", err)
	}
}
