package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input stops tune and sweep before any file is written or a worker
// starts, with a message that names the fix.
func TestTuneSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	badSpace := filepath.Join(dir, "space.yaml")
	if err := os.WriteFile(badSpace, []byte("gama: [0.9]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	study := filepath.Join(dir, "study")
	dqn := []string{"tune", "--env", "CartPole-v1", "--algo", "dqn", "--dir", study}
	tests := []struct {
		args []string
		want string
	}{
		{append(dqn, "--trials", "0"), "--trials 0: want the study's total"},
		{append(dqn, "--trials", "3", "--jobs", "0"), "--jobs 0"},
		{[]string{"tune", "--trials", "3"}, "needs --env and --algo"},
		{[]string{"tune", "--env", "Nope-v1", "--algo", "dqn", "--trials", "3"}, `unknown environment id "Nope-v1"`},
		{[]string{"tune", "--env", "FrozenLake-v1", "--algo", "q-learning", "--trials", "3"}, "deep RL agents"},
		{append(dqn, "--trials", "3", "--space", badSpace), `search space parameter "gama"`},
		{append(dqn, "--trials", "3", "--hp", "gama=0.9"), `dqn has no hyperparameter "gama"`},
		{append(dqn, "--trials", "3", "--storage", "sqlite:///x.db"), "want postgresql://"},
		{append(dqn, "--trials", "3", "--study", "a/b"), "a name, not a path"},
		{append(dqn, "--trials", "3", "--pruner", "hyperband"), `--pruner "hyperband"`},
		{append(dqn, "--trials", "3", "--trial-seeds", "11"), "--trial-seeds 11: want 1 to 10"},
		{append(dqn, "--trials", "3", "--objective", "best"), `--objective "best": want final`},
		{append(dqn, "--trials", "3", "--trial-seeds", "3", "--trial-value", "median"), `--trial-value "median": want mean or min`},
		{append(dqn, "--trials", "3", "--trial-value", "min"), "--trial-value min needs --trial-seeds"},
		{append(dqn, "--trials", "3", "--prune-warmup", "1.5"), "--prune-warmup 1.5: want the fraction"},
		{append(dqn, "--trials", "3", "--confirm-seeds", "-1"), "--confirm-seeds -1: must be at least 0"},
		{append(dqn, "--trials", "3", "--trial-seeds", "3", "--confirm-seeds", "11"), "--confirm-seeds 11: want 0 (none) to 10"},
		{[]string{"tune", "--print-space"}, "--print-space needs --algo"},
		{[]string{"sweep", "--env", "CartPole-v1", "--seeds", "3-1"}, "not a range"},
		{[]string{"sweep", "--seeds", "1-3"}, "needs --env"},
		{[]string{"sweep", "--env", "CartPole-v1", "--jobs", "0"}, "--jobs 0"},
	}
	for _, tt := range tests {
		_, err := runCmd(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat(study); !os.IsNotExist(err) {
		t.Errorf("a refused tune created %s", study)
	}
}

func TestTunePrintSpace(t *testing.T) {
	out, err := runCmd(t, "tune", "--algo", "dqn", "--print-space")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sample_dqn_params", "learning_rate: {low: 1.0e-5, high: 1, log: true}", "net_arch: [tiny, small, medium]"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print-space lacks %q:\n%s", want, out)
		}
	}
}
