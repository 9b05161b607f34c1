package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePython writes an executable that records its arguments in a file: a
// stand-in for the worker's interpreter.
func fakePython(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTensorBoardStartsFromTheWorkersPython(t *testing.T) {
	log := filepath.Join(t.TempDir(), "args")
	py := fakePython(t, `echo "$@" >> `+log)
	runs := t.TempDir()
	if _, err := runCLI(t, "--python", py, "tensorboard", runs, "--port", "6007"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	want := "-m tensorboard.main --logdir " + runs + " --host localhost --port 6007"
	if len(lines) != 2 || lines[0] != "-c import tensorboard" || lines[1] != want {
		t.Fatalf("interpreter called with %q, want the import check then %q", lines, want)
	}
}

func TestTensorBoardErrors(t *testing.T) {
	ok := fakePython(t, "exit 0")
	noTB := fakePython(t, "exit 1")
	runs := t.TempDir()
	file := filepath.Join(runs, "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--python", ok, "tensorboard", filepath.Join(runs, "nope")}, "does not exist: train a run first"},
		{[]string{"--python", ok, "tensorboard", file}, "is not a directory of runs"},
		{[]string{"--python", ok, "tensorboard", runs, "--port", "70000"}, "--port 70000"},
		{[]string{"--python", noTB, "tensorboard", runs}, "TensorBoard is not installed for " + noTB},
	} {
		_, err := runCLI(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestInvokedAs(t *testing.T) {
	saved := os.Args
	defer func() { os.Args = saved }()
	for args0, want := range map[string]string{"bin/xlrl": "bin/xlrl", "/opt/x/xlrl": "/opt/x/xlrl", "": "xlrl", "/tmp/cli.test": "xlrl"} {
		os.Args = []string{args0}
		if got := invokedAs(); got != want {
			t.Errorf("os.Args[0] %q: invokedAs() = %q, want %q", args0, got, want)
		}
	}
}
