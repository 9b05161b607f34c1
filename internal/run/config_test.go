package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConfigMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFile)
	if err := os.WriteFile(path, []byte("# a run\nenv: CartPole-v1\nsteps: 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadConfigMap(path)
	if err != nil || m["env"] != "CartPole-v1" || m["steps"] != 1000 {
		t.Fatalf("ReadConfigMap = %v, %v", m, err)
	}
	if err := os.WriteFile(path, []byte("env: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigMap(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a broken file: err = %v, want it to name the file", err)
	}
}

func TestSuggestNamesTheClosestKey(t *testing.T) {
	known := map[string][]int{"steps": nil, "seed": nil, "gamma": nil}
	if got := suggest("stpes", known); !strings.Contains(got, `did you mean "steps"`) || !strings.Contains(got, "gamma, seed, steps") {
		t.Errorf("suggest = %q", got)
	}
	if got := suggest("zzzzzz", known); strings.Contains(got, "did you mean") {
		t.Errorf("suggest = %q: no key is close", got)
	}
}
