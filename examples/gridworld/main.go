// Command gridworld defines the classic 4x4 gridworld in user code,
// registers it with xlrl, solves it exactly, learns it with Q-learning and
// SARSA, and prints each learnt policy beside the optimal one.
//
// The grid: four moves (left, down, right, up; a move into the wall stays
// put), +1 for reaching the bottom-right corner and -1 for the top-left one
// (both end the episode), 0 elsewhere; episodes start in a uniformly random
// other cell and are cut after 100 steps.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/xlrl/xlrl"
)

const (
	size     = 4
	cells    = size * size
	win      = cells - 1 // bottom-right
	lose     = 0         // top-left
	maxSteps = 100
)

// Grid is the environment. It implements xlrl.Env and xlrl.Model.
type Grid struct {
	spec *xlrl.Spec
	rng  *rand.Rand
	s    int
	obs  []float64
}

var spec = xlrl.Spec{
	ID:              "Gridworld4x4-v0",
	Observation:     xlrl.Space{Kind: xlrl.Discrete, N: cells},
	Action:          xlrl.Space{Kind: xlrl.Discrete, N: 4},
	MaxEpisodeSteps: maxSteps,
}

func init() {
	err := xlrl.RegisterEnv(spec, func() (xlrl.Env, error) {
		s := spec
		return &Grid{spec: &s, rng: rand.New(rand.NewPCG(0, 0)), obs: make([]float64, 1)}, nil
	})
	if err != nil {
		panic(err)
	}
}

func (g *Grid) Spec() *xlrl.Spec   { return g.spec }
func (g *Grid) Seed(seed uint64)   { g.rng = rand.New(rand.NewPCG(seed, 0)) }
func (g *Grid) NumStates() int     { return cells }
func (g *Grid) NumActions() int    { return 4 }
func terminal(s int) bool          { return s == win || s == lose }
func (g *Grid) observe() []float64 { g.obs[0] = float64(g.s); return g.obs }
func (g *Grid) Reset() []float64   { g.s = 1 + g.rng.IntN(cells-2); return g.observe() }
func (g *Grid) InitialDistribution() []float64 {
	p := make([]float64, cells)
	for s := range p {
		if !terminal(s) {
			p[s] = 1.0 / (cells - 2)
		}
	}
	return p
}

// Transitions is deterministic: one outcome per state and action.
func (g *Grid) Transitions(s, a int) []xlrl.Outcome {
	if terminal(s) {
		return []xlrl.Outcome{{Prob: 1, Next: s, Terminal: true}}
	}
	r, c := s/size, s%size
	switch a {
	case 0:
		c = max(c-1, 0)
	case 1:
		r = min(r+1, size-1)
	case 2:
		c = min(c+1, size-1)
	case 3:
		r = max(r-1, 0)
	}
	next := r*size + c
	reward := 0.0
	switch next {
	case win:
		reward = 1
	case lose:
		reward = -1
	}
	return []xlrl.Outcome{{Prob: 1, Next: next, Reward: reward, Terminal: terminal(next)}}
}

func (g *Grid) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	o := g.Transitions(g.s, a.Discrete)[0]
	g.s = o.Next
	return g.observe(), o.Reward, o.Terminal, false
}

// arrows draws a policy (an action per state) on the grid.
func arrows(policy []int) []string {
	symbol := []string{"←", "↓", "→", "↑"}
	var rows []string
	for r := range size {
		var b strings.Builder
		for c := range size {
			s := r*size + c
			switch {
			case s == win:
				b.WriteString("+")
			case s == lose:
				b.WriteString("-")
			default:
				b.WriteString(symbol[policy[s]])
			}
		}
		rows = append(rows, b.String())
	}
	return rows
}

func main() {
	episodes := flag.Int64("episodes", 3000, "training episodes per algorithm")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*episodes, *seed); err != nil {
		log.Fatal(err)
	}
}

func run(episodes int64, seed uint64) error {
	ctx := context.Background()
	e, err := xlrl.MakeEnv(spec.ID)
	if err != nil {
		return err
	}
	model, _ := xlrl.ModelOf(e)
	// Discounting makes the shortest way to +1 the optimal one.
	const gamma = 0.9
	opt, err := xlrl.Solve(model, 0, gamma)
	if err != nil {
		return err
	}
	exact, err := xlrl.Solve(model, maxSteps, 1)
	if err != nil {
		return err
	}
	fmt.Printf("optimal value of the start distribution within %d steps: %.4f\n", maxSteps, exact.StartValue)
	grids := [][]string{arrows(opt.Policy)}
	titles := []string{"optimal"}
	failed := false
	for _, algo := range []string{"q-learning", "sarsa"} {
		cfg := xlrl.TunedTabular(spec.ID, algo)
		cfg.Seed, cfg.Gamma = seed, gamma
		agent, err := xlrl.NewTabular(cfg, &spec)
		if err != nil {
			return err
		}
		if _, err := agent.Learn(ctx, xlrl.EnvByID(spec.ID), xlrl.Budget{Episodes: episodes}, xlrl.Hooks{}); err != nil {
			return err
		}
		policy := make([]int, cells)
		agrees := 0
		for s := range policy {
			policy[s] = agent.Act([]float64{float64(s)}).Discrete
			if !terminal(s) && opt.V[s] == qValue(model, opt.V, s, policy[s], gamma) {
				agrees++
			}
		}
		ev, err := xlrl.Evaluate(ctx, agent, e, 1000, seed+1)
		if err != nil {
			return err
		}
		fmt.Printf("%-10s mean return over 1000 fresh episodes %.4f; optimal action in %d of %d cells\n",
			algo, ev.Mean, agrees, cells-2)
		if ev.Mean < 0.99*exact.StartValue {
			failed = true
		}
		grids = append(grids, arrows(policy))
		titles = append(titles, algo)
	}
	for i, t := range titles {
		fmt.Printf("%-12s", t)
		if i == len(titles)-1 {
			fmt.Println()
		}
	}
	for r := range size {
		for _, g := range grids {
			fmt.Printf("%-12s", g[r])
		}
		fmt.Println()
	}
	if failed {
		fmt.Println("a learnt policy is more than 1% below the optimum")
		os.Exit(1)
	}
	return nil
}

// qValue is the value of action a in state s under the values v: several
// actions can be optimal, so the learnt one is compared by its value.
func qValue(m xlrl.Model, v []float64, s, a int, gamma float64) float64 {
	q := 0.0
	for _, o := range m.Transitions(s, a) {
		next := v[o.Next]
		if o.Terminal {
			next = 0
		}
		q += o.Prob * (o.Reward + gamma*next)
	}
	return q
}
