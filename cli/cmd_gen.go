package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/flagcheck"
	"github.com/xlrl/xlrl/internal/genrun"
	"github.com/xlrl/xlrl/internal/worker"
)

func newGenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generative models trained by the worker (VAE, GAN, flows, MADE: xlrl gen models)",
		Long: `Train, sample and evaluate generative models. The worker trains them with
TensorFlow/Keras; xlrl chooses the run directory, shows progress and collects
samples and metrics. The models, the built-in data sets and their defaults are
the worker's: 'xlrl gen models' lists them. See docs/generative.md.`,
	}
	cmd.AddCommand(newGenTrainCmd(), newGenSampleCmd(), newGenEvalCmd(), newGenModelsCmd())
	return cmd
}

type genTrainFlags struct {
	model, data, name, out string
	epochs, batchSize      int
	seed                   uint64
	lr                     float64
	samples                int
	options                []string
	asJSON                 bool
}

// genNotKeys are the flags of gen train and robust train that config.yaml
// leaves out: where the run went and how it was reported.
var genNotKeys = []string{"name", "out", "json", "help"}

func newGenTrainCmd() *cobra.Command {
	var f genTrainFlags
	cmd := &cobra.Command{
		Use:   "train --model MODEL --data NAME|FILE",
		Short: "Train a generative model into a run directory; ends with the figures of 'gen eval'",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGenTrain(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "a model of the worker's (required; 'xlrl gen models' lists them)")
	fl.StringVar(&f.data, "data", "", "a built-in data set of the worker's ('xlrl gen models' lists them) or a .npy/.npz/.csv file (required)")
	fl.IntVar(&f.epochs, "epochs", 0, "training epochs (default: the model's own, under 2 minutes on 2 cores)")
	fl.Uint64Var(&f.seed, "seed", 0, "random seed (same seed, same run)")
	fl.Float64Var(&f.lr, "lr", 0, "learning rate (default: the model's own)")
	flagcheck.Declare(fl, "lr", "(0,inf)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "minibatch size (default: the model's own)")
	fl.IntVar(&f.samples, "samples", 0, "samples drawn into samples.png and samples.npy at the end (default: 64 images, or as many points as the test split)")
	fl.StringArrayVar(&f.options, "option", nil, "model setting KEY=VALUE, VALUE in JSON or a bare string, read by the worker "+
		"(repeatable): e.g. decoder=gaussian, latent=8, orderings=4, hidden=[64,64]")
	fl.StringVar(&f.name, "name", "", "run name: the run goes to runs/NAME (default: a UTC timestamp)")
	fl.StringVar(&f.out, "out", "", "run directory, any path (instead of runs/<name>)")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// runGenTrain checks the flags against the worker's catalog, then trains.
func runGenTrain(cmd *cobra.Command, f *genTrainFlags) error {
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
	m, err := cat.Gen.Model(f.model)
	if err != nil {
		return genUsage(err)
	}
	data, err := cat.Gen.CheckData(f.data)
	if err != nil {
		return genUsage(err)
	}
	if err := setDefaults(cmd.Flags(), map[string]string{"epochs": strconv.Itoa(m.Epochs),
		"batch-size": strconv.Itoa(m.BatchSize), "lr": fmtFloat(m.LearningRate)}); err != nil {
		return err
	}
	params := map[string]any{"model": f.model, "data": data, "seed": f.seed,
		"epochs": f.epochs, "batch_size": f.batchSize, "learning_rate": f.lr}
	if f.samples > 0 {
		params["n_samples"] = f.samples
	}
	if len(f.options) > 0 {
		params["options"] = f.options // KEY=VALUE, read by the worker (pyworker/gen/catalog.py)
	}
	res, err := genrun.Run(ctx, c, genrun.Job{Method: "gen.train", Params: params, Flags: cmd.Flags(),
		NotKeys: genNotKeys, Location: loc, Label: fmt.Sprintf("gen train %s %s", f.model, f.data),
		Title: fmt.Sprintf("%s on %s", f.model, f.data)}, cmd.ErrOrStderr())
	if err != nil {
		return genUsage(err)
	}
	return reportGenEval(cmd.OutOrStdout(), withFiles(res), f.asJSON)
}

// setDefaults gives the flags not set on the command line the worker's
// defaults, so that config.yaml says what the run used.
func setDefaults(fs *pflag.FlagSet, defaults map[string]string) error {
	for name, v := range defaults {
		if fs.Changed(name) {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("the worker's default --%s %s: %w", name, v, err)
		}
	}
	return nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// withFiles is the job's result with the run's plot and TensorBoard files.
func withFiles(r *genrun.Result) map[string]any {
	v := r.Values
	if r.Plot != "" {
		v["plot"] = r.Plot
	}
	if r.TensorBoard != "" {
		v["tensorboard"] = r.TensorBoard
	}
	return v
}

func newGenSampleCmd() *cobra.Command {
	var (
		n      int
		seed   uint64
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "sample RUN [-n 64]",
		Short: "Draw samples from a trained model into RUN/samples-n<N>-seed<S>.png and .npy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 {
				return usageErrorf("-n %d: want at least one sample", n)
			}
			runDir, err := genExistingRun(args[0])
			if err != nil {
				return err
			}
			return runGenSample(cmd, runDir, n, seed, asJSON)
		},
	}
	cmd.Flags().IntVarP(&n, "n", "n", 64, "number of samples")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed of the samples")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

func runGenSample(cmd *cobra.Command, runDir string, n int, seed uint64, asJSON bool) error {
	var res struct {
		Samples worker.Array `msgpack:"samples"`
		PNG     string       `msgpack:"png"`
		NPY     string       `msgpack:"npy"`
		Model   string       `msgpack:"model"`
		Epoch   int          `msgpack:"epoch"`
	}
	err := genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
		return c.Call(cmd.Context(), "gen.sample", map[string]any{"run_dir": runDir, "n": n, "seed": seed}, &res)
	})
	if err != nil {
		return err
	}
	vals, err := res.Samples.Float32s()
	if err != nil {
		return fmt.Errorf("samples from the worker: %w", err)
	}
	_, item, err := res.Samples.Batch()
	if err != nil {
		return fmt.Errorf("samples from the worker: %w", err)
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return printJSON(out, map[string]any{"n": n, "shape": res.Samples.Shape, "values": len(vals),
			"png": res.PNG, "npy": res.NPY, "model": res.Model, "epoch": res.Epoch})
	}
	fmt.Fprintf(out, "%d samples of shape %v from %s (epoch %d)\n  %s\n  %s\n",
		n, item, res.Model, res.Epoch, res.PNG, res.NPY)
	return nil
}

func newGenEvalCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval RUN",
		Short: "Test NLL beside the baseline (likelihood models) or sample metrics (GAN)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runDir, err := genExistingRun(args[0])
			if err != nil {
				return err
			}
			res, err := genEval(cmd, runDir)
			if err != nil {
				return err
			}
			return reportGenEval(cmd.OutOrStdout(), res, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// genEval is the worker's gen.eval of a run.
func genEval(cmd *cobra.Command, runDir string) (map[string]any, error) {
	var res map[string]any
	err := genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
		return c.Call(cmd.Context(), "gen.eval", map[string]any{"run_dir": runDir}, &res)
	})
	return res, err
}

func newGenModelsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "The worker's generative models, data sets and defaults (and robust training's)",
		Long: `Ask the worker what gen and robust offer: the models with their default
epochs, batch size, learning rate and --option keys; the built-in data sets;
robust training's attacks and defaults. These are defined once, in the worker
(pyworker/gen/catalog.py); xlrl's flag checks read the same list.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, cat, err := genSession(cmd.Context())
			if err != nil {
				return err
			}
			c.Close()
			if asJSON {
				return printJSON(cmd.OutOrStdout(), cat)
			}
			printCatalog(cmd.OutOrStdout(), cat)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as one JSON object")
	return cmd
}

func printCatalog(w io.Writer, cat *genrun.Catalog) {
	fmt.Fprintln(w, "models (gen train --model; defaults: epochs, batch size, learning rate):")
	for _, m := range cat.Gen.Models {
		fmt.Fprintf(w, "  %-8s %4d %4d %-7g %s\n           --option keys: %v\n",
			m.Name, m.Epochs, m.BatchSize, m.LearningRate, m.Summary, m.Options)
	}
	fmt.Fprintln(w, "data (--data; or a file:", cat.Gen.DataFiles, "):")
	for _, d := range cat.Gen.Data {
		fmt.Fprintf(w, "  %-10s %s\n", d.Name, d.Summary)
	}
	t := cat.Robust.Train
	fmt.Fprintf(w, "robust train: --attack %v (default %s), --eps %g, --pgd-steps %d, --eval-steps %d, --epochs %d, --lr %g, batch %d, --data %v (default %s)\n",
		cat.Robust.TrainAttacks, t.Attack, t.Eps, t.Steps, t.EvalSteps, t.Epochs, t.LearningRate, t.BatchSize, cat.Robust.Data, t.Data)
	fmt.Fprintf(w, "robust eval:  --attack %v (default %s), --pgd-steps %d\n",
		cat.Robust.EvalAttacks, cat.Robust.Eval.Attack, cat.Robust.Eval.Steps)
}

// reportGenEval prints gen.eval's object: as JSON, or as a few readable lines.
func reportGenEval(w io.Writer, res map[string]any, asJSON bool) error {
	if asJSON {
		return printJSON(w, res)
	}
	fmt.Fprintf(w, "%s on %s, epoch %.0f (%s)\n", res["model"], res["data"], num(res, "epoch"), res["run_dir"])
	if _, ok := res["test_nll"]; ok {
		fmt.Fprintf(w, "test NLL       %.3f ± %.3f nats per example (%s)\n",
			num(res, "test_nll"), num(res, "test_nll_stderr"), res["nll_method"])
		fmt.Fprintf(w, "baseline NLL   %.3f nats per example (%s)\n", num(res, "baseline_nll"), res["baseline"])
	}
	if _, ok := res["frechet_distance"]; ok {
		fmt.Fprintf(w, "Frechet distance   %.3f (real train vs test: %.3f; features: %s)\n",
			num(res, "frechet_distance"), num(res, "frechet_train_vs_test"), res["features"])
	}
	if h, ok := res["class_histogram"].([]any); ok {
		fmt.Fprintf(w, "classes covered    %.0f of %d, largest class %.1f%% of samples\n",
			num(res, "classes_covered"), len(h), 100*num(res, "max_class_fraction"))
		fmt.Fprintf(w, "inception score    %.2f (real test images: %.2f)\n",
			num(res, "inception_score"), num(res, "inception_score_test"))
	}
	if _, ok := res["examples_per_s"]; ok {
		fmt.Fprintf(w, "training           %.1f s, %.0f examples/s\n", num(res, "train_seconds"), num(res, "examples_per_s"))
	}
	printGenFiles(w, res)
	return nil
}

// printGenFiles names the run's plot and TensorBoard files, when it has them.
func printGenFiles(w io.Writer, res map[string]any) {
	if p, ok := res["plot"].(string); ok {
		fmt.Fprintf(w, "loss plot          %s\n", p)
	}
	if p, ok := res["tensorboard"].(string); ok {
		fmt.Fprintf(w, "TensorBoard        %s\n", p)
	}
}
