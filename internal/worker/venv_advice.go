package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ProjectPython is the interpreter of the project's .venv (next to the xlrl
// binary's bin/ directory) when one exists and imports pyworker; ok is false
// otherwise.
func ProjectPython(ctx context.Context) (path string, ok bool) {
	return pythonIn(ctx, projectVenvs())
}

// pythonIn is the first of venvs whose Python imports pyworker.
func pythonIn(ctx context.Context, venvs []string) (path string, ok bool) {
	for _, venv := range venvs {
		p := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := exec.CommandContext(ctx, p, "-c", "import pyworker").Run()
		cancel()
		if err == nil {
			return p, true
		}
	}
	return "", false
}

// UnsetAdvice is the advice to give when the interpreter that $XLRL_PYTHON
// names does not work (cannot run, lacks pyworker or TensorFlow) while the
// project's .venv has one that does: "" when the interpreter did not come
// from $XLRL_PYTHON, or when there is no working .venv to fall back to.
func UnsetAdvice(ctx context.Context, reason string) string {
	return unsetAdvice(ctx, reason, projectVenvs())
}

func unsetAdvice(ctx context.Context, reason string, venvs []string) string {
	if reason != "$XLRL_PYTHON" { // FindPython's Reason for it
		return ""
	}
	venv, ok := pythonIn(ctx, venvs)
	if !ok {
		return ""
	}
	env := os.Getenv("XLRL_PYTHON")
	if abs, err := filepath.Abs(env); err == nil && abs == venv {
		return "" // it is the .venv itself
	}
	return fmt.Sprintf("$XLRL_PYTHON=%s does not work, but the project's %s does: run `unset XLRL_PYTHON` to use it", env, venv)
}
