package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// genExec runs the xlrl command line in-process and returns stdout and stderr.
func genExec(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot(testSettings)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func genLastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var v map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
	return v
}

func TestGenUsageErrors(t *testing.T) {
	py := workertest.Python(t)
	dir := t.TempDir()
	npy := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(npy, []byte("1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		// the valid models, data sets and attacks come from the worker's handshake
		{[]string{"gen", "train", "--model", "pixelcnn", "--data", "digits"}, `--model "pixelcnn": want one of vae, gan, realnvp, maf, made`},
		{[]string{"gen", "train", "--data", "digits"}, "--model is required: one of vae, gan"},
		{[]string{"gen", "train", "--model", "vae"}, "--data is required: one of digits, mnist5k"},
		{[]string{"gen", "train", "--model", "vae", "--data", "mnist"}, `--data "mnist": want one of digits, mnist5k, moons, circles, 8gaussians`},
		{[]string{"gen", "train", "--model", "vae", "--data", npy}, "or a .npy, .npz, .csv file"},
		{[]string{"gen", "train", "--model", "vae", "--data", filepath.Join(dir, "no.npy")}, "no such file"},
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--epochs", "-1"}, "--epochs -1: must be at least 0"},
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--name", "a/b"}, "a name, not a path"},
		{[]string{"gen", "eval", dir}, "is not a run directory"},
		{[]string{"gen", "sample", dir, "-n", "0"}, "at least one sample"},
		{[]string{"robust", "train", "--attack", "cw"}, `--attack "cw": want one of none, fgsm, pgd`},
		{[]string{"robust", "train", "--eps", "0"}, "--eps 0"},
		{[]string{"robust", "eval", dir, "--pgd-steps", "0"}, "--pgd-steps 0"},
		{[]string{"robust", "eval", dir}, "is not a run directory"},
	}
	for _, tt := range tests {
		_, _, err := genExec(t, append([]string{"--python", py}, tt.args...)...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir("runs"); len(entries) > 0 {
		t.Errorf("refused commands left run directories: %v", entries)
	}
}

// A malformed --option is the worker's to read (one KEY=VALUE parser, in
// pyworker/gen/catalog.py); it is refused by name and leaves no run.
func TestGenBadOptionIsTheWorkers(t *testing.T) {
	py := workertest.Python(t)
	run := filepath.Join(t.TempDir(), "run")
	_, _, err := genExec(t, "--python", py, "gen", "train", "--model", "vae", "--data", "moons",
		"--option", "latent", "--out", run)
	var re *worker.RemoteError
	if !errors.As(err, &re) || !strings.Contains(re.Message, "want KEY=VALUE") {
		t.Fatalf("--option latent: error %v, want the worker's KEY=VALUE error", err)
	}
	if _, err := os.Stat(run); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run left its directory: %v", err)
	}
}

// gen models prints the worker's catalog; --json holds every model with its
// defaults, the data sets and robust training's defaults.
func TestGenModelsListsTheWorkersCatalog(t *testing.T) {
	out, _, err := genExec(t, "--python", workertest.Python(t), "gen", "models", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Gen struct {
			Models []struct {
				Name   string `json:"name"`
				Epochs int    `json:"epochs"`
			} `json:"models"`
		} `json:"gen"`
		Robust struct {
			Train struct {
				Eps    float64 `json:"eps"`
				Epochs int     `json:"epochs"`
			} `json:"train"`
		} `json:"robust"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &cat); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(cat.Gen.Models) != 5 || cat.Gen.Models[0].Name != "vae" || cat.Gen.Models[0].Epochs < 1 {
		t.Errorf("models %+v", cat.Gen.Models)
	}
	if cat.Robust.Train.Eps <= 0 || cat.Robust.Train.Epochs < 1 {
		t.Errorf("robust defaults %+v", cat.Robust.Train)
	}
}

// checkRunFormat: a gen or robust run has what an RL run has: config.yaml
// with the given keys, one update record with a loss per epoch then an eval
// record, TensorBoard events and the loss plot.
func checkRunFormat(t *testing.T, dir string, epochs int, lossKey string, keys map[string]string) {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range keys {
		if !strings.Contains(string(cfg), "\n"+k+": "+v+"\n") {
			t.Errorf("config.yaml lacks %s: %s:\n%s", k, v, cfg)
		}
	}
	recs, err := run.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != epochs+1 {
		t.Fatalf("%d metrics records, want %d epochs and an eval: %+v", len(recs), epochs, recs)
	}
	for i, r := range recs[:epochs] {
		if _, ok := r.Values[lossKey]; r.Kind != metric.KindUpdate || r.Step != int64(i+1) || !ok {
			t.Errorf("record %d: %+v, want an update at step %d with %s", i, r, i+1, lossKey)
		}
	}
	if last := recs[epochs]; last.Kind != metric.KindEval || last.Step != int64(epochs) {
		t.Errorf("last record %+v, want the eval at step %d", last, epochs)
	}
	tb, _ := filepath.Glob(filepath.Join(dir, "tb", "events.out.tfevents.*"))
	if len(tb) != 1 {
		t.Errorf("TensorBoard files %v, want one", tb)
	}
	if st, err := os.Stat(filepath.Join(dir, "plots", "training.png")); err != nil || st.Size() < 1000 {
		t.Errorf("loss plot: %v", err)
	}
}

// The whole path: Go flags -> worker -> Keras -> run directory -> JSON, with
// tiny budgets. gen train --json must end with gen eval's object.
func TestGenEndToEnd(t *testing.T) {
	py := workertest.Python(t)
	run := filepath.Join(t.TempDir(), "run")
	out, errOut, err := genExec(t, "--python", py, "gen", "train", "--model", "made", "--data", "digits",
		"--epochs", "3", "--seed", "1", "--out", run, "--json")
	if err != nil {
		t.Fatalf("gen train: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "3/3 epochs (100%)") || !strings.Contains(errOut, "loss ") {
		t.Errorf("no progress line for the last epoch in stderr:\n%s", errOut)
	}
	train := genLastJSON(t, out)
	nll, base := train["test_nll"].(float64), train["baseline_nll"].(float64)
	if !(nll > 0 && base > 20 && nll < base+5) {
		t.Errorf("test_nll %v, baseline_nll %v: implausible", nll, base)
	}
	out, _, err = genExec(t, "--python", py, "gen", "eval", run, "--json")
	if err != nil {
		t.Fatalf("gen eval: %v", err)
	}
	eval := genLastJSON(t, out)
	for _, k := range []string{"test_nll", "baseline_nll", "epoch", "model", "data", "examples_per_s"} {
		if eval[k] != train[k] {
			t.Errorf("%s: gen train said %v, gen eval says %v", k, train[k], eval[k])
		}
	}
	out, _, err = genExec(t, "--python", py, "gen", "sample", run, "-n", "9", "--json")
	if err != nil {
		t.Fatalf("gen sample: %v", err)
	}
	s := genLastJSON(t, out)
	if s["values"].(float64) != 9*64 {
		t.Errorf("gen sample: %v values, want %d", s["values"], 9*64)
	}
	for _, f := range []string{"samples.png", "samples.npy", "meta.json", "worker.log"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("run directory lacks %s: %v", f, err)
		}
	}
	// The worker's defaults are written out (the catalog's batch size for MADE).
	checkRunFormat(t, run, 3, "loss", map[string]string{"model": "made", "epochs": "3", "batch-size": "64"})
	if log, _ := os.ReadFile(filepath.Join(run, "worker.log")); !strings.Contains(string(log), "serving") {
		t.Errorf("worker.log lacks the worker's start:\n%s", log)
	}
	checkPlotAndEval(t, py, run, []string{"test_nll", "baseline_nll"}, "Loss trajectory")
}

// checkPlotAndEval: xlrl plot and xlrl eval take a gen or robust run; eval
// reports the run's own figures (keys) and refuses the policy flags.
func checkPlotAndEval(t *testing.T, py, dir string, keys []string, panel string) {
	t.Helper()
	out, errOut, err := genExec(t, "--python", py, "plot", dir, "--json")
	if err != nil {
		t.Fatalf("xlrl plot: %v\n%s", err, errOut)
	}
	p := genLastJSON(t, out)
	if panels, _ := p["panels"].([]any); len(panels) != 1 || panels[0] != panel {
		t.Errorf("xlrl plot panels %v, want [%s]", p["panels"], panel)
	}
	out, errOut, err = genExec(t, "--python", py, "eval", dir, "--json")
	if err != nil {
		t.Fatalf("xlrl eval: %v\n%s", err, errOut)
	}
	ev := genLastJSON(t, out)
	for _, k := range keys {
		if _, ok := ev[k].(float64); !ok {
			t.Errorf("xlrl eval lacks %s: %v", k, ev)
		}
	}
	if !strings.Contains(errOut, "run: ") {
		t.Errorf("xlrl eval does not say what it evaluates:\n%s", errOut)
	}
	_, _, err = genExec(t, "--python", py, "eval", dir, "--gif", filepath.Join(t.TempDir(), "a.gif"))
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "has no policy to play: --gif") {
		t.Errorf("xlrl eval --gif of a %s run: %v, want a usage error naming --gif", dir, err)
	}
}

func TestRobustEndToEnd(t *testing.T) {
	py := workertest.Python(t)
	run := filepath.Join(t.TempDir(), "rob")
	out, errOut, err := genExec(t, "--python", py, "robust", "train", "--attack", "fgsm", "--epochs", "2",
		"--eval-steps", "5", "--out", run, "--json")
	if err != nil {
		t.Fatalf("robust train: %v\n%s", err, errOut)
	}
	res := genLastJSON(t, out)
	clean, robust := res["clean_accuracy"].(float64), res["robust_accuracy"].(float64)
	if !(clean > 0.8 && robust >= 0 && robust < clean) {
		t.Errorf("clean %v, robust %v: implausible", clean, robust)
	}
	if _, ok := res["standard_robust_accuracy"]; !ok {
		t.Errorf("no standard model figures in %v", res)
	}
	checkRunFormat(t, run, 2, "loss", map[string]string{"attack": "fgsm", "epochs": "2", "eps": "0.1", "data": "digits"})
	checkPlotAndEval(t, py, run, []string{"clean_accuracy", "robust_accuracy"}, "Loss trajectory")
	// an epsilon wider than the [0, 1] data range is refused by the worker, by name
	_, _, err = genExec(t, "--python", py, "robust", "eval", run, "--eps", "1.5")
	var re *worker.RemoteError
	if !errors.As(err, &re) || !strings.Contains(re.Message, "outside the data range") {
		t.Errorf("eps 1.5: error %v, want the worker's data-range error", err)
	}
}

func TestGenBadUserData(t *testing.T) {
	py := workertest.Python(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "nan.csv")
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString("1,2\n")
	}
	b.WriteString("3,nan\n")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := genExec(t, "--python", py, "gen", "train", "--model", "realnvp", "--data", csv,
		"--out", filepath.Join(dir, "run"))
	var re *worker.RemoteError
	if !errors.As(err, &re) || re.Type != "DataError" || !strings.Contains(re.Message, "NaN") {
		t.Errorf("NaN in the data: error %v, want a DataError naming the NaN", err)
	}
}
