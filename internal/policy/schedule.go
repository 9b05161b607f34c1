package policy

import (
	"fmt"
	"math"
)

// Schedule maps a position (a count of steps or episodes, whichever unit the
// caller advances the explorer on) to a parameter value: epsilon for
// epsilon-greedy, the temperature for Boltzmann.
type Schedule interface {
	Value(pos int64) float64
	String() string
}

// Constant is the same value at every position.
type Constant struct{ V float64 }

func (c Constant) Value(int64) float64 { return c.V }
func (c Constant) String() string      { return fmt.Sprintf("constant %g", c.V) }

// Linear goes from Start to End in Steps positions and stays at End.
type Linear struct {
	Start, End float64
	Steps      int64
}

func (l Linear) Value(pos int64) float64 {
	if pos >= l.Steps {
		return l.End
	}
	frac := float64(pos) / float64(l.Steps)
	return l.Start + (l.End-l.Start)*frac
}

func (l Linear) String() string {
	return fmt.Sprintf("linear %g to %g over %d", l.Start, l.End, l.Steps)
}

// Exponential decays from Start towards End: End + (Start-End) * Decay^pos.
type Exponential struct {
	Start, End, Decay float64
}

func (e Exponential) Value(pos int64) float64 {
	return e.End + (e.Start-e.End)*math.Pow(e.Decay, float64(pos))
}

func (e Exponential) String() string {
	return fmt.Sprintf("exponential %g to %g, x%g per position", e.Start, e.End, e.Decay)
}
