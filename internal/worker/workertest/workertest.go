// Package workertest finds the Python interpreter for tests that start the
// real worker.
package workertest

import (
	"os"
	"path/filepath"
	"testing"
)

// Python returns $XLRL_PYTHON, or the .venv/bin/python of the module root
// above the working directory. Tests that need the worker fail, not skip,
// when there is none: a green run must not hide a missing install.
func Python(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("XLRL_PYTHON"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".venv", "bin", "python")
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("the worker's Python %s is missing: run `make venv` (or set XLRL_PYTHON)", p)
			}
			return p
		}
	}
	t.Fatal("no go.mod above the test's directory, so no .venv: set XLRL_PYTHON")
	return ""
}
