package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps the runs that the command tests train out of the source
// tree, and draws no plots (no Python worker in Go unit tests).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xlrl-cmd-test-runs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runsRoot, plotByDefault = dir, false
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
