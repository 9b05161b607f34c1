package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/mdp"
	"github.com/xlrl/xlrl/internal/train"
)

type solveResult struct {
	Env          string   `json:"env"`
	OptimalValue float64  `json:"optimal_value"`
	Horizon      int      `json:"horizon"`
	Gamma        float64  `json:"gamma"`
	Method       string   `json:"method"`
	Iterations   int      `json:"iterations"`
	Policy       []int    `json:"policy"`
	Actions      []string `json:"actions,omitempty"`
	Grid         []string `json:"grid,omitempty"`
}

// solveFlags are xlrl solve's flags.
type solveFlags struct {
	envID, mapName, method string
	slippery, asJSON       bool
	horizon                int
	gamma                  float64
}

func newSolveCmd() *cobra.Command {
	var o solveFlags
	cmd := &cobra.Command{
		Use:   "solve --env ID",
		Short: "Solve a grid environment exactly from its transition model and draw the optimal policy",
		Long: `Solve a tabular environment exactly from its transition model: the optimal
expected return of the start distribution and an optimal policy, drawn on the
grid for FrozenLake, CliffWalking and Taxi.

By default the horizon is the environment's time limit and there is no
discount, which is how Gymnasium judges these tasks (FrozenLake 4x4: the best
success probability within 100 steps). --horizon 0 solves the infinite-horizon
problem by value iteration (or policy iteration, --method, with --gamma < 1).
With a finite horizon the optimal policy depends on the steps left; the one
shown is the first step's.`,
		Example: `  xlrl solve --env FrozenLake-v1
  xlrl solve --env FrozenLake-v1 --map 8x8 --horizon 200
  xlrl solve --env Taxi-v3 --json
  xlrl solve --env CliffWalking-v0 --horizon 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !(o.gamma > 0 && o.gamma <= 1) {
				return usageErrorf("--gamma %g: the discount must lie in (0, 1]", o.gamma)
			}
			if o.horizon < -1 {
				return usageErrorf("--horizon %d: want a number of steps, 0 for no limit, or leave it out for the time limit", o.horizon)
			}
			res, err := solve(&o, cmd.Flags().Changed("slippery"))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printSolveResult(out, res)
			if o.asJSON {
				return printJSON(out, res)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.envID, "env", "FrozenLake-v1", "environment id: FrozenLake-v1, FrozenLake8x8-v1, Taxi-v3, CliffWalking-v0")
	f.StringVar(&o.mapName, "map", "", "FrozenLake map: 4x4, 8x8 or rows such as SFFF,FHFH,FFFH,HFFG")
	f.BoolVar(&o.slippery, "slippery", false, train.SlipperyUsage)
	f.IntVar(&o.horizon, "horizon", -1, "steps to optimise over; default: the time limit; 0: infinite horizon")
	f.Float64Var(&o.gamma, "gamma", 1, "discount in (0, 1]")
	f.StringVar(&o.method, "method", "auto", "auto, finite-horizon, value-iteration or policy-iteration")
	f.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object on the last line")
	return cmd
}

// solve makes the environment and solves its model with the method and
// horizon asked for (slippery: --slippery was given).
func solve(o *solveFlags, slippery bool) (*solveResult, error) {
	var opts []env.Option
	if o.mapName != "" {
		opts = append(opts, env.WithMap(o.mapName))
	}
	if slippery {
		opts = append(opts, env.WithSlippery(o.slippery))
	}
	e, err := env.Make(o.envID, opts...)
	if err != nil {
		return nil, err
	}
	m, ok := env.ModelOf(e)
	if !ok {
		return nil, fmt.Errorf("%s has no transition model to solve; xlrl solve handles the grid environments (FrozenLake, Taxi, CliffWalking)", o.envID)
	}
	horizon := o.horizon
	if horizon == -1 {
		horizon = e.Spec().MaxEpisodeSteps
	}
	sol, method, horizon, err := solveModel(m, o.method, horizon, o.gamma)
	if err != nil {
		return nil, err
	}
	res := &solveResult{
		Env: e.Spec().ID, OptimalValue: mdp.StartValue(m, sol.V), Horizon: horizon, Gamma: o.gamma,
		Method: method, Iterations: sol.Iterations, Policy: sol.Policy,
	}
	res.Actions, res.Grid, err = drawPolicy(o.envID, o.mapName, sol.Policy)
	return res, err
}

// solveModel runs --method ("auto": finite-horizon DP for a positive
// horizon, value iteration otherwise); it returns the method and horizon used.
func solveModel(m env.Model, method string, horizon int, gamma float64) (*mdp.Solution, string, int, error) {
	var sol *mdp.Solution
	var err error
	switch {
	case method == "auto" && horizon > 0, method == "finite-horizon":
		if horizon <= 0 {
			return nil, "", 0, usageErrorf("--method finite-horizon needs a positive --horizon")
		}
		method = "finite-horizon"
		sol, err = mdp.FiniteHorizon(m, horizon, gamma)
	case method == "auto", method == "value-iteration":
		method, horizon = "value-iteration", 0
		sol, err = mdp.ValueIteration(m, gamma, 1e-10, 1_000_000)
	case method == "policy-iteration":
		horizon = 0
		sol, err = mdp.PolicyIteration(m, gamma, 1e-10, 10_000)
	default:
		return nil, "", 0, usageErrorf("--method %q: want auto, finite-horizon, value-iteration or policy-iteration", method)
	}
	return sol, method, horizon, err
}

func printSolveResult(w io.Writer, r *solveResult) {
	h := "infinite horizon"
	if r.Horizon > 0 {
		h = fmt.Sprintf("within %d steps", r.Horizon)
	}
	fmt.Fprintf(w, "%s: optimal value of the start distribution %.4f (%s, gamma %g, %s)\n",
		r.Env, r.OptimalValue, h, r.Gamma, r.Method)
	for _, line := range r.Grid {
		fmt.Fprintln(w, line)
	}
}

// drawPolicy names the actions and draws the policy on the environment's grid.
func drawPolicy(envID, mapName string, pi []int) ([]string, []string, error) {
	switch {
	case strings.HasPrefix(envID, "FrozenLake"):
		if mapName == "" {
			mapName = "4x4"
			if envID == "FrozenLake8x8-v1" {
				mapName = "8x8"
			}
		}
		desc, err := env.ParseFrozenLakeMap(mapName)
		if err != nil {
			return nil, nil, err
		}
		arrows := []string{"←", "↓", "→", "↑"}
		var grid []string
		for r, row := range desc {
			var b strings.Builder
			for c, tile := range row {
				switch tile {
				case 'H', 'G':
					b.WriteRune(tile)
				default:
					b.WriteString(arrows[pi[r*len(row)+c]])
				}
			}
			grid = append(grid, b.String())
		}
		return []string{"left", "down", "right", "up"}, grid, nil
	case strings.HasPrefix(envID, "CliffWalking"):
		arrows := []string{"↑", "→", "↓", "←"}
		var grid []string
		for r := range 4 {
			var b strings.Builder
			for c := range 12 {
				switch {
				case r == 3 && c == 11:
					b.WriteByte('G')
				case r == 3 && c > 0:
					b.WriteByte('C')
				default:
					b.WriteString(arrows[pi[r*12+c]])
				}
			}
			grid = append(grid, b.String())
		}
		return []string{"up", "right", "down", "left"}, grid, nil
	case strings.HasPrefix(envID, "Taxi"):
		return taxiActions, drawTaxi(pi), nil
	}
	return nil, nil, nil
}

var taxiActions = []string{"south", "north", "east", "west", "pickup", "dropoff"}

// drawTaxi draws, for each pick-up point, where the taxi drives to fetch a
// passenger waiting there, and, for each destination, where it drives with
// the passenger on board: 8 small 5x5 grids side by side in two rows.
func drawTaxi(pi []int) []string {
	symbols := []string{"↓", "↑", "→", "←", "P", "D"}
	names := "RGYB"
	panel := func(pass, dest int) []string {
		rows := make([]string, 5)
		for r := range 5 {
			var b strings.Builder
			for c := range 5 {
				b.WriteString(symbols[pi[env.TaxiEncode(r, c, pass, dest)]])
			}
			rows[r] = b.String()
		}
		return rows
	}
	var out []string
	var head strings.Builder
	fetch := make([][]string, 4)
	for p := range 4 {
		fetch[p] = panel(p, (p+1)%4)
		fmt.Fprintf(&head, "%-8s", fmt.Sprintf("wait %c", names[p]))
	}
	out = append(out, "fetch the passenger (destination: the next point):", strings.TrimRight(head.String(), " "))
	for r := range 5 {
		var b strings.Builder
		for p := range 4 {
			fmt.Fprintf(&b, "%s   ", fetch[p][r])
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	head.Reset()
	deliver := make([][]string, 4)
	for d := range 4 {
		deliver[d] = panel(4, d)
		fmt.Fprintf(&head, "%-8s", fmt.Sprintf("to %c", names[d]))
	}
	out = append(out, "deliver the passenger on board:", strings.TrimRight(head.String(), " "))
	for r := range 5 {
		var b strings.Builder
		for d := range 4 {
			fmt.Fprintf(&b, "%s   ", deliver[d][r])
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}
