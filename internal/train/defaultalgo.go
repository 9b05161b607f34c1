package train

import (
	"fmt"
	"io"
	"slices"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/env"
)

// TunedAlgo is the algorithm `xlrl train --env ID` uses without --algo: the
// tabular default (q-learning) on environments with Discrete states, else
// the environment's tuned deep algorithm (DQN first), else DQN, which takes
// any discrete-action environment. ok is false for environments no
// algorithm here takes (continuous actions) or that do not exist.
func TunedAlgo(envID string) (algo string, ok bool) {
	spec, err := env.Lookup(envID)
	if err != nil || spec.Action.Kind != env.Discrete {
		return "", false
	}
	if spec.Observation.Kind == env.Discrete {
		return tabular.QLearning, true
	}
	var tuned []string
	for _, a := range zoo.Algos {
		if _, isTuned, _ := zoo.Defaults(envID, a); isTuned {
			tuned = append(tuned, a)
		}
	}
	if len(tuned) == 0 || slices.Contains(tuned, "dqn") {
		return "dqn", true
	}
	return tuned[0], true
}

// pickAlgo sets --algo to TunedAlgo when the user (or the config file) did
// not set it, and says so on w.
func (fl *Flags) pickAlgo(w io.Writer) error {
	if fl.Changed("algo") {
		return nil
	}
	algo, ok := TunedAlgo(fl.Env)
	if !ok {
		algo = tabular.QLearning // the environment's own errors say why it cannot train
	}
	if err := fl.Set.Set("algo", algo); err != nil {
		return err
	}
	if algo != tabular.QLearning {
		fmt.Fprintf(w, "algorithm: %s, the tuned one for %s (--algo picks another)\n", algo, fl.Env)
	}
	return nil
}
