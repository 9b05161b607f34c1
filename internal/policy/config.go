package policy

import (
	"fmt"
	"strings"
)

// Kinds are the explorer names New accepts.
var Kinds = []string{"epsilon-greedy", "boltzmann", "ucb", "greedy"}

// ScheduleKinds are the schedule names New accepts.
var ScheduleKinds = []string{"constant", "linear", "exponential"}

// Config describes an explorer in the terms of the command line.
type Config struct {
	Kind     string  // one of Kinds ("softmax" is an alias of "boltzmann")
	Schedule string  // one of ScheduleKinds; for epsilon-greedy and boltzmann
	Start    float64 // epsilon or temperature at position 0
	End      float64 // final epsilon or temperature (linear, exponential)
	// DecaySteps is how many positions the linear schedule takes from Start to End.
	DecaySteps int64
	// Decay is the exponential schedule's factor per position, in (0, 1).
	Decay float64
	// C is UCB's exploration weight.
	C float64
}

// New builds the explorer that c describes, or says what is wrong with c.
func New(c Config) (Explorer, error) {
	switch strings.ToLower(c.Kind) {
	case "greedy":
		return &Greedy{}, nil
	case "epsilon-greedy", "e-greedy", "eps-greedy":
		s, err := c.schedule("epsilon")
		if err != nil {
			return nil, err
		}
		if c.Start < 0 || c.Start > 1 || c.End < 0 || c.End > 1 {
			return nil, fmt.Errorf("epsilon must lie in [0, 1]: got start %g, end %g", c.Start, c.End)
		}
		return &EpsilonGreedy{Epsilon: s}, nil
	case "boltzmann", "softmax":
		s, err := c.schedule("temperature")
		if err != nil {
			return nil, err
		}
		if c.Start <= 0 || c.End < 0 {
			return nil, fmt.Errorf("temperature must be positive: got start %g, end %g", c.Start, c.End)
		}
		return &Boltzmann{Temperature: s}, nil
	case "ucb":
		if c.C <= 0 {
			return nil, fmt.Errorf("ucb: exploration weight c must be positive, got %g", c.C)
		}
		return &UCB{C: c.C}, nil
	}
	return nil, fmt.Errorf("unknown exploration %q: want one of %s", c.Kind, strings.Join(Kinds, ", "))
}

func (c Config) schedule(param string) (Schedule, error) {
	switch strings.ToLower(c.Schedule) {
	case "constant", "":
		return Constant{V: c.Start}, nil
	case "linear":
		if c.DecaySteps <= 0 {
			return nil, fmt.Errorf("linear %s schedule: decay steps must be positive, got %d", param, c.DecaySteps)
		}
		return Linear{Start: c.Start, End: c.End, Steps: c.DecaySteps}, nil
	case "exponential", "exp":
		if c.Decay <= 0 || c.Decay >= 1 {
			return nil, fmt.Errorf("exponential %s schedule: decay factor must lie in (0, 1), got %g", param, c.Decay)
		}
		return Exponential{Start: c.Start, End: c.End, Decay: c.Decay}, nil
	}
	return nil, fmt.Errorf("unknown %s schedule %q: want one of %s", param, c.Schedule, strings.Join(ScheduleKinds, ", "))
}
