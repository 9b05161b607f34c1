package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorSuggestsUnsettingABrokenXLRLPython: $XLRL_PYTHON names nothing,
// the project's .venv has a Python with pyworker: doctor says to unset it.
func TestDoctorSuggestsUnsettingABrokenXLRLPython(t *testing.T) {
	dir := t.TempDir()
	py := filepath.Join(dir, ".venv", "bin", "python")
	if err := os.MkdirAll(filepath.Dir(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("XLRL_PYTHON", "/nowhere/python")
	out, err := runCLI(t, "doctor", "--json")
	if err == nil {
		t.Fatal("doctor passed with a broken $XLRL_PYTHON")
	}
	if !strings.Contains(out, "run `unset XLRL_PYTHON` to use it") || !strings.Contains(out, py) {
		t.Fatalf("doctor's report lacks the advice: %s", out)
	}
}
