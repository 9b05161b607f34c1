package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xlrl/xlrl/internal/run"
)

// buildXLRL builds the binary once per test run.
var buildXLRL = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "xlrl-claim-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "xlrl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

type procResult struct {
	code           int
	stdout, stderr string
}

// trainTwiceAtOnce starts two `xlrl train` processes in dir at the same
// moment, with seeds 1 and 2 and the extra arguments, and waits for both.
func trainTwiceAtOnce(t *testing.T, dir string, extra ...string) [2]procResult {
	t.Helper()
	bin, err := buildXLRL()
	if err != nil {
		t.Fatalf("building xlrl: %v", err)
	}
	var res [2]procResult
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		args := append([]string{"train", "--env", "FrozenLake-v1", "--algo", "q-learning", "--episodes", "20000",
			"--seed", []string{"1", "2"}[i], "--plot=false", "--json"}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := cmd.Run()
			res[i] = procResult{code: cmd.ProcessState.ExitCode(), stdout: so.String(), stderr: se.String()}
			if err != nil && cmd.ProcessState == nil {
				res[i].code, res[i].stderr = -1, err.Error()
			}
		}()
	}
	close(start)
	wg.Wait()
	return res
}

// checkRunIsWhole checks that a run directory is one run's: its config.yaml
// holds the seed of its result.json and every metrics line parses.
func checkRunIsWhole(t *testing.T, runDir string, seed uint64) {
	t.Helper()
	var result struct {
		Seed uint64 `json:"seed"`
	}
	b, err := os.ReadFile(filepath.Join(runDir, "result.json"))
	if err != nil || json.Unmarshal(b, &result) != nil || result.Seed != seed {
		t.Errorf("%s/result.json: seed %d (%v), want %d", runDir, result.Seed, err, seed)
	}
	cfg, _ := os.ReadFile(filepath.Join(runDir, run.ConfigFile))
	if !strings.Contains(string(cfg), "\nseed: "+[]string{"", "1", "2"}[seed]+"\n") {
		t.Errorf("%s/config.yaml does not hold seed %d", runDir, seed)
	}
	if _, err := run.ReadMetrics(filepath.Join(runDir, run.MetricsFile)); err != nil {
		t.Errorf("metrics: %v", err)
	}
}

func lastJSONMap(t *testing.T, stdout string) map[string]any {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line of stdout is not JSON: %q", stdout)
	}
	return m
}

func TestTwoTrainingsWithOneNameOneIsRefused(t *testing.T) {
	dir := t.TempDir()
	res := trainTwiceAtOnce(t, dir, "--name", "same")
	ok := 0
	for i, r := range res {
		switch {
		case r.code == 0:
			ok++
			checkRunIsWhole(t, filepath.Join(dir, "runs", "same"), uint64(i+1))
		case !strings.Contains(r.stderr, "already exists") && !strings.Contains(r.stderr, "in use by"):
			t.Errorf("process %d: exit %d without a clear refusal: %s", i, r.code, r.stderr)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 2 trainings of one --name succeeded, want 1: %+v", ok, res)
	}
}

func TestTwoTrainingsWithDefaultNamesGetTwoRuns(t *testing.T) {
	dir := t.TempDir()
	res := trainTwiceAtOnce(t, dir)
	seen := map[string]bool{}
	for i, r := range res {
		if r.code != 0 {
			t.Fatalf("process %d: exit %d: %s", i, r.code, r.stderr)
		}
		runDir, _ := lastJSONMap(t, r.stdout)["run_dir"].(string)
		if runDir == "" || seen[runDir] {
			t.Fatalf("process %d: run_dir %q (already used: %v)", i, runDir, seen)
		}
		seen[runDir] = true
		checkRunIsWhole(t, filepath.Join(dir, runDir), uint64(i+1))
	}
}
