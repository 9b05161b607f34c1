package xlrl

import (
	"fmt"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/train"
)

// Load returns the agent of a finished run directory (one Train or `xlrl
// train` wrote), ready to act: its configuration from config.yaml, its
// state from checkpoint.ckpt. No Python is started: a deep agent's saved
// policy acts in Go whatever backend trained it.
func Load(runDir string) (Learner, error) {
	dir, err := run.Open(runDir)
	if err != nil {
		return nil, err
	}
	fl, err := train.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	cp, err := ckpt.Read(dir.Checkpoint(), "")
	if err != nil {
		return nil, err
	}
	switch {
	case tabular.IsAlgorithm(fl.Algo):
		_, agent, _, err := train.BuildTabular(fl)
		if err != nil {
			return nil, err
		}
		if err := agent.Load(cp); err != nil {
			return nil, fmt.Errorf("loading %s: %w", dir.Path, err)
		}
		return &tabularLearner{a: agent, algo: fl.Algo, seed: fl.Seed, envID: fl.Env}, nil
	case zoo.IsAlgo(fl.Algo):
		spec, err := LookupEnv(fl.Env)
		if err != nil {
			return nil, err
		}
		if cp.Kind != train.PolicyKind {
			return nil, fmt.Errorf("%s: the run is not finished (its checkpoint holds a %q, not the final policy); "+
				"continue it with --resume first", dir.Path, cp.Kind)
		}
		l, err := NewAgent(fl.Algo, fl.Env, AgentOptions{Seed: fl.Seed})
		if err != nil {
			return nil, err
		}
		d := l.(*deepLearner)
		d.spec = *spec
		if err := d.loadPolicy(cp); err != nil {
			return nil, fmt.Errorf("loading %s: %w", dir.Path, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("%s: unknown algorithm %q in %s", dir.Path, fl.Algo, run.ConfigFile)
}
