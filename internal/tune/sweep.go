package tune

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// ParseSeeds reads a seed list: "1-10", "1,3,5", "1-3,7".
func ParseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--seeds %q: %q is not a seed or a range such as 1-10", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("--seeds %q: %q is not a range such as 1-10", s, part)
			}
		}
		if b-a >= 10000 {
			return nil, fmt.Errorf("--seeds %q: %d seeds is too many (at most 10000)", s, b-a+1)
		}
		for x := a; ; x++ {
			if seen[x] {
				return nil, fmt.Errorf("--seeds %q: seed %d is given twice", s, x)
			}
			seen[x] = true
			seeds = append(seeds, x)
			if x == b {
				break
			}
		}
	}
	if len(seeds) > 10000 {
		return nil, fmt.Errorf("--seeds %q: %d seeds is too many (at most 10000)", s, len(seeds))
	}
	return seeds, nil
}

// SweepConfig is what Sweep runs: Base on each of Seeds.
type SweepConfig struct {
	Exe       string
	Dir       string // seed s goes to Dir/seed-<s>
	Base      *Base
	Seeds     []uint64
	Jobs      int
	Threshold *float64 // the environment's solved threshold, if any
	Grace     time.Duration
	Log       io.Writer
}

// SeedRun is one seed's outcome.
type SeedRun struct {
	Seed       uint64  `json:"seed"`
	RunDir     string  `json:"run_dir"`
	MeanReturn float64 `json:"mean_return"`
	StdReturn  float64 `json:"std_return"`
	Episodes   int     `json:"-"`
	Solved     bool    `json:"solved"`
	Steps      int64   `json:"train_steps"`
	WallS      float64 `json:"wall_s"`
	Err        string  `json:"error,omitempty"`
}

// SweepResult is the sweep's table and its statistics across seeds.
type SweepResult struct {
	Runs   []SeedRun `json:"runs"`
	N      int       `json:"seeds_done"`
	Failed int       `json:"seeds_failed"`
	Mean   float64   `json:"mean"`
	Std    float64   `json:"std"`
	// CILow and CIHigh bound a 95% bootstrap confidence interval of the
	// mean across seeds (10,000 resamples of the per-seed means).
	CILow       float64  `json:"ci95_low"`
	CIHigh      float64  `json:"ci95_high"`
	Solved      int      `json:"solved"`
	Threshold   *float64 `json:"threshold,omitempty"`
	WallS       float64  `json:"wall_s"`
	Interrupted bool     `json:"interrupted"`
}

// SeedDir is the run directory of seed s in a sweep directory.
func SeedDir(dir string, s uint64) string { return filepath.Join(dir, fmt.Sprintf("seed-%d", s)) }

// Sweep runs every seed, cfg.Jobs at a time, each an `xlrl train` child,
// and summarises them. Ctrl-C (ctx) stops the running ones (their
// checkpoints let `xlrl train --resume` continue them) and starts no more.
func Sweep(ctx context.Context, cfg SweepConfig) (*SweepResult, error) {
	if cfg.Jobs <= 0 {
		cfg.Jobs = 1
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the sweep directory: %w", err)
	}
	start := time.Now()
	runs := make([]SeedRun, len(cfg.Seeds))
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for j := 0; j < cfg.Jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := cfg.Seeds[i]
				dir := SeedDir(cfg.Dir, s)
				ch := Child{Exe: cfg.Exe, Args: cfg.Base.TrainArgs([]Flag{{"seed", strconv.FormatUint(s, 10)}}, nil, dir),
					Metrics: filepath.Join(dir, "metrics.jsonl"), Log: dir + ".log", Grace: cfg.Grace}
				out := ch.Run(ctx)
				r := SeedRun{Seed: s, RunDir: absPath(dir), WallS: out.Wall.Seconds()}
				switch {
				case out.Result != nil:
					res := out.Result
					r.MeanReturn, r.StdReturn, r.Steps = res.MeanReturn, res.StdReturn, res.TrainSteps
					if res.Deep != nil && res.Deep.Solved != nil {
						r.Solved = *res.Deep.Solved
					} else if cfg.Threshold != nil {
						r.Solved = res.MeanReturn >= *cfg.Threshold
					}
				case out.Canceled:
					r.Err = "interrupted"
				case out.Err != nil:
					r.Err = out.Err.Error()
				default:
					r.Err = fmt.Sprintf("exit status %d", out.ExitCode)
				}
				mu.Lock()
				runs[i] = r
				if r.Err != "" {
					fmt.Fprintf(cfg.Log, "seed %d: failed (%s)\n", s, r.Err)
				} else {
					fmt.Fprintf(cfg.Log, "seed %d: mean return %.2f (%.1f s)\n", s, r.MeanReturn, r.WallS)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range cfg.Seeds {
		select {
		case next <- i:
		case <-ctx.Done():
			for k := i; k < len(cfg.Seeds); k++ {
				runs[k] = SeedRun{Seed: cfg.Seeds[k], Err: "not started (interrupted)"}
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	res := Summarise(runs, cfg.Threshold)
	res.WallS = time.Since(start).Seconds()
	res.Interrupted = ctx.Err() != nil
	return res, nil
}

// Summarise computes the statistics across the seeds that finished.
func Summarise(runs []SeedRun, threshold *float64) *SweepResult {
	res := &SweepResult{Runs: runs, Threshold: threshold}
	var means []float64
	for _, r := range runs {
		if r.Err != "" {
			res.Failed++
			continue
		}
		means = append(means, r.MeanReturn)
		if r.Solved {
			res.Solved++
		}
	}
	res.N = len(means)
	if res.N == 0 {
		return res // no statistics: all zero
	}
	res.Mean, res.Std = meanStd(means)
	res.CILow, res.CIHigh = Bootstrap(means, 10000, 0.95, 1)
	return res
}

func meanStd(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if len(xs) == 1 {
		return m, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1)) // sample standard deviation
}

// Bootstrap is the percentile bootstrap confidence interval at level of the
// mean of xs, from n resamples drawn with a generator seeded by seed (so a
// table is reproducible). NaNs when xs is empty.
func Bootstrap(xs []float64, n int, level float64, seed uint64) (float64, float64) {
	if len(xs) == 0 || n <= 0 {
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	means := make([]float64, n)
	for i := range means {
		var s float64
		for range xs {
			s += xs[rng.IntN(len(xs))]
		}
		means[i] = s / float64(len(xs))
	}
	slices.Sort(means)
	alpha := (1 - level) / 2
	lo := means[int(math.Floor(alpha*float64(n-1)))]
	hi := means[int(math.Ceil((1-alpha)*float64(n-1)))]
	return lo, hi
}

// WriteSweepTable prints one line per seed and the statistics.
func WriteSweepTable(w io.Writer, r *SweepResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "seed\teval mean\teval std\tsolved\tsteps\twall s\trun")
	runs := append([]SeedRun(nil), r.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Seed < runs[j].Seed })
	for _, s := range runs {
		if s.Err != "" {
			fmt.Fprintf(tw, "%d\t-\t-\t-\t-\t%.1f\tfailed: %s\n", s.Seed, s.WallS, s.Err)
			continue
		}
		solved := "no"
		if s.Solved {
			solved = "yes"
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f\t%s\t%d\t%.1f\t%s\n", s.Seed, s.MeanReturn, s.StdReturn, solved, s.Steps, s.WallS, s.RunDir)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.N == 0 {
		_, err := fmt.Fprintf(w, "no seed finished (%d failed)\n", r.Failed)
		return err
	}
	solved := fmt.Sprintf("solved %d of %d", r.Solved, r.N)
	if r.Threshold != nil {
		solved += fmt.Sprintf(" (mean return >= %g)", *r.Threshold)
	}
	_, err := fmt.Fprintf(w, "across %d seeds: mean %.2f +- %.2f (std), 95%% bootstrap CI of the mean [%.2f, %.2f]; %s; %d failed\n",
		r.N, r.Mean, r.Std, r.CILow, r.CIHigh, solved, r.Failed)
	return err
}
