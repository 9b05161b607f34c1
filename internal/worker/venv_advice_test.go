package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withVenv makes a .venv whose bin/python is the given shell script and
// returns that Python and the venvs list to look in.
func withVenv(t *testing.T, script string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	py := filepath.Join(dir, ".venv", "bin", "python")
	if err := os.MkdirAll(filepath.Dir(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return py, []string{filepath.Join(dir, ".venv")}
}

func TestUnsetAdvice(t *testing.T) {
	ctx := context.Background()
	py, venvs := withVenv(t, "exit 0") // a .venv whose Python imports pyworker
	t.Setenv("XLRL_PYTHON", "/nowhere/python")
	got := unsetAdvice(ctx, "$XLRL_PYTHON", venvs)
	if !strings.Contains(got, "$XLRL_PYTHON=/nowhere/python does not work") || !strings.Contains(got, py) ||
		!strings.Contains(got, "unset XLRL_PYTHON") {
		t.Fatalf("advice %q", got)
	}
	if got := unsetAdvice(ctx, "--python flag", venvs); got != "" {
		t.Fatalf("advice for an interpreter that $XLRL_PYTHON did not name: %q", got)
	}
	t.Setenv("XLRL_PYTHON", py)
	if got := unsetAdvice(ctx, "$XLRL_PYTHON", venvs); got != "" {
		t.Fatalf("advice to fall back on the very interpreter that failed: %q", got)
	}
}

func TestNoAdviceWithoutAWorkingVenv(t *testing.T) {
	_, venvs := withVenv(t, "exit 1") // the .venv lacks pyworker
	t.Setenv("XLRL_PYTHON", "/nowhere/python")
	if got := unsetAdvice(context.Background(), "$XLRL_PYTHON", venvs); got != "" {
		t.Fatalf("advice toward a broken .venv: %q", got)
	}
	if _, ok := pythonIn(context.Background(), venvs); ok {
		t.Fatal("a .venv that cannot import pyworker counted as working")
	}
}
