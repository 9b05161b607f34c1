package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Interpreter is the Python the worker runs on and why it was chosen.
type Interpreter struct {
	Path   string
	Reason string // e.g. "--python flag", "$XLRL_PYTHON", "the project's .venv (…)"
}

// FindPython picks the interpreter: the explicit path (the --python flag),
// then $XLRL_PYTHON, then the .venv of the checkout that holds the xlrl
// binary (bin/xlrl -> ../.venv), then python3 on PATH. The working
// directory is never searched: running xlrl inside a downloaded run or data
// folder must not run that folder's .venv.
func FindPython(explicit string) (Interpreter, error) {
	if explicit != "" {
		return checkInterpreter(explicit, "--python flag")
	}
	if p := os.Getenv("XLRL_PYTHON"); p != "" {
		return checkInterpreter(p, "$XLRL_PYTHON")
	}
	for _, venv := range projectVenvs() {
		p := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(p); err == nil {
			return Interpreter{Path: p, Reason: "the project's virtual environment " + venv}, nil
		}
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return Interpreter{}, errors.New("no Python found: no --python flag, no $XLRL_PYTHON, no .venv " +
			"in the checkout of the xlrl binary, and no python3 on PATH; " +
			"run `make venv` in the xlrl checkout, or point --python at an interpreter with pyworker installed")
	}
	return Interpreter{Path: p, Reason: "python3 on PATH"}, nil
}

func checkInterpreter(path, reason string) (Interpreter, error) {
	p, err := exec.LookPath(path)
	if err != nil {
		return Interpreter{}, fmt.Errorf("python from %s (%q) cannot be run: %w", reason, path, err)
	}
	return Interpreter{Path: p, Reason: reason}, nil
}

// projectVenvs lists where the project's .venv may be: the checkout that holds
// the running binary (bin/xlrl -> ../.venv).
func projectVenvs() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dirs = append(dirs, filepath.Join(filepath.Dir(filepath.Dir(exe)), ".venv"))
		}
	}
	return dirs
}
