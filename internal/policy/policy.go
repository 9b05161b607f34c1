// Package policy holds the exploration strategies shared by every agent in
// xlrl, tabular and deep: greedy, epsilon-greedy, Boltzmann (softmax) and UCB.
//
// An Explorer picks an action from a row of action values. Its parameters
// follow a Schedule indexed by a position that the agent advances (tabular
// agents once per episode, deep agents once per environment step); the
// position is all the state a checkpoint needs to resume the schedule
// (plus the visit counts for UCB).
//
// Ties between equal action values are broken uniformly at random: tabular
// agents start with all-zero tables, and always taking the first maximal
// action would bias them towards action 0 for a long time.
package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Explorer selects actions from action values.
type Explorer interface {
	// Select returns an action index for the action values q.
	Select(q []float64, rng *rand.Rand) int
	// Advance moves the schedule one position on.
	Advance()
	// Position is the schedule position (for checkpoints).
	Position() int64
	// SetPosition restores a saved schedule position.
	SetPosition(pos int64)
	// String describes the explorer and its schedule.
	String() string
}

// StateSelector is implemented by explorers that keep statistics per state
// (UCB). Tabular agents call SelectState instead of Select when it is there.
type StateSelector interface {
	SelectState(state int, q []float64, rng *rand.Rand) int
}

// Argmax returns the index of the largest value, breaking ties uniformly at
// random (reservoir sampling over the maximal indices, one pass).
func Argmax(q []float64, rng *rand.Rand) int {
	best, n := 0, 0
	for i, v := range q {
		switch {
		case i == 0 || v > q[best]:
			best, n = i, 1
		case v == q[best]:
			n++
			if rng.IntN(n) == 0 {
				best = i
			}
		}
	}
	return best
}

// ArgmaxFirst returns the first index of the largest value: deterministic
// greedy evaluation.
func ArgmaxFirst(q []float64) int {
	best := 0
	for i, v := range q {
		if v > q[best] {
			best = i
		}
	}
	return best
}

type position struct{ pos int64 }

func (p *position) Advance()              { p.pos++ }
func (p *position) Position() int64       { return p.pos }
func (p *position) SetPosition(pos int64) { p.pos = pos }

// Greedy always takes a maximal action (ties at random).
type Greedy struct{ position }

func (*Greedy) Select(q []float64, rng *rand.Rand) int { return Argmax(q, rng) }
func (*Greedy) String() string                         { return "greedy" }

// EpsilonGreedy takes a uniformly random action with probability
// Epsilon.Value(position), a greedy one otherwise.
type EpsilonGreedy struct {
	position
	Epsilon Schedule
}

// Current is epsilon at the current position.
func (e *EpsilonGreedy) Current() float64 { return e.Epsilon.Value(e.pos) }

func (e *EpsilonGreedy) Select(q []float64, rng *rand.Rand) int {
	if rng.Float64() < e.Current() {
		return rng.IntN(len(q))
	}
	return Argmax(q, rng)
}

func (e *EpsilonGreedy) String() string { return "epsilon-greedy, epsilon " + e.Epsilon.String() }

// Boltzmann samples action a with probability proportional to
// exp(q[a] / T), T = Temperature.Value(position).
type Boltzmann struct {
	position
	Temperature Schedule
	probs       []float64
}

// Current is the temperature at the current position.
func (b *Boltzmann) Current() float64 { return b.Temperature.Value(b.pos) }

func (b *Boltzmann) Select(q []float64, rng *rand.Rand) int {
	t := b.Current()
	if t <= 0 {
		return Argmax(q, rng)
	}
	if cap(b.probs) < len(q) {
		b.probs = make([]float64, len(q))
	}
	p := b.probs[:len(q)]
	// Subtracting the maximum keeps exp from overflowing at low temperature.
	m := q[ArgmaxFirst(q)]
	sum := 0.0
	for i, v := range q {
		p[i] = math.Exp((v - m) / t)
		sum += p[i]
	}
	u := rng.Float64() * sum
	for i, w := range p {
		u -= w
		if u < 0 {
			return i
		}
	}
	return len(q) - 1
}

func (b *Boltzmann) String() string { return "boltzmann, temperature " + b.Temperature.String() }

// UCB picks argmax q[a] + C*sqrt(ln(N)/n[a]), where n[a] counts the times a
// was chosen (in that state, through SelectState) and N = sum of n; an action
// never tried is taken first. Select without a state keeps one shared row of
// counts (a bandit over actions), which is what a deep agent can use.
type UCB struct {
	position
	C float64
	// Counts[state][action]: visits. Exported so that checkpoints can save them.
	Counts [][]float64
	bonus  []float64
}

func (u *UCB) Select(q []float64, rng *rand.Rand) int { return u.SelectState(0, q, rng) }

func (u *UCB) SelectState(state int, q []float64, rng *rand.Rand) int {
	for len(u.Counts) <= state {
		u.Counts = append(u.Counts, nil)
	}
	n := u.Counts[state]
	if len(n) != len(q) {
		n = make([]float64, len(q))
		u.Counts[state] = n
	}
	if cap(u.bonus) < len(q) {
		u.bonus = make([]float64, len(q))
	}
	total := 0.0
	for _, c := range n {
		total += c
	}
	s := u.bonus[:len(q)]
	for i, c := range n {
		if c == 0 {
			s[i] = math.Inf(1)
			continue
		}
		s[i] = q[i] + u.C*math.Sqrt(math.Log(total)/c)
	}
	a := Argmax(s, rng)
	n[a]++
	return a
}

func (u *UCB) String() string { return fmt.Sprintf("ucb, c %g", u.C) }

// Distribution is implemented by explorers whose action probabilities can be
// written down (Expected SARSA averages the next values over them).
type Distribution interface {
	// Probs writes the probability of each action for the values q into dst.
	Probs(q, dst []float64)
}

// greedyProbs spreads mass evenly over the maximal actions, as Argmax's
// random tie-breaking does: it adds mass/n to each of the n maximal actions.
func greedyProbs(q, dst []float64, mass float64) {
	m := q[ArgmaxFirst(q)]
	n := 0
	for _, v := range q {
		if v == m {
			n++
		}
	}
	for i, v := range q {
		if v == m {
			dst[i] += mass / float64(n)
		}
	}
}

func (*Greedy) Probs(q, dst []float64) {
	clear(dst[:len(q)])
	greedyProbs(q, dst, 1)
}

func (e *EpsilonGreedy) Probs(q, dst []float64) {
	eps := e.Current()
	for i := range q {
		dst[i] = eps / float64(len(q))
	}
	greedyProbs(q, dst, 1-eps)
}

func (b *Boltzmann) Probs(q, dst []float64) {
	t := b.Current()
	if t <= 0 {
		clear(dst[:len(q)])
		greedyProbs(q, dst, 1)
		return
	}
	m := q[ArgmaxFirst(q)]
	sum := 0.0
	for i, v := range q {
		dst[i] = math.Exp((v - m) / t)
		sum += dst[i]
	}
	for i := range q {
		dst[i] /= sum
	}
}
