package tune

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSpace(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Param
		fixed      map[string]any
		err        string
	}{
		{name: "categorical", text: "batch_size: [16, 32]\nnet_arch: [tiny, small]",
			want: []Param{{Name: "batch_size", Type: "categorical", Choices: []any{16, 32}},
				{Name: "net_arch", Type: "categorical", Choices: []any{"tiny", "small"}}}},
		{name: "float log", text: "learning_rate: {low: 1.0e-5, high: 1, log: true}",
			want: []Param{{Name: "learning_rate", Type: "float", Low: 1e-5, High: 1, Log: true}}},
		{name: "int", text: "n: {low: 1, high: 8, type: int}", want: []Param{{Name: "n", Type: "int", Low: 1, High: 8}}},
		{name: "fixed", text: "learning_starts: 0\ngamma: [0.9]", fixed: map[string]any{"learning_starts": 0},
			want: []Param{{Name: "gamma", Type: "categorical", Choices: []any{0.9}}}},
		{name: "null drops", text: "gamma: null\nx:\nbatch_size: [16]", want: []Param{{Name: "batch_size", Type: "categorical", Choices: []any{16}}}},
		{name: "low above high", text: "x: {low: 2, high: 1}", err: "x: want low <= high"},
		{name: "log of zero", text: "x: {low: 0, high: 1, log: true}", err: "log range needs low > 0"},
		{name: "unknown range key", text: "x: {low: 0, hgh: 1}", err: `unknown key "hgh"`},
		{name: "missing high", text: "x: {low: 0}", err: "needs low and high"},
		{name: "empty list", text: "x: []", err: "empty list"},
		{name: "twice", text: "x: [1]\nx: [2]", err: "given twice"},
		{name: "not a mapping", text: "- a", err: "maps parameter names"},
		{name: "int with fraction", text: "x: {low: 0.5, high: 2, type: int}", err: "whole bounds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := ParseSpace([]byte(tc.text), "f.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "f.yaml:") {
					t.Errorf("err %q does not name the file and line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sp.Params, tc.want) {
				t.Errorf("params = %+v, want %+v", sp.Params, tc.want)
			}
			if tc.fixed != nil && !reflect.DeepEqual(sp.Fixed, tc.fixed) {
				t.Errorf("fixed = %v, want %v", sp.Fixed, tc.fixed)
			}
		})
	}
}

// The built-in DQN space is rl-zoo's sample_dqn_params.
func TestDefaultSpaceDQNIsRLZoos(t *testing.T) {
	sp, err := DefaultSpace("dqn")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Param{}
	var names []string
	for _, p := range sp.Params {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	want := []string{"gamma", "learning_rate", "batch_size", "buffer_size", "exploration_final_eps",
		"exploration_fraction", "target_update_interval", "learning_starts", "train_freq", "subsample_steps", "net_arch"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	if p := byName["learning_rate"]; p.Type != "float" || p.Low != 1e-5 || p.High != 1 || !p.Log {
		t.Errorf("learning_rate = %+v", p)
	}
	if p := byName["train_freq"]; !reflect.DeepEqual(p.Choices, []any{1, 4, 8, 16, 128, 256, 1000}) {
		t.Errorf("train_freq = %+v", p)
	}
	if p := byName["exploration_fraction"]; p.Low != 0 || p.High != 0.5 {
		t.Errorf("exploration_fraction = %+v", p)
	}
	for _, a := range Algorithms() {
		if _, err := DefaultSpace(a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	if _, err := DefaultSpace("q-learning"); err == nil || !strings.Contains(err.Error(), "dqn") {
		t.Errorf("unknown algorithm: err = %v, want one that lists the known ones", err)
	}
}

func TestOverride(t *testing.T) {
	base, _ := ParseSpace([]byte("a: [1, 2]\nb: {low: 0, high: 1}\nc: [x, y]"), "base")
	o, _ := ParseSpace([]byte("b: {low: 0.5, high: 0.6}\nc: x\nd: [3]\na: null"), "o")
	got := base.Override(o)
	var names []string
	for _, p := range got.Params {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{"b", "d"}) {
		t.Errorf("params %v, want b (overridden), d (added); a dropped, c fixed", names)
	}
	if got.Params[0].Low != 0.5 {
		t.Errorf("b = %+v, want the override's range", got.Params[0])
	}
	if got.Fixed["c"] != "x" {
		t.Errorf("fixed = %v, want c: x", got.Fixed)
	}
}

func TestFixRemovesWhatTheBaseSets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("env: CartPole-v1\nlayers: 32,32\nhp: [train_freq=4]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := NewBase(cfg, []Flag{{"lr", "0.001"}}, []string{"gradient_steps=2", "batch_size=64"})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := DefaultSpace("dqn")
	removed := sp.Fix("dqn", b)
	want := []string{"learning_rate", "batch_size", "train_freq", "subsample_steps", "net_arch"}
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range sp.Params {
		for _, w := range want {
			if p.Name == w {
				t.Errorf("%s is still searched", w)
			}
		}
	}
}

// FitBudget leaves out the step-counted choices a trial's budget cannot
// reach, and nothing else.
func TestFitBudget(t *testing.T) {
	choices := func(sp Space, name string) []any {
		for _, p := range sp.Params {
			if p.Name == name {
				return p.Choices
			}
		}
		return nil
	}
	tests := []struct {
		budget int64
		want   []string
		starts []any // learning_starts' choices after
	}{
		{20000, []string{"target_update_interval 20000", "learning_starts 20000"}, []any{0, 1000, 5000, 10000}},
		{1000, []string{"target_update_interval 1000", "target_update_interval 5000", "target_update_interval 10000",
			"target_update_interval 15000", "target_update_interval 20000", "learning_starts 1000", "learning_starts 5000",
			"learning_starts 10000", "learning_starts 20000", "train_freq 1000"}, []any{0}},
		{1_000_000, nil, []any{0, 1000, 5000, 10000, 20000}},
	}
	for _, tt := range tests {
		sp, _ := DefaultSpace("dqn")
		before := len(sp.Params)
		sp.FitBudget(tt.budget)
		if !reflect.DeepEqual(sp.Unreachable, tt.want) {
			t.Errorf("budget %d: left out %v, want %v", tt.budget, sp.Unreachable, tt.want)
		}
		if got := choices(sp, "learning_starts"); !reflect.DeepEqual(got, tt.starts) {
			t.Errorf("budget %d: learning_starts %v, want %v", tt.budget, got, tt.starts)
		}
		if len(sp.Params) != before || len(choices(sp, "batch_size")) != 7 {
			t.Errorf("budget %d: changed parameters that are not counted in steps", tt.budget)
		}
	}
	// A parameter none of whose choices fits keeps them all.
	sp := Space{Params: []Param{{Name: "learning_starts", Type: "categorical", Choices: []any{5000, 10000}}}}
	sp.FitBudget(100)
	if len(sp.Params[0].Choices) != 2 || sp.Unreachable != nil {
		t.Errorf("no choice fits: %v, left out %v; want both kept", sp.Params[0].Choices, sp.Unreachable)
	}
}

func TestCheck(t *testing.T) {
	known := []string{"gamma", "hidden", "learning_rate", "train_freq", "gradient_steps"}
	ok, _ := ParseSpace([]byte("one_minus_gamma: [0.01]\nnet_arch: [tiny]\nsubsample_steps: [2]"), "s")
	if err := ok.Check("dqn", known); err != nil {
		t.Errorf("a space of known targets: %v", err)
	}
	bad, _ := ParseSpace([]byte("gama: [0.9]"), "s")
	if err := bad.Check("dqn", known); err == nil || !strings.Contains(err.Error(), `"gama"`) {
		t.Errorf("unknown parameter: err = %v", err)
	}
	both, _ := ParseSpace([]byte("gamma: [0.9]\none_minus_gamma: {low: 0.001, high: 0.1}"), "s")
	if err := both.Check("dqn", known); err == nil || !strings.Contains(err.Error(), `both set gamma`) {
		t.Errorf("two parameters of one hyperparameter: err = %v", err)
	}
	arch, _ := ParseSpace([]byte("net_arch: [huge]"), "s")
	if err := arch.Check("dqn", known); err == nil || !strings.Contains(err.Error(), "huge") {
		t.Errorf("unknown net_arch: err = %v", err)
	}
}

func TestHPSettings(t *testing.T) {
	tests := []struct {
		name   string
		algo   string
		values map[string]any
		tf     int
		want   []string
		err    string
	}{
		{name: "rl-zoo conversions", algo: "dqn",
			values: map[string]any{"net_arch": "small", "train_freq": 256, "subsample_steps": 4, "learning_rate": 0.001, "double": true},
			want:   []string{"double=true", "gradient_steps=64", "hidden=[64,64]", "learning_rate=0.001", "train_freq=256"}},
		{name: "subsample from the base's train_freq", algo: "dqn", values: map[string]any{"subsample_steps": 8}, tf: 4,
			want: []string{"gradient_steps=1"}},
		{name: "a2c: gamma and both rates", algo: "a2c",
			values: map[string]any{"one_minus_gamma": 0.01, "learning_rate": 0.0007, "activation_fn": "relu"},
			want:   []string{"activation=relu", "gamma=0.99", "learning_rate=0.0007", "vf_learning_rate=0.0007"}},
		{name: "bad net_arch", algo: "dqn", values: map[string]any{"net_arch": "huge"}, err: "net_arch huge"},
		{name: "subsample without train_freq", algo: "dqn", values: map[string]any{"subsample_steps": 2}, err: "needs train_freq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HPSettings(tc.algo, tc.values, tc.tf)
			if !wantError(t, err, tc.err) {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrainArgs(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("algo: dqn\nhp: [double=false, batch_size=32]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := NewBase(cfg, []Flag{{"env", "CartPole-v1"}, {"seed", "3"}}, []string{"batch_size=64"})
	if err != nil {
		t.Fatal(err)
	}
	got := b.TrainArgs([]Flag{{"seed", "7"}}, []string{"gamma=0.9"}, "out/0001")
	want := []string{"train", "--config", cfg, "--env=CartPole-v1", "--seed=3", "--seed=7",
		"--hp", "double=false", "--hp", "batch_size=64", "--hp", "gamma=0.9",
		"--out", "out/0001", "--json", "--plot=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	if v, _ := b.Get("algo"); v != "dqn" {
		t.Errorf("Get(algo) = %q, want the file's dqn", v)
	}
	if _, err := NewBase("", nil, []string{"novalue"}); err == nil || !strings.Contains(err.Error(), "name=value") {
		t.Errorf("--hp without =: err = %v", err)
	}
}
