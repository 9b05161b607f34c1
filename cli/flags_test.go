package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagsMeanOneThing: a flag name has one type across the commands, and
// --steps counts environment steps only (PGD's are --pgd-steps).
func TestFlagsMeanOneThing(t *testing.T) {
	types := map[string]map[string]string{} // flag -> type -> a command with it
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Deprecated != "" {
				return // kept for old command lines, with a warning
			}
			if types[f.Name] == nil {
				types[f.Name] = map[string]string{}
			}
			typ := f.Value.Type()
			if typ == "int64" {
				typ = "int" // one kind of number to a person; uint64 is not (no negative seed)
			}
			types[f.Name][typ] = c.CommandPath()
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	for _, name := range []string{"seed", "slippery", "json", "name", "out", "episodes", "eval-episodes", "steps"} {
		if len(types[name]) > 1 {
			t.Errorf("--%s has several types: %v", name, types[name])
		}
	}
	for _, path := range []string{"robust train", "robust eval"} {
		cmd, _, err := newRootCmd().Find(strings.Fields(path))
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Flags().Lookup("steps") != nil || cmd.Flags().Lookup("pgd-steps") == nil {
			t.Errorf("xlrl %s: PGD's steps are --pgd-steps, not --steps", path)
		}
	}
	for _, path := range []string{"train", "solve", "rollout"} {
		cmd, _, _ := newRootCmd().Find([]string{path})
		f := cmd.Flags().Lookup("slippery")
		if f == nil || f.Value.Type() != "bool" || f.DefValue != "false" || !strings.Contains(f.Usage, "false for CliffWalking") {
			t.Errorf("xlrl %s --slippery: %+v", path, f)
		}
	}
}

func TestUsageLinesSayRun(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if strings.Contains(c.Use, "RUN_DIR") {
			t.Errorf("%s: usage %q says RUN_DIR; the others say RUN", c.CommandPath(), c.Use)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}

func TestNameAndOutRefusedTogether(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"train", "--env", "FrozenLake-v1", "--name", "a", "--out", dir + "/b"},
		{"gen", "train", "--model", "vae", "--data", "moons", "--name", "a", "--out", dir + "/b"},
		{"robust", "train", "--name", "a", "--out", dir + "/b"},
	} {
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), `--name "a" and --out`) {
			t.Errorf("%v: %v, want the pair refused", args, err)
		}
	}
}

func TestTabularRefusesDeepFlags(t *testing.T) {
	for _, flag := range [][]string{{"--layers", "32"}, {"--backend", "go"}} {
		_, err := runCLI(t, append([]string{"train", "--env", "FrozenLake-v1", "--episodes", "5"}, flag...)...)
		if err == nil || !strings.Contains(err.Error(), flag[0]+" applies to the deep agents (dqn, reinforce, a2c), not to q-learning") {
			t.Errorf("%v: %v", flag, err)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	flag, err := runCLI(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := runCLI(t, "version")
	if !strings.HasPrefix(flag, "xlrl ") || flag != cmd {
		t.Fatalf("--version %q, version %q: want the same line", flag, cmd)
	}
}
