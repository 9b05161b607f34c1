package genrun

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// handshake is a worker's hello with the given catalog entries.
func handshake(t *testing.T, entries map[string]any) worker.Handshake {
	t.Helper()
	h := worker.Handshake{Catalog: map[string]msgpack.RawMessage{}}
	for k, v := range entries {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		h.Catalog[k] = b
	}
	return h
}

var testCatalog = map[string]any{
	"gen": map[string]any{
		"models":     []map[string]any{{"name": "vae", "epochs": 150, "batch_size": 64, "learning_rate": 1e-3, "options": []string{"latent"}}, {"name": "gan", "epochs": 300}},
		"data":       []map[string]any{{"name": "digits", "labelled": true}, {"name": "moons"}},
		"data_files": []string{".npy", ".csv"},
	},
	"robust": map[string]any{
		"train":         map[string]any{"data": "digits", "attack": "pgd", "eps": 0.1, "epochs": 60},
		"train_attacks": []string{"none", "pgd"},
		"eval_attacks":  []string{"pgd"},
	},
}

func TestReadCatalog(t *testing.T) {
	cat, err := ReadCatalog(handshake(t, testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if got := cat.Gen.ModelNames(); !reflect.DeepEqual(got, []string{"vae", "gan"}) {
		t.Errorf("models %v", got)
	}
	if m := cat.Gen.Models[0]; m.Epochs != 150 || m.BatchSize != 64 || m.LearningRate != 1e-3 || m.Options[0] != "latent" {
		t.Errorf("vae %+v", m)
	}
	if cat.Robust.Train.Eps != 0.1 || cat.Robust.Train.Epochs != 60 {
		t.Errorf("robust defaults %+v", cat.Robust.Train)
	}
	if _, err := ReadCatalog(handshake(t, map[string]any{"gen": testCatalog["gen"]})); err == nil || !strings.Contains(err.Error(), `no "robust" catalog`) {
		t.Errorf("a worker without the robust entry: %v", err)
	}
}

func TestCatalogChecks(t *testing.T) {
	cat, err := ReadCatalog(handshake(t, testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(csv, []byte("1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"known model", func() error { _, err := cat.Gen.Model("gan"); return err }(), ""},
		{"unknown model", func() error { _, err := cat.Gen.Model("nope"); return err }(), `--model "nope": want one of vae, gan`},
		{"no model", func() error { _, err := cat.Gen.Model(""); return err }(), "--model is required: one of vae, gan"},
		{"built-in data", func() error { _, err := cat.Gen.CheckData("moons"); return err }(), ""},
		{"a file", func() error { _, err := cat.Gen.CheckData(csv); return err }(), ""},
		{"a suffix it does not read", func() error { _, err := cat.Gen.CheckData("x.npz"); return err }(), `--data "x.npz": want one of digits, moons, or a .npy, .csv file`},
		{"a missing file", func() error { _, err := cat.Gen.CheckData(filepath.Join(dir, "no.npy")); return err }(), "no such file"},
		{"training attack", cat.Robust.CheckAttack("none", true), ""},
		{"none is no evaluation attack", cat.Robust.CheckAttack("none", false), `--attack "none": want one of pgd`},
	}
	for _, tt := range tests {
		switch {
		case tt.want == "" && tt.err != nil:
			t.Errorf("%s: %v", tt.name, tt.err)
		case tt.want != "" && (!errors.Is(tt.err, ErrBadInput) || !strings.Contains(tt.err.Error(), tt.want)):
			t.Errorf("%s: %v, want a bad-input error containing %q", tt.name, tt.err, tt.want)
		}
	}
	if abs, _ := cat.Gen.CheckData(csv); !filepath.IsAbs(abs) {
		t.Errorf("a data file goes to the worker as an absolute path, got %q", abs)
	}
}

// A run directory that exists and is not empty is refused before the worker
// is asked anything.
func TestRunRefusesAnExistingRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"kind": "gen"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(t.Context(), nil, Job{Location: run.Location{Out: dir}}, nil)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "already exists and is not empty") {
		t.Errorf("err = %v", err)
	}
	if KindOf(dir) != KindGen || KindOf(t.TempDir()) != "" {
		t.Errorf("KindOf: %q", KindOf(dir))
	}
}

func TestScalarsAreTheResultsNumbers(t *testing.T) {
	got := scalars(map[string]any{"test_nll": 1.5, "epoch": int64(3), "model": "vae", "binarized": true, "n_test": int64(359), "dequantized": map[string]any{"levels": 17}})
	want := map[string]float64{"test_nll": 1.5, "n_test": 359}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scalars = %v, want %v", got, want)
	}
}
