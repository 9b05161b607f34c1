// Package genrun runs the worker's generative-model and robustness jobs
// (xlrl gen train, xlrl robust train) into run directories of the same
// format as RL runs: config.yaml, metrics.jsonl (one update record per
// epoch), TensorBoard events under tb/, a loss plot under plots/, and the
// job's own meta.json, weights and result.json.
//
// What the jobs offer (models, data sets, attacks and every default) is
// defined once, in the worker (pyworker/gen/catalog.py), and read here from
// its handshake: this package restates none of it.
package genrun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlrl/xlrl/internal/worker"
)

// Model is one generative model the worker trains, with its defaults.
type Model struct {
	Name          string   `msgpack:"name" json:"name"`
	Summary       string   `msgpack:"summary" json:"summary"`
	HasLikelihood bool     `msgpack:"has_likelihood" json:"has_likelihood"`
	Epochs        int      `msgpack:"epochs" json:"epochs"`
	BatchSize     int      `msgpack:"batch_size" json:"batch_size"`
	LearningRate  float64  `msgpack:"learning_rate" json:"learning_rate"`
	Options       []string `msgpack:"options" json:"options"`
}

// Dataset is one built-in data set.
type Dataset struct {
	Name     string `msgpack:"name" json:"name"`
	Summary  string `msgpack:"summary" json:"summary"`
	Labelled bool   `msgpack:"labelled" json:"labelled"`
}

// Gen is the worker's "gen" catalog.
type Gen struct {
	Models    []Model   `msgpack:"models" json:"models"`
	Data      []Dataset `msgpack:"data" json:"data"`
	DataFiles []string  `msgpack:"data_files" json:"data_files"` // suffixes of the user's own data files
}

// RobustTrain are robust.train's defaults.
type RobustTrain struct {
	Data            string  `msgpack:"data" json:"data"`
	Attack          string  `msgpack:"attack" json:"attack"`
	Eps             float64 `msgpack:"eps" json:"eps"`
	Steps           int     `msgpack:"steps" json:"steps"`
	EvalSteps       int     `msgpack:"eval_steps" json:"eval_steps"`
	Epochs          int     `msgpack:"epochs" json:"epochs"`
	BatchSize       int     `msgpack:"batch_size" json:"batch_size"`
	LearningRate    float64 `msgpack:"learning_rate" json:"learning_rate"`
	CompareStandard bool    `msgpack:"compare_standard" json:"compare_standard"`
}

// RobustEval are robust.eval's defaults (eps: the training one).
type RobustEval struct {
	Attack string `msgpack:"attack" json:"attack"`
	Steps  int    `msgpack:"steps" json:"steps"`
}

// Robust is the worker's "robust" catalog.
type Robust struct {
	Train        RobustTrain `msgpack:"train" json:"train"`
	Eval         RobustEval  `msgpack:"eval" json:"eval"`
	TrainAttacks []string    `msgpack:"train_attacks" json:"train_attacks"`
	EvalAttacks  []string    `msgpack:"eval_attacks" json:"eval_attacks"`
	Data         []string    `msgpack:"data" json:"data"` // the labelled built-in data sets
}

// Catalog is what the worker's handshake says about the gen and robust jobs.
type Catalog struct {
	Gen    Gen    `json:"gen"`
	Robust Robust `json:"robust"`
}

// ReadCatalog reads both catalogs from a worker's handshake.
func ReadCatalog(h worker.Handshake) (*Catalog, error) {
	var c Catalog
	if err := h.CatalogEntry("gen", &c.Gen); err != nil {
		return nil, err
	}
	if err := h.CatalogEntry("robust", &c.Robust); err != nil {
		return nil, err
	}
	if len(c.Gen.Models) == 0 || len(c.Gen.Data) == 0 || len(c.Robust.TrainAttacks) == 0 {
		return nil, fmt.Errorf("the worker's catalog lists no models, data sets or attacks: %+v", c)
	}
	return &c, nil
}

// ModelNames are the models' names, in the worker's order.
func (g *Gen) ModelNames() []string {
	names := make([]string, len(g.Models))
	for i, m := range g.Models {
		names[i] = m.Name
	}
	return names
}

// DataNames are the built-in data sets' names.
func (g *Gen) DataNames() []string {
	names := make([]string, len(g.Data))
	for i, d := range g.Data {
		names[i] = d.Name
	}
	return names
}

// ErrBadInput marks a flag value the catalog refuses; the message names the
// flag, the value and what is valid.
var ErrBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Model returns the named model, or an error naming the valid ones.
func (g *Gen) Model(name string) (*Model, error) {
	for i := range g.Models {
		if g.Models[i].Name == name {
			return &g.Models[i], nil
		}
	}
	if name == "" {
		return nil, badInput("--model is required: one of %s", strings.Join(g.ModelNames(), ", "))
	}
	return nil, badInput("--model %q: want one of %s", name, strings.Join(g.ModelNames(), ", "))
}

// Data checks --data: a built-in name, returned as is, or an existing file
// with one of the catalog's suffixes, returned as an absolute path (the
// worker runs in a directory of its own).
func (g *Gen) CheckData(data string) (string, error) {
	if slices.Contains(g.DataNames(), data) {
		return data, nil
	}
	want := fmt.Sprintf("one of %s, or a %s file", strings.Join(g.DataNames(), ", "), strings.Join(g.DataFiles, ", "))
	if data == "" {
		return "", badInput("--data is required: %s", want)
	}
	ext := strings.ToLower(filepath.Ext(data))
	if !slices.Contains(g.DataFiles, ext) {
		return "", badInput("--data %q: want %s", data, want)
	}
	if _, err := os.Stat(data); err != nil {
		return "", badInput("--data %s: %v", data, errors.Unwrap(err))
	}
	return filepath.Abs(data)
}

// CheckAttack checks a training (train true) or evaluation attack.
func (r *Robust) CheckAttack(attack string, train bool) error {
	valid := r.EvalAttacks
	if train {
		valid = r.TrainAttacks
	}
	if !slices.Contains(valid, attack) {
		return badInput("--attack %q: want one of %s", attack, strings.Join(valid, ", "))
	}
	return nil
}
