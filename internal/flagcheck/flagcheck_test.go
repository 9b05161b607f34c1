package flagcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func newSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	fs.Int64("steps", 0, "")
	fs.Int64("episodes", 0, "")
	fs.Int("window", 100, "")
	fs.Uint64("seed", 1, "")
	fs.Float64("explore-start", 0, "")
	fs.Float64("ucb-c", 0, "")
	fs.Float64("gamma", 0, "")
	fs.Float64("threshold", 0, "")
	fs.Float32("lr32", 0, "")
	fs.Duration("checkpoint-every", time.Second, "")
	fs.String("env", "x", "")
	Declare(fs, "steps", "[1,inf)")
	Declare(fs, "gamma", "(0,1]")
	Declare(fs, "threshold", "any")
	Declare(fs, "ucb-c", "[0,inf)")
	return fs
}

func TestCheck(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" when valid
	}{
		{nil, ""},
		{[]string{"--steps", "5", "--episodes", "0", "--gamma", "1", "--seed", "0"}, ""},
		{[]string{"--threshold", "-500"}, ""},
		{[]string{"--steps", "-5"}, "--steps -5: must be at least 1"},
		{[]string{"--steps", "0"}, "--steps 0: must be at least 1"},
		{[]string{"--episodes", "-5"}, "--episodes -5: must be at least 0"},
		{[]string{"--window", "-1"}, "--window -1: must be at least 0"},
		{[]string{"--explore-start", "nan"}, "--explore-start NaN: must be a finite number"},
		{[]string{"--ucb-c", "NaN"}, "--ucb-c NaN: must be a finite number"},
		{[]string{"--ucb-c", "-inf"}, "--ucb-c -Inf: must be a finite number"},
		{[]string{"--ucb-c", "-1"}, "--ucb-c -1: must be at least 0"},
		{[]string{"--threshold", "nan"}, "--threshold NaN: must be a finite number"},
		{[]string{"--gamma", "0"}, "--gamma 0: must be in (0, 1]"},
		{[]string{"--gamma", "1.5"}, "--gamma 1.5: must be in (0, 1]"},
		{[]string{"--lr32", "nan"}, "--lr32 NaN: must be a finite number"},
		{[]string{"--checkpoint-every", "-1s"}, "--checkpoint-every -1s: must not be negative"},
	}
	for _, tt := range tests {
		fs := newSet()
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		err := Check(fs)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestCheckNamesEveryBadFlag(t *testing.T) {
	fs := newSet()
	fs.Parse([]string{"--steps", "-5", "--ucb-c", "nan"})
	err := Check(fs)
	if err == nil || !strings.Contains(err.Error(), "--steps") || !strings.Contains(err.Error(), "--ucb-c") {
		t.Fatalf("err = %v, want both flags named", err)
	}
}

func TestCheckIgnoresUnsetFlags(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Float64("lr", 0, "") // 0: "tuned", never given
	Declare(fs, "lr", "(0,1]")
	if err := Check(fs); err != nil {
		t.Fatal(err)
	}
}

func TestDeclareRefusesBadRules(t *testing.T) {
	for _, rule := range []string{"", "[1", "(a,2]", "[2,1]", "{0,1}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rule %q accepted", rule)
				}
			}()
			fs := newSet()
			Declare(fs, "steps", rule)
		}()
	}
}

func TestHP(t *testing.T) {
	tests := []struct {
		in, key, value, want string
	}{
		{"learning_rate=0.001", "learning_rate", "0.001", ""},
		{"double=false", "double", "false", ""},
		{"net_arch=[64,64]", "net_arch", "[64,64]", ""},
		{"learning_rate=nan", "", "", "--hp learning_rate=nan: not a finite number"},
		{"learning_rate=-Inf", "", "", "not a finite number"},
		{"learning_rate=1e999", "", "", "not a finite number"},
		{"=3", "", "", "want name=value"},
		{"lr", "", "", "want name=value"},
	}
	for _, tt := range tests {
		k, v, err := HP(tt.in)
		if tt.want == "" {
			if err != nil || k != tt.key || v != tt.value {
				t.Errorf("HP(%q) = %q, %q, %v", tt.in, k, v, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("HP(%q): err = %v, want %q", tt.in, err, tt.want)
		}
	}
}
