package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/worker/workertest"

	"github.com/xlrl/xlrl/internal/worker"
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
	dir := t.TempDir()
	npy := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(npy, []byte("1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"gen", "train", "--model", "pixelcnn", "--data", "digits"}, `--model "pixelcnn"`},
		{[]string{"gen", "train", "--model", "vae"}, "--data is required"},
		{[]string{"gen", "train", "--model", "vae", "--data", "mnist"}, `--data "mnist"`},
		{[]string{"gen", "train", "--model", "vae", "--data", npy}, "or a .npy, .npz or .csv file"},
		{[]string{"gen", "train", "--model", "vae", "--data", filepath.Join(dir, "no.npy")}, "no such file"},
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--epochs", "-1"}, "--epochs -1: must be at least 0"},
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--name", "a/b"}, "a name, not a path"},
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--option", "latent"}, "want KEY=VALUE"},
		{[]string{"gen", "eval", dir}, "is not a run directory"},
		{[]string{"gen", "sample", dir, "-n", "0"}, "at least one sample"},
		{[]string{"robust", "train", "--attack", "cw"}, `--attack "cw"`},
		{[]string{"robust", "train", "--eps", "0"}, "--eps 0"},
		{[]string{"robust", "eval", dir, "--pgd-steps", "0"}, "--pgd-steps 0"},
		{[]string{"robust", "eval", dir}, "is not a run directory"},
	}
	for _, tt := range tests {
		_, _, err := genExec(t, tt.args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestGenRunDir(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d, err := genRunDir("", "", now)
	if err != nil || !strings.HasSuffix(d, filepath.Join("runs", "20260102-030405")) {
		t.Fatalf("default run dir %q, %v", d, err)
	}
	d, err = genRunDir("", "mine", now)
	if err != nil || !strings.HasSuffix(d, filepath.Join("runs", "mine")) {
		t.Fatalf("--name run dir %q, %v", d, err)
	}
	if err := os.WriteFile(filepath.Join(d, "meta.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := genRunDir("", "mine", now); err == nil || !strings.Contains(err.Error(), "already exists and is not empty") {
		t.Fatalf("reusing a run directory: %v", err)
	}
	d, err = genRunDir("elsewhere/x", "", now)
	if err != nil || !strings.HasSuffix(d, filepath.Join("elsewhere", "x")) {
		t.Fatalf("--out run dir %q, %v", d, err)
	}
	// --name next to --out is refused, not silently ignored.
	if _, err := genRunDir("elsewhere/y", "ignored", now); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Fatalf("--name with --out: %v", err)
	}
}

func TestParseOptions(t *testing.T) {
	got, err := parseOptions([]string{"latent=8", "decoder=gaussian", "hidden=[64,64]", "x=1.5", "ok=true"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"latent": int64(8), "decoder": "gaussian", "hidden": []any{int64(64), int64(64)}, "x": 1.5, "ok": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseOptions = %v, want %v", got, want)
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
