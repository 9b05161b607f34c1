package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/flagcheck"
	"github.com/xlrl/xlrl/internal/genrun"
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

type robustTrainFlags struct {
	data, attack, name, out  string
	eps, lr                  float64
	steps, evalSteps, epochs int
	seed                     uint64
	noCompare, asJSON        bool
}

func newRobustTrainCmd() *cobra.Command {
	var f robustTrainFlags
	cmd := &cobra.Command{
		Use:   "train [--data digits] [--attack fgsm|pgd|none] [--eps 0.1]",
		Short: "Train a classifier (adversarially unless --attack none); clean and robust accuracy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRobustTrain(cmd, &f)
		},
	}
	fl := cmd.Flags()
	dflt := "(default: the worker's, 'xlrl gen models' lists it)"
	fl.StringVar(&f.data, "data", "", "labelled data: a built-in set or an .npz with arrays x and y "+dflt)
	fl.StringVar(&f.attack, "attack", "", "training attack: pgd, fgsm, or none (standard training) "+dflt)
	fl.Float64Var(&f.eps, "eps", 0, "L-infinity radius of the attack, in data units "+dflt)
	fl.IntVar(&f.steps, "pgd-steps", 0, "PGD steps of the training attack "+dflt)
	fl.IntVar(&f.evalSteps, "eval-steps", 0, "PGD steps of the robust-accuracy evaluation (random start) "+dflt)
	fl.IntVar(&f.epochs, "epochs", 0, "training epochs "+dflt)
	fl.Float64Var(&f.lr, "lr", 0, "learning rate "+dflt)
	flagcheck.Declare(fl, "lr", "(0,inf)")
	flagcheck.Declare(fl, "eps", "[0,inf)")
	fl.Uint64Var(&f.seed, "seed", 0, "random seed")
	fl.BoolVar(&f.noCompare, "no-compare", false, "skip training a standard model for comparison")
	fl.StringVar(&f.name, "name", "", "run name: the run goes to runs/NAME (default: a UTC timestamp)")
	fl.StringVar(&f.out, "out", "", "run directory, any path (instead of runs/<name>)")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// runRobustTrain fills the flags not given with the worker's defaults,
// checks them against its catalog, then trains.
func runRobustTrain(cmd *cobra.Command, f *robustTrainFlags) error {
	fl := cmd.Flags()
	if fl.Changed("eps") && f.eps <= 0 {
		return usageErrorf("--eps %g: want a positive radius inside the data range (0.1 for [0, 1] images)", f.eps)
	}
	if fl.Changed("eval-steps") && f.evalSteps < 1 {
		return usageErrorf("--eval-steps %d: want at least 1", f.evalSteps)
	}
	loc, err := genLocation(f.out, f.name)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	c, cat, err := genSession(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	d := cat.Robust.Train
	if err := setDefaults(fl, map[string]string{"data": d.Data, "attack": d.Attack, "eps": fmtFloat(d.Eps),
		"pgd-steps": strconv.Itoa(d.Steps), "eval-steps": strconv.Itoa(d.EvalSteps),
		"epochs": strconv.Itoa(d.Epochs), "lr": fmtFloat(d.LearningRate)}); err != nil {
		return err
	}
	if err := cat.Robust.CheckAttack(f.attack, true); err != nil {
		return genUsage(err)
	}
	data, err := cat.Gen.CheckData(f.data)
	if err != nil {
		return genUsage(err)
	}
	p := map[string]any{"data": data, "attack": f.attack, "eps": f.eps, "steps": f.steps, "eval_steps": f.evalSteps,
		"epochs": f.epochs, "learning_rate": f.lr, "seed": f.seed, "compare_standard": !f.noCompare}
	res, err := genrun.Run(ctx, c, genrun.Job{Method: "robust.train", Params: p, Flags: fl, NotKeys: genNotKeys,
		Location: loc, Label: fmt.Sprintf("robust train %s eps %g on %s", f.attack, f.eps, f.data),
		Title: fmt.Sprintf("classifier on %s, %s eps %g", f.data, f.attack, f.eps)}, cmd.ErrOrStderr())
	if err != nil {
		return genUsage(err)
	}
	return reportRobust(cmd.OutOrStdout(), withFiles(res), f.asJSON)
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
			fl := cmd.Flags()
			if fl.Changed("eps") && eps <= 0 {
				return usageErrorf("--eps %g: want a positive radius inside the data range", eps)
			}
			if fl.Changed("pgd-steps") && steps < 1 {
				return usageErrorf("--pgd-steps %d: want at least 1", steps)
			}
			runDir, err := genExistingRun(args[0])
			if err != nil {
				return err
			}
			// Left out, the worker's defaults apply (the training eps for --eps).
			p := map[string]any{"run_dir": runDir, "seed": seed}
			if fl.Changed("attack") {
				p["attack"] = attack
			}
			if fl.Changed("eps") {
				p["eps"] = eps
			}
			if fl.Changed("pgd-steps") {
				p["steps"] = steps
			}
			res, err := robustEval(cmd, runDir, p)
			if err != nil {
				return err
			}
			return reportRobust(cmd.OutOrStdout(), res, asJSON)
		},
	}
	fl := cmd.Flags()
	dflt := "(default: the worker's, 'xlrl gen models' lists it)"
	fl.StringVar(&attack, "attack", "", "fgsm or pgd (with random start) "+dflt)
	fl.Float64Var(&eps, "eps", 0, "L-infinity radius (default: the training eps)")
	flagcheck.Declare(fl, "eps", "[0,inf)")
	fl.IntVar(&steps, "pgd-steps", 0, "PGD steps "+dflt)
	fl.Uint64Var(&seed, "seed", 0, "seed of PGD's random start")
	fl.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// robustEval is the worker's robust.eval of a run; a bad attack is a usage
// error naming the worker's attacks.
func robustEval(cmd *cobra.Command, runDir string, p map[string]any) (map[string]any, error) {
	var res map[string]any
	err := genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
		if a, ok := p["attack"].(string); ok {
			cat, err := genrun.ReadCatalog(c.Handshake())
			if err != nil {
				return err
			}
			if err := cat.Robust.CheckAttack(a, false); err != nil {
				return genUsage(err)
			}
		}
		return c.Call(cmd.Context(), "robust.eval", p, &res)
	})
	return res, err
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
	printGenFiles(w, res)
	return nil
}
