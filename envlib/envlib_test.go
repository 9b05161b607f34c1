package envlib

import (
	"math"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{"", 0, ""},
		{`{"map": "4x4", "slippery": false, "max_episode_steps": 9}`, 3, ""},
		{`{"colour": "red"}`, 0, "unknown field"},
		{`{"slippery": "yes"}`, 0, "cannot unmarshal"},
	}
	for _, tt := range tests {
		opts, err := parseOptions(tt.text)
		if tt.want != "" {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %v, want %q", tt.text, err, tt.want)
			}
			continue
		}
		if err != nil || len(opts) != tt.n {
			t.Errorf("%s: %d options, %v", tt.text, len(opts), err)
		}
	}
	opts, _ := parseOptions(`{"map": "4x4", "slippery": false, "max_episode_steps": 9}`)
	e, err := env.Make("FrozenLake-v1", opts...)
	if err != nil || e.Spec().MaxEpisodeSteps != 9 {
		t.Fatalf("options not applied: %v", err)
	}
}

func TestWireSpecCarriesInfinities(t *testing.T) {
	s, _ := env.Lookup("CartPole-v1")
	w := toWireSpec(s)
	if w.Observation.High[1] != math.MaxFloat64 || w.Observation.Low[1] != -math.MaxFloat64 || w.Observation.Shape[0] != 4 {
		t.Fatalf("%+v", w.Observation)
	}
	if w.Action.Kind != "discrete" || w.Action.N != 2 || w.MaxEpisodeSteps != 500 {
		t.Fatalf("%+v", w)
	}
}
