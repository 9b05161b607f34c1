package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/watch"
)

func newEvalCmd() *cobra.Command {
	var (
		episodes int
		seed     uint64
		asJSON   bool
		gif      string
		video    string
		watchN   int
		fps      int
		every    int
	)
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
an MP4 needs ffmpeg, or pip install 'xlrl-worker[video]').`,
		Example: `  xlrl eval runs/frozenlake
  xlrl eval runs/frozenlake --eval-episodes 10000 --seed 7 --json
  xlrl eval runs/cartpole --gif cartpole.gif
  xlrl eval runs/cartpole --video cartpole.mp4 --watch-episodes 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seedp *uint64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			files := map[watch.Format]string{}
			for f, path := range map[watch.Format]string{watch.GIF: gif, watch.MP4: video} {
				if path == "" {
					continue
				}
				if err := watch.CheckOut(path, f); err != nil {
					return usageErrorf("%v", err)
				}
				files[f] = path
			}
			if watchN < 1 || fps < 1 || fps > 60 || every < 1 {
				return usageErrorf("--watch-episodes %d, --fps %d, --every %d: want at least one episode, 1 to 60 frames per second, one step in at least 1",
					watchN, fps, every)
			}
			res, err := train.Evaluate(cmd.Context(), args[0], episodes, seedp)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printEvalResult(out, res)
			report := evalReport{Result: res}
			if len(files) > 0 {
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
					w, err := train.Watch(cmd.Context(), args[0], c, train.WatchOptions{Episodes: watchN, Seed: seedp, Out: path, FPS: fps, Every: every})
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "wrote %s: %d episodes, %d frames of %dx%d\n", w.Path, w.Episodes, w.Frames, w.Width, w.Height)
					if f == watch.GIF {
						report.GIF = w
					} else {
						report.Video = w
					}
				}
			}
			if asJSON {
				return printJSON(out, report)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&episodes, "eval-episodes", 0, "evaluation episodes (default: the run's --eval-episodes)")
	// --episodes counts training episodes in xlrl train; here it was the
	// evaluation's, and still works, with a warning.
	f.IntVar(&episodes, "episodes", 0, "evaluation episodes")
	if err := f.MarkDeprecated("episodes", "use --eval-episodes (--episodes counts training episodes in xlrl train)"); err != nil {
		panic(err)
	}
	f.Uint64Var(&seed, "seed", 0, "seed of the evaluation episodes (default: those xlrl train evaluated on)")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object on the last line")
	f.StringVar(&gif, "gif", "", "draw episodes of the greedy policy into this GIF file")
	f.StringVar(&video, "video", "", "draw episodes of the greedy policy into this MP4 file (needs ffmpeg)")
	f.IntVar(&watchN, "watch-episodes", 1, "episodes --gif and --video draw")
	f.IntVar(&fps, "fps", 30, "frames per second of --gif and --video")
	f.IntVar(&every, "every", 1, "--gif and --video draw one step in this many (a smaller file)")
	return cmd
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
	if r.Optimum != nil {
		line := fmt.Sprintf("exact optimum %.4f", *r.Optimum)
		if r.OptimumPercent != nil {
			line += fmt.Sprintf(": %.1f%% of optimal", *r.OptimumPercent)
		}
		fmt.Fprintln(w, line)
	}
}
