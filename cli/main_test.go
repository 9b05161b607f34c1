package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/xlrl/xlrl/internal/train"
)

// testSettings keep the runs that the command tests train out of the source
// tree, and draw no plots (no Python worker in Go unit tests).
var testSettings settings

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xlrl-cmd-test-runs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testSettings = settings{train: train.Defaults{Root: dir, Plot: false}}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
