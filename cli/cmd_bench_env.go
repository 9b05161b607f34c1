package cli

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
)

// benchEnvFlags are xlrl bench env's flags.
type benchEnvFlags struct {
	id           string
	steps, nEnvs int
	workers      int
	rounds       int
	seconds      float64
	asJSON       bool
}

// benchEnvResult is xlrl bench env's JSON. Rates are medians over the
// rounds; ratios are medians of the per-round ratios (each round measures
// the three runs one after the other, so load that comes and goes hits them
// alike).
type benchEnvResult struct {
	Env             string  `json:"env"`
	Single          float64 `json:"steps_per_sec"`
	SingleCPU       float64 `json:"steps_per_cpu_sec"`
	Vec1            float64 `json:"vectorized_one_worker_steps_per_sec"`
	Vec1CPU         float64 `json:"vectorized_one_worker_steps_per_cpu_sec"`
	Vectorized      float64 `json:"vectorized_steps_per_sec"`
	VectorizedCPU   float64 `json:"vectorized_steps_per_cpu_sec"`
	VecOverSingle   float64 `json:"vector_over_one_core"`
	Vec1OverSingle  float64 `json:"vector_one_worker_over_one_core"`
	VecOverVec1     float64 `json:"vector_over_one_worker"`
	Steps           int     `json:"steps"`
	VecSteps        int     `json:"vectorized_steps"`
	Envs            int     `json:"envs"`
	Workers         int     `json:"workers"`
	ParallelShare   float64 `json:"parallel_step_share"`
	WorkersUsedMost int     `json:"workers_used_most"`
	Rounds          int     `json:"rounds"`
	CPUs            int     `json:"cpus"`
	Go              string  `json:"go"`
}

func newBenchEnvCmd() *cobra.Command {
	var o benchEnvFlags
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Measure environment steps per second: one core, and vectorized on all cores",
		Long: `bench env takes uniformly random actions, resetting at every episode end and
at the time limit, and reports, per second of wall time and of CPU time used:

  steps_per_sec             one environment on one goroutine (the concrete
                            fast path: a plain loop, no vector)
  vectorized_one_worker_*   --envs copies in the vectorized runner on one
                            goroutine (the same loop over many envs)
  vectorized_steps_per_sec  the same runner on up to --workers goroutines
                            (default: one per CPU); it measures and steps on
                            one when more are slower
  parallel_step_share       the share of its steps that ran on more than one
  vector_over_one_core      vectorized / one core (vector_one_worker_over_one_core,
                            vector_over_one_worker alike)

--rounds repeats the three runs in turn and reports medians, for loaded
machines. bench/env_peers.py runs this next to Gymnasium, EnvPool and a C loop.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := env.Lookup(o.id); err != nil {
				return err
			}
			if o.steps <= 0 || o.nEnvs <= 0 || o.seconds <= 0 || o.rounds <= 0 {
				return usageErrorf("--steps, --envs, --rounds and --min-seconds must be positive")
			}
			if o.workers <= 0 {
				o.workers = runtime.GOMAXPROCS(0)
			}
			res, err := benchEnv(&o)
			if err != nil {
				return err
			}
			if o.asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			printBenchEnv(cmd.OutOrStdout(), &o, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "env", "CartPole-v1", "environment id (discrete actions)")
	f.IntVar(&o.steps, "steps", 10_000_000, "steps per timed run (grown until a run lasts --min-seconds)")
	f.Float64Var(&o.seconds, "min-seconds", 1, "shortest timed run")
	f.IntVar(&o.nEnvs, "envs", 256, "environments in the vectorized runner")
	f.IntVar(&o.workers, "workers", 0, "goroutines for the vectorized runner (0: one per CPU)")
	f.IntVar(&o.rounds, "rounds", 1, "times to repeat the three runs in turn (medians are reported)")
	f.BoolVar(&o.asJSON, "json", false, "print the figures as one JSON object")
	return cmd
}

func printBenchEnv(out io.Writer, o *benchEnvFlags, res *benchEnvResult) {
	fmt.Fprintf(out, "%s random actions, %s, %d CPUs, %d round(s)\n", o.id, runtime.Version(), res.CPUs, res.Rounds)
	fmt.Fprintf(out, "  one core, one env:                   %12.0f steps/s (%.0f per CPU-second)\n", res.Single, res.SingleCPU)
	fmt.Fprintf(out, "  vector, %d envs, 1 worker:          %12.0f steps/s (%.0f per CPU-second)\n", o.nEnvs, res.Vec1, res.Vec1CPU)
	fmt.Fprintf(out, "  vector, %d envs, up to %d workers:  %12.0f steps/s (%.0f per CPU-second)\n",
		o.nEnvs, o.workers, res.Vectorized, res.VectorizedCPU)
	fmt.Fprintf(out, "  it chose %d worker(s) for most steps (%.0f%% of steps on more than one)\n",
		res.WorkersUsedMost, 100*res.ParallelShare)
	fmt.Fprintf(out, "  vector / one core %.2fx, vector / its 1-worker run %.2fx, 1-worker vector / one core %.2fx\n",
		res.VecOverSingle, res.VecOverVec1, res.Vec1OverSingle)
}

// benchRound is one round's three runs: one env, the vector on one
// worker, the vector on up to --workers; each a rate per wall second and
// per CPU-second.
type benchRound struct {
	wall, cpu     [3]float64
	steps         [3]int
	parallelShare float64
}

// benchEnv runs the rounds and takes the medians.
func benchEnv(o *benchEnvFlags) (*benchEnvResult, error) {
	rounds := make([]benchRound, o.rounds)
	for i := range rounds {
		if err := benchEnvRound(o, &rounds[i]); err != nil {
			return nil, err
		}
	}
	med := func(f func(r *benchRound) float64) float64 {
		v := make([]float64, len(rounds))
		for i := range rounds {
			v[i] = f(&rounds[i])
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	last := &rounds[len(rounds)-1]
	res := &benchEnvResult{Env: o.id, Steps: last.steps[0], VecSteps: last.steps[2], Envs: o.nEnvs,
		Workers: o.workers, Rounds: o.rounds, CPUs: runtime.NumCPU(), Go: runtime.Version(),
		Single: med(func(r *benchRound) float64 { return r.wall[0] }), SingleCPU: med(func(r *benchRound) float64 { return r.cpu[0] }),
		Vec1: med(func(r *benchRound) float64 { return r.wall[1] }), Vec1CPU: med(func(r *benchRound) float64 { return r.cpu[1] }),
		Vectorized: med(func(r *benchRound) float64 { return r.wall[2] }), VectorizedCPU: med(func(r *benchRound) float64 { return r.cpu[2] }),
		VecOverSingle:  med(func(r *benchRound) float64 { return r.wall[2] / r.wall[0] }),
		Vec1OverSingle: med(func(r *benchRound) float64 { return r.wall[1] / r.wall[0] }),
		VecOverVec1:    med(func(r *benchRound) float64 { return r.wall[2] / r.wall[1] }),
		ParallelShare:  med(func(r *benchRound) float64 { return r.parallelShare }),
	}
	res.WorkersUsedMost = 1
	if res.ParallelShare > 0.5 {
		res.WorkersUsedMost = o.workers
	}
	return res, nil
}

// benchEnvRound times one environment, the vectorized runner on one worker
// and on up to o.workers.
func benchEnvRound(o *benchEnvFlags, r *benchRound) error {
	var err error
	r.wall[0], r.cpu[0], r.steps[0], err = measure(o.seconds, o.steps, func(n int) (int, time.Duration, error) {
		d, err := env.RandomSteps(o.id, n, 1)
		return n, d, err
	})
	if err != nil {
		return err
	}
	r.wall[1], r.cpu[1], r.steps[1], err = measure(o.seconds, o.steps, func(n int) (int, time.Duration, error) {
		return env.VectorRandomSteps(o.id, o.nEnvs, 1, n, 1, nil)
	})
	if err != nil {
		return err
	}
	r.wall[2], r.cpu[2], r.steps[2], err = measure(o.seconds, o.steps, func(n int) (int, time.Duration, error) {
		return env.VectorRandomSteps(o.id, o.nEnvs, o.workers, n, 1, &r.parallelShare)
	})
	return err
}

// measure runs f with n steps, doubling n until one run lasts minSeconds,
// after one untimed warm-up run, and returns that run's steps per second of
// wall time and per second of this process's CPU time (0 where unmeasured).
func measure(minSeconds float64, n int, f func(n int) (int, time.Duration, error)) (float64, float64, int, error) {
	if _, _, err := f(min(n, 100_000)); err != nil {
		return 0, 0, 0, err
	}
	for {
		cpu0 := processCPUTime()
		done, d, err := f(n)
		cpu := processCPUTime() - cpu0
		if err != nil {
			return 0, 0, 0, err
		}
		if d.Seconds() >= minSeconds || n >= 1<<36 {
			perCPU := 0.0
			if cpu > 0 {
				perCPU = float64(done) / cpu.Seconds()
			}
			return float64(done) / d.Seconds(), perCPU, done, nil
		}
		n *= 2
	}
}
