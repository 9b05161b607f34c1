package flagcheck

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/run"
)

// FuzzConfig reads any bytes as a --config file into a train-like flag set
// and checks it: never a panic, and a file that passes gives finite values
// within the declared rules.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("env: CartPole-v1\nsteps: 1000\ngamma: 0.99\n"))
	f.Add([]byte("gamma: .nan\n"))
	f.Add([]byte("steps: -5\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("- 1\n- 2\n"))
	path := filepath.Join(f.TempDir(), "config.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
		steps := fs.Int64("steps", 0, "")
		gamma := fs.Float64("gamma", 0, "")
		fs.String("env", "", "")
		fs.StringArray("hp", nil, "")
		Declare(fs, "steps", "[1,inf)")
		Declare(fs, "gamma", "(0,1]")
		if err := run.LoadFlagConfig(fs, path); err != nil {
			return
		}
		if err := Check(fs); err != nil {
			return
		}
		if fs.Changed("steps") && *steps < 1 {
			t.Fatalf("steps %d passed", *steps)
		}
		if fs.Changed("gamma") && (math.IsNaN(*gamma) || *gamma <= 0 || *gamma > 1) {
			t.Fatalf("gamma %v passed", *gamma)
		}
	})
}
