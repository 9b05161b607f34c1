package ckpt

import (
	"os/exec"
	"strings"
	"testing"
)

// The agents save and restore themselves through this package, so that
// they depend on none of the command line's packages.
func TestAgentsDependOnNoCommandLinePackages(t *testing.T) {
	agents := []string{"dqn", "pg", "tabular"}
	args := []string{"list", "-deps"}
	for _, a := range agents {
		args = append(args, "github.com/xlrl/xlrl/internal/agent/"+a)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/", "gopkg.in/yaml", "github.com/xlrl/xlrl/internal/run"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("an agent (%s) depends on %s", strings.Join(agents, ", "), dep)
			}
		}
	}
}
