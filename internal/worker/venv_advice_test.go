package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withVenv runs the test in a directory holding a .venv whose bin/python is
// the given shell script.
func withVenv(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	py := filepath.Join(dir, ".venv", "bin", "python")
	if err := os.MkdirAll(filepath.Dir(py), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return py
}

func TestUnsetAdvice(t *testing.T) {
	ctx := context.Background()
	py := withVenv(t, "exit 0") // a .venv whose Python imports pyworker
	t.Setenv("XLRL_PYTHON", "/nowhere/python")
	got := UnsetAdvice(ctx, "$XLRL_PYTHON")
	if !strings.Contains(got, "$XLRL_PYTHON=/nowhere/python does not work") || !strings.Contains(got, py) ||
		!strings.Contains(got, "unset XLRL_PYTHON") {
		t.Fatalf("advice %q", got)
	}
	if got := UnsetAdvice(ctx, "--python flag"); got != "" {
		t.Fatalf("advice for an interpreter that $XLRL_PYTHON did not name: %q", got)
	}
	t.Setenv("XLRL_PYTHON", py)
	if got := UnsetAdvice(ctx, "$XLRL_PYTHON"); got != "" {
		t.Fatalf("advice to fall back on the very interpreter that failed: %q", got)
	}
}

func TestNoAdviceWithoutAWorkingVenv(t *testing.T) {
	withVenv(t, "exit 1") // the .venv lacks pyworker
	t.Setenv("XLRL_PYTHON", "/nowhere/python")
	if got := UnsetAdvice(context.Background(), "$XLRL_PYTHON"); got != "" {
		t.Fatalf("advice toward a broken .venv: %q", got)
	}
	if _, ok := ProjectPython(context.Background()); ok {
		t.Fatal("a .venv that cannot import pyworker counted as working")
	}
}
