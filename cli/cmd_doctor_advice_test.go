package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorSuggestsUnsettingABrokenXLRLPython: $XLRL_PYTHON names nothing,
// the project's .venv (beside the binary's bin/) has a Python with pyworker:
// doctor says to unset it. The real binary runs from a checkout of its own.
func TestDoctorSuggestsUnsettingABrokenXLRLPython(t *testing.T) {
	dir := t.TempDir()
	py := filepath.Join(dir, ".venv", "bin", "python")
	if err := os.MkdirAll(filepath.Dir(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin", "xlrl")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/xlrl/xlrl/cmd/xlrl").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cmd := exec.Command(bin, "doctor", "--json")
	cmd.Env = append(os.Environ(), "XLRL_PYTHON=/nowhere/python")
	b, err := cmd.Output()
	out := string(b)
	if err == nil {
		t.Fatal("doctor passed with a broken $XLRL_PYTHON")
	}
	if !strings.Contains(out, "run `unset XLRL_PYTHON` to use it") || !strings.Contains(out, py) {
		t.Fatalf("doctor's report lacks the advice: %s", out)
	}
}
