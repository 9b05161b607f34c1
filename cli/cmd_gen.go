package cli

import (
	"encoding/json"
	"fmt"
	"github.com/xlrl/xlrl/internal/flagcheck"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/worker"
)

var genModels = []string{"vae", "gan", "realnvp", "maf", "made"}

func newGenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generative models trained by the worker: VAE, GAN, RealNVP, MAF, MADE",
		Long: `Train, sample and evaluate generative models. The worker trains them with
TensorFlow/Keras; xlrl chooses the run directory, shows progress and collects
samples and metrics. Data: digits, mnist5k, moons, circles, 8gaussians, or a
.npy/.npz/.csv file. See docs/generative.md.`,
	}
	cmd.AddCommand(newGenTrainCmd(), newGenSampleCmd(), newGenEvalCmd())
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

func newGenTrainCmd() *cobra.Command {
	var f genTrainFlags
	cmd := &cobra.Command{
		Use:   "train --model vae|gan|realnvp|maf|made --data NAME|FILE",
		Short: "Train a generative model into a run directory; ends with the figures of 'gen eval'",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := f.params()
			if err != nil {
				return err
			}
			runDir, err := genRunDir(f.out, f.name, time.Now())
			if err != nil {
				return err
			}
			params["run_dir"] = runDir
			fmt.Fprintf(cmd.ErrOrStderr(), "training %s on %s into %s\n", f.model, f.data, runDir)
			var res map[string]any
			bar := epochBar(cmd.ErrOrStderr(), fmt.Sprintf("gen train %s %s", f.model, f.data))
			err = genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
				return c.CallWithProgress(cmd.Context(), "gen.train", params, &res, bar.Notify)
			})
			bar.Finish()
			if err != nil {
				genDiscardFailed(runDir)
				return err
			}
			return reportGenEval(cmd.OutOrStdout(), res, f.asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "vae, gan, realnvp, maf or made (required)")
	fl.StringVar(&f.data, "data", "", "digits, mnist5k, moons, circles, 8gaussians, or a .npy/.npz/.csv file (required)")
	fl.IntVar(&f.epochs, "epochs", 0, "training epochs (default: the model's own, under 2 minutes on 2 cores)")
	fl.Uint64Var(&f.seed, "seed", 0, "random seed (same seed, same run)")
	fl.Float64Var(&f.lr, "lr", 0, "learning rate (default: the model's own)")
	flagcheck.Declare(fl, "lr", "(0,inf)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "minibatch size (default: the model's own)")
	fl.IntVar(&f.samples, "samples", 0, "samples drawn into samples.png and samples.npy at the end (default: 64 images, or as many points as the test split)")
	fl.StringArrayVar(&f.options, "option", nil, "model setting KEY=VALUE, VALUE in JSON or a bare string "+
		"(repeatable): e.g. decoder=gaussian, latent=8, orderings=4, hidden=[64,64]")
	fl.StringVar(&f.name, "name", "", "run name: the run goes to runs/NAME (default: a UTC timestamp)")
	fl.StringVar(&f.out, "out", "", "run directory, any path (instead of runs/<name>)")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// parseOptions turns KEY=VALUE settings into the model's options map. VALUE
// is read as JSON (numbers, lists, true/false) and otherwise kept as a string.
func parseOptions(kvs []string) (map[string]any, error) {
	opts := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--option %q: want KEY=VALUE, e.g. --option latent=8", kv)
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		var val any
		if err := dec.Decode(&val); err != nil || dec.More() {
			opts[k] = v
			continue
		}
		opts[k] = intsAsInts(val)
	}
	return opts, nil
}

// intsAsInts keeps whole JSON numbers integers, so that latent=8 reaches the
// worker as the int a layer size must be, not as 8.0.
func intsAsInts(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = intsAsInts(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = intsAsInts(x[k])
		}
	}
	return v
}

// params checks the flags and turns them into gen.train's arguments; flags
// left at zero are left out so that the worker applies the model's defaults.
func (f *genTrainFlags) params() (map[string]any, error) {
	known := false
	for _, m := range genModels {
		known = known || f.model == m
	}
	if !known {
		return nil, usageErrorf("--model %q: want one of vae, gan, realnvp, maf, made", f.model)
	}
	if f.data == "" {
		return nil, usageErrorf("--data is required: digits, mnist5k, moons, circles, 8gaussians or a file")
	}
	data, err := genData(f.data)
	if err != nil {
		return nil, err
	}
	if f.epochs < 0 || f.batchSize < 0 || f.lr < 0 || f.samples < 0 {
		return nil, usageErrorf("--epochs, --batch-size and --lr must be positive and --samples not negative")
	}
	p := map[string]any{"model": f.model, "data": data, "seed": f.seed}
	if f.samples > 0 {
		p["n_samples"] = f.samples
	}
	if len(f.options) > 0 {
		opts, err := parseOptions(f.options)
		if err != nil {
			return nil, err
		}
		p["options"] = opts
	}
	if f.epochs > 0 {
		p["epochs"] = f.epochs
	}
	if f.batchSize > 0 {
		p["batch_size"] = f.batchSize
	}
	if f.lr > 0 {
		p["learning_rate"] = f.lr
	}
	return p, nil
}

func newGenSampleCmd() *cobra.Command {
	var (
		n    int
		seed uint64
	)
	var asJSON bool
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
			var res struct {
				Samples worker.Array `msgpack:"samples"`
				PNG     string       `msgpack:"png"`
				NPY     string       `msgpack:"npy"`
				Model   string       `msgpack:"model"`
				Epoch   int          `msgpack:"epoch"`
			}
			err = genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
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
		},
	}
	cmd.Flags().IntVarP(&n, "n", "n", 64, "number of samples")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed of the samples")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

func newGenEvalCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval RUN",
		Short: "Test NLL beside the baseline (VAE, flows, MADE) or sample metrics (GAN)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runDir, err := genExistingRun(args[0])
			if err != nil {
				return err
			}
			var res map[string]any
			err = genWithWorker(cmd.Context(), runDir, func(c *worker.Client) error {
				return c.Call(cmd.Context(), "gen.eval", map[string]any{"run_dir": runDir}, &res)
			})
			if err != nil {
				return err
			}
			return reportGenEval(cmd.OutOrStdout(), res, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
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
	return nil
}
