package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/genrun"
	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/watch"
)

// evalFlags are xlrl eval's flags.
type evalFlags struct {
	episodes           int
	seed               uint64
	asJSON             bool
	gif, video         string
	watchN, fps, every int
}

func newEvalCmd() *cobra.Command {
	var o evalFlags
	cmd := &cobra.Command{
		Use:   "eval RUN",
		Short: "Evaluate a trained run's greedy policy from its checkpoint",
		Long: `Load the checkpoint of a run directory (runs/<name>) and run its greedy
policy on fresh episodes: the mean and standard deviation of the return, the
success rate and, for environments with an exact optimum, the percentage of
it reached.

Without --seed the episodes are the ones xlrl train evaluated on at the end
of the run, so the figures match its report; --seed draws other episodes.

--gif FILE (and --video FILE.mp4) draws the first --watch-episodes of those
episodes: the classic-control environments as Gymnasium draws them, the grid
environments as grids with the agent's path. The worker draws them (Pillow;
an MP4 needs ffmpeg, or pip install 'xlrl-worker[video]').

A run of 'xlrl gen train' has no policy: eval reports what 'xlrl gen eval'
does, the test NLL on the held-out split beside a baseline (likelihood
models) or the sample metrics (GAN). A run of 'xlrl robust train' gets
'xlrl robust eval' at the training radius: clean accuracy and accuracy under
PGD. Only --json applies to them.`,
		Example: `  xlrl eval runs/frozenlake
  xlrl eval runs/frozenlake --eval-episodes 10000 --seed 7 --json
  xlrl eval runs/cartpole --gif cartpole.gif
  xlrl eval runs/cartpole --video cartpole.mp4 --watch-episodes 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if genrun.KindOf(args[0]) != "" {
				return runEvalGen(cmd, args[0])
			}
			return runEval(cmd, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.episodes, "eval-episodes", 0, "evaluation episodes (default: the run's --eval-episodes)")
	// --episodes counts training episodes in xlrl train; here it was the
	// evaluation's, and still works, with a warning.
	f.IntVar(&o.episodes, "episodes", 0, "evaluation episodes")
	if err := f.MarkDeprecated("episodes", "use --eval-episodes (--episodes counts training episodes in xlrl train)"); err != nil {
		panic(err)
	}
	f.Uint64Var(&o.seed, "seed", 0, "seed of the evaluation episodes (default: those xlrl train evaluated on)")
	f.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object on the last line")
	f.StringVar(&o.gif, "gif", "", "draw episodes of the greedy policy into this GIF file")
	f.StringVar(&o.video, "video", "", "draw episodes of the greedy policy into this MP4 file (needs ffmpeg)")
	f.IntVar(&o.watchN, "watch-episodes", 1, "episodes --gif and --video draw")
	f.IntVar(&o.fps, "fps", 30, "frames per second of --gif and --video")
	f.IntVar(&o.every, "every", 1, "--gif and --video draw one step in this many (a smaller file)")
	return cmd
}

// runEval evaluates an RL run's greedy policy and draws the episodes asked for.
func runEval(cmd *cobra.Command, dir string, o *evalFlags) error {
	var seedp *uint64
	if cmd.Flags().Changed("seed") {
		seedp = &o.seed
	}
	files := map[watch.Format]string{}
	for f, path := range map[watch.Format]string{watch.GIF: o.gif, watch.MP4: o.video} {
		if path == "" {
			continue
		}
		if err := watch.CheckOut(path, f); err != nil {
			return usageErrorf("%v", err)
		}
		files[f] = path
	}
	if o.watchN < 1 || o.fps < 1 || o.fps > 60 || o.every < 1 {
		return usageErrorf("--watch-episodes %d, --fps %d, --every %d: want at least one episode, 1 to 60 frames per second, one step in at least 1",
			o.watchN, o.fps, o.every)
	}
	res, err := train.Evaluate(cmd.Context(), dir, o.episodes, seedp)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	printEvalResult(out, res)
	report := evalReport{Result: res}
	if len(files) > 0 {
		if err := drawEpisodes(cmd, dir, files, seedp, o, &report); err != nil {
			return err
		}
	}
	if o.asJSON {
		return printJSON(out, report)
	}
	return nil
}

// drawEpisodes draws the GIF and the video asked for into report.
func drawEpisodes(cmd *cobra.Command, dir string, files map[watch.Format]string, seedp *uint64, o *evalFlags, report *evalReport) error {
	c, err := startWorker(cmd.Context(), "")
	if err != nil {
		return err
	}
	defer c.Close()
	for _, f := range []watch.Format{watch.GIF, watch.MP4} {
		path, ok := files[f]
		if !ok {
			continue
		}
		w, err := train.Watch(cmd.Context(), dir, c, train.WatchOptions{Episodes: o.watchN, Seed: seedp, Out: path, FPS: o.fps, Every: o.every})
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d episodes, %d frames of %dx%d\n", w.Path, w.Episodes, w.Frames, w.Width, w.Height)
		if f == watch.GIF {
			report.GIF = w
		} else {
			report.Video = w
		}
	}
	return nil
}

// runEvalGen evaluates a gen or robust run the way its own eval command
// does, after saying so; the flags of policy evaluation are refused.
func runEvalGen(cmd *cobra.Command, dir string) error {
	var policyFlags []string
	local := cmd.LocalFlags()
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name != "json" && local.Lookup(f.Name) != nil {
			policyFlags = append(policyFlags, "--"+f.Name)
		}
	})
	kind := genrun.KindOf(dir)
	if len(policyFlags) > 0 {
		return usageErrorf("%s is a %s run, which has no policy to play: %s evaluate policies of RL runs. "+
			"Draw samples with 'xlrl gen sample %s'; attack with other settings with 'xlrl robust eval %s --attack ... --eps ...'",
			dir, kind, strings.Join(policyFlags, ", "), dir, dir)
	}
	runDir, err := genExistingRun(dir)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	asJSON, _ := cmd.Flags().GetBool("json")
	if kind == genrun.KindRobust {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s is a robust run: clean accuracy and PGD accuracy at its training eps on the test split (xlrl robust eval)\n", dir)
		res, err := robustEval(cmd, runDir, map[string]any{"run_dir": runDir})
		if err != nil {
			return err
		}
		return reportRobust(out, res, asJSON)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s is a generative run: test NLL beside the baseline, or a GAN's sample metrics, on the held-out split (xlrl gen eval)\n", dir)
	res, err := genEval(cmd, runDir)
	if err != nil {
		return err
	}
	return reportGenEval(out, res, asJSON)
}

// evalReport is xlrl eval's JSON: the evaluation, and the files drawn.
type evalReport struct {
	*train.Result
	GIF   *watch.Result `json:"gif,omitempty"`
	Video *watch.Result `json:"video,omitempty"`
}

func printEvalResult(w io.Writer, r *train.Result) {
	fmt.Fprintf(w, "%s: %s %s (seed %d), trained %d episodes, %d steps\n",
		r.RunDir, r.Env, r.Algo, r.Seed, r.TrainEpisodes, r.TrainSteps)
	fmt.Fprintf(w, "greedy evaluation, %d episodes: mean return %.4f (std %.4f), success %.2f%%\n",
		r.EvalEpisodes, r.MeanReturn, r.StdReturn, 100*r.SuccessRate)
	if line := optimumLine(r); line != "" {
		fmt.Fprintln(w, line)
	}
}
