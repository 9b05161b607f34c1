package xlrl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/worker"
)

// TrainOptions are the options of Train, the flags of `xlrl train` as
// fields (docs/runs.md describes each). Zero values mean the flag's
// default: the tuned value for the environment and algorithm.
type TrainOptions struct {
	Env  string // a registered environment id (required unless Resume)
	Algo string // one of Algorithms() (required unless Resume)
	Seed uint64

	Episodes     int64 // tabular agents; 0: tuned
	Steps        int64 // 0: tuned (deep agents) or no step bound (tabular)
	EvalEpisodes int   // 0: tuned
	LR, LREnd    float64
	Gamma        float64
	// Explore, when not nil, replaces the tuned exploration of a tabular agent.
	Explore *Exploration
	// Map and Slippery are FrozenLake's and CliffWalking's options; nil
	// Slippery keeps the environment's own.
	Map      string
	Slippery *bool

	// Backend is where deep agents' gradient steps run: "go" (the
	// default here: no Python), "tf" (the Python worker) or one compiled in.
	Backend string
	// Layers are the hidden layer sizes (nil: tuned); Arch a named network.
	Layers      []int
	Arch        string
	NoEarlyStop bool
	// Hyper sets values of the tuned table's entry by name, as --hp (any
	// algorithm: lr_end for a tabular agent, train_freq for DQN, ...).
	Hyper map[string]string

	// The run directory: Out, or RunsRoot/Name (runs/<timestamp> by default).
	Out, Name, RunsRoot string
	// Resume continues the run in this directory (Env, Algo and the tuning
	// fields must then be left zero: the run's config.yaml holds them).
	Resume          string
	CheckpointEvery time.Duration // 0: 30s
	// Plot draws plots/training.png and TensorBoard files (needs Python).
	Plot bool

	// Progress receives the progress line and messages (nil: nowhere).
	Progress io.Writer
	// Worker chooses the Python worker of the tf backend and of plots.
	Worker WorkerOptions
	// Episode, when not nil, is called after each logged training episode
	// with its number over the whole run.
	Episode func(episode int64)
}

// Result is the outcome of Train: the greedy evaluation on fresh episodes,
// the exact optimum where there is one, the counts, the hyperparameters
// used and the run directory. Its JSON is the run's result.json.
type Result = train.Result

// ErrInterrupted is wrapped by Train's error when ctx stopped the run; a
// run whose checkpoint was saved continues with TrainOptions.Resume.
var ErrInterrupted = train.ErrInterrupted

// Train does everything `xlrl train` does: it creates the run directory,
// writes config.yaml and metrics.jsonl, trains with checkpoints (resumable
// for tabular agents and DQN on the go backend), evaluates the greedy
// policy, compares it with the exact optimum and writes result.json.
func Train(ctx context.Context, o TrainOptions) (*Result, error) {
	fl, err := o.flags()
	if err != nil {
		return nil, err
	}
	w := o.Worker
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	h := train.Hooks{Progress: o.Progress, AfterEpisode: o.Episode,
		StartWorker: func(ctx context.Context, logFile string) (*worker.Client, error) {
			wo := w
			if logFile != "" {
				wo.LogFile = logFile
			}
			return worker.Start(ctx, wo)
		}}
	return train.Train(ctx, fl, h)
}

// flags turns the options into train flags, each given field set as if
// typed on the command line.
func (o *TrainOptions) flags() (*train.Flags, error) {
	fl := train.NewFlags(train.Defaults{Root: o.RunsRoot, Plot: o.Plot})
	var set []string
	add := func(name, value string, given bool) {
		if given {
			set = append(set, name, value)
		}
	}
	f64 := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if o.Resume == "" {
		if o.Env == "" || o.Algo == "" {
			return nil, errors.New("train: TrainOptions.Env and .Algo are required (or Resume, to continue a run)")
		}
		add("seed", strconv.FormatUint(o.Seed, 10), true)
		// The API's deep agents default to the go backend; the tabular ones
		// take no --backend at all.
		add("backend", "go", o.Backend == "" && !train.IsTabular(o.Algo))
	}
	add("env", o.Env, o.Env != "")
	add("algo", o.Algo, o.Algo != "")
	add("episodes", strconv.FormatInt(o.Episodes, 10), o.Episodes != 0)
	add("steps", strconv.FormatInt(o.Steps, 10), o.Steps != 0)
	add("eval-episodes", strconv.Itoa(o.EvalEpisodes), o.EvalEpisodes != 0)
	add("lr", f64(o.LR), o.LR != 0)
	add("lr-end", f64(o.LREnd), o.LREnd != 0)
	add("gamma", f64(o.Gamma), o.Gamma != 0)
	if e := o.Explore; e != nil {
		add("explore", e.Kind, true)
		add("schedule", e.Schedule, e.Schedule != "")
		add("explore-start", f64(e.Start), true)
		add("explore-end", f64(e.End), true)
		add("decay-steps", strconv.FormatInt(e.DecaySteps, 10), e.DecaySteps != 0)
		add("decay", f64(e.Decay), e.Decay != 0)
		add("ucb-c", f64(e.C), e.C != 0)
	}
	add("map", o.Map, o.Map != "")
	if o.Slippery != nil {
		add("slippery", strconv.FormatBool(*o.Slippery), true)
	}
	add("backend", o.Backend, o.Backend != "")
	if o.Layers != nil {
		s := make([]string, len(o.Layers))
		for i, n := range o.Layers {
			s[i] = strconv.Itoa(n)
		}
		add("layers", strings.Join(s, ","), true)
	}
	add("arch", o.Arch, o.Arch != "")
	add("no-early-stop", "true", o.NoEarlyStop)
	for k, v := range o.Hyper {
		add("hp", k+"="+v, true)
	}
	add("out", o.Out, o.Out != "")
	add("name", o.Name, o.Name != "")
	add("resume", o.Resume, o.Resume != "")
	add("checkpoint-every", o.CheckpointEvery.String(), o.CheckpointEvery != 0)
	for i := 0; i < len(set); i += 2 {
		if err := fl.Set.Set(set[i], set[i+1]); err != nil {
			return nil, fmt.Errorf("train: %s %q: %w", set[i], set[i+1], err)
		}
	}
	return fl, nil
}
