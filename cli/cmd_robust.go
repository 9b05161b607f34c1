package cli

import (
	"fmt"
	"github.com/xlrl/xlrl/internal/flagcheck"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/worker"
)

func newRobustCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "robust",
		Short: "Adversarial examples (FGSM, PGD) and adversarial training of a classifier",
		Long: `Train an MLP classifier, standard or adversarially (Madry's PGD training), and
measure its clean accuracy and its accuracy under FGSM or PGD attacks with
random start, projection onto the L-infinity ball of radius --eps and clipping
to the data range. See docs/generative.md.`,
	}
	cmd.AddCommand(newRobustTrainCmd(), newRobustEvalCmd())
	return cmd
}

func newRobustTrainCmd() *cobra.Command {
	var (
		data, attack, name, out  string
		eps, lr                  float64
		steps, evalSteps, epochs int
		seed                     uint64
		noCompare, asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "train [--data digits] [--attack fgsm|pgd|none] [--eps 0.1]",
		Short: "Train a classifier (adversarially unless --attack none); clean and robust accuracy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch attack {
			case "none", "fgsm", "pgd":
			default:
				return usageErrorf("--attack %q: want fgsm, pgd or none", attack)
			}
			if eps <= 0 {
				return usageErrorf("--eps %g: want a positive radius inside the data range (0.1 for [0, 1] images)", eps)
			}
			if steps < 0 || evalSteps < 1 || epochs < 0 || lr < 0 {
				return usageErrorf("--pgd-steps, --epochs and --lr must not be negative and --eval-steps at least 1")
			}
			d, err := genData(data)
			if err != nil {
				return err
			}
			runDir, err := genRunDir(out, name, time.Now())
			if err != nil {
				return err
			}
			p := map[string]any{"run_dir": runDir, "data": d, "attack": attack, "eps": eps,
				"eval_steps": evalSteps, "seed": seed, "compare_standard": !noCompare}
			if steps > 0 {
				p["steps"] = steps
			}
			if epochs > 0 {
				p["epochs"] = epochs
			}
			if lr > 0 {
				p["learning_rate"] = lr
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "training a classifier on %s (attack %s, eps %g) into %s\n", data, attack, eps, runDir)
			var res map[string]any
			bar := epochBar(cmd.ErrOrStderr(), fmt.Sprintf("robust train %s eps %g", attack, eps))
			err = genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
				return c.CallWithProgress(cmd.Context(), "robust.train", p, &res, bar.Notify)
			})
			bar.Finish()
			if err != nil {
				genDiscardFailed(runDir)
				return err
			}
			return reportRobust(cmd.OutOrStdout(), res, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "digits", "labelled data: digits, mnist5k, or an .npz with arrays x and y")
	fl.StringVar(&attack, "attack", "pgd", "training attack: pgd, fgsm, or none (standard training)")
	fl.Float64Var(&eps, "eps", 0.1, "L-infinity radius of the attack, in data units")
	fl.IntVar(&steps, "pgd-steps", 0, "PGD steps of the training attack (default 10)")
	fl.IntVar(&evalSteps, "eval-steps", 20, "PGD steps of the robust-accuracy evaluation (random start)")
	fl.IntVar(&epochs, "epochs", 0, "training epochs (default 60)")
	fl.Float64Var(&lr, "lr", 0, "learning rate (default 0.001)")
	flagcheck.Declare(fl, "lr", "(0,inf)")
	flagcheck.Declare(fl, "eps", "[0,inf)")
	fl.Uint64Var(&seed, "seed", 0, "random seed")
	fl.BoolVar(&noCompare, "no-compare", false, "skip training a standard model for comparison")
	fl.StringVar(&name, "name", "", "run name: the run goes to runs/NAME (default: a UTC timestamp)")
	fl.StringVar(&out, "out", "", "run directory, any path (instead of runs/<name>)")
	fl.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

func newRobustEvalCmd() *cobra.Command {
	var (
		attack string
		eps    float64
		steps  int
		seed   uint64
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "eval RUN [--attack pgd --eps E --pgd-steps K]",
		Short: "Clean accuracy and accuracy under attack of a trained classifier",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if attack != "fgsm" && attack != "pgd" {
				return usageErrorf("--attack %q: want fgsm or pgd", attack)
			}
			if cmd.Flags().Changed("eps") && eps <= 0 {
				return usageErrorf("--eps %g: want a positive radius inside the data range", eps)
			}
			if steps < 1 {
				return usageErrorf("--pgd-steps %d: want at least 1", steps)
			}
			runDir, err := genExistingRun(args[0])
			if err != nil {
				return err
			}
			p := map[string]any{"run_dir": runDir, "attack": attack, "steps": steps, "seed": seed}
			if cmd.Flags().Changed("eps") {
				p["eps"] = eps
			}
			var res map[string]any
			err = genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
				return c.Call(cmd.Context(), "robust.eval", p, &res)
			})
			if err != nil {
				return err
			}
			return reportRobust(cmd.OutOrStdout(), res, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&attack, "attack", "pgd", "fgsm or pgd (with random start)")
	fl.Float64Var(&eps, "eps", 0, "L-infinity radius (default: the training eps)")
	flagcheck.Declare(fl, "eps", "[0,inf)")
	fl.IntVar(&steps, "pgd-steps", 20, "PGD steps")
	fl.Uint64Var(&seed, "seed", 0, "seed of PGD's random start")
	fl.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

func reportRobust(w io.Writer, res map[string]any, asJSON bool) error {
	if asJSON {
		return printJSON(w, res)
	}
	attack := "FGSM"
	if res["attack"] == "pgd" {
		attack = fmt.Sprintf("PGD-%.0f, random start", num(res, "steps"))
	}
	fmt.Fprintf(w, "classifier on %s trained with %v (%s)\n", res["data"], res["trained_with"], res["run_dir"])
	fmt.Fprintf(w, "clean accuracy    %.4f\n", num(res, "clean_accuracy"))
	fmt.Fprintf(w, "robust accuracy   %.4f  (%s, eps %g)\n", num(res, "robust_accuracy"), attack, num(res, "eps"))
	if _, ok := res["standard_robust_accuracy"]; ok {
		fmt.Fprintf(w, "standard model    clean %.4f, robust %.4f (same attack)\n",
			num(res, "standard_clean_accuracy"), num(res, "standard_robust_accuracy"))
	}
	if _, ok := res["examples_per_s"]; ok {
		fmt.Fprintf(w, "training          %.1f s, %.0f examples/s\n", num(res, "train_seconds"), num(res, "examples_per_s"))
	}
	return nil
}
