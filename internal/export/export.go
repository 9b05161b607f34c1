// Package export takes a trained policy out of a run directory: an .npz of
// the weights with the architecture as JSON (read by xlrl_envs.load_policy
// and by numpy alone), a .keras model (written by the worker with Keras, so
// that keras.saving.load_model loads it with no xlrl installed), or a
// tabular agent's Q-table as .npy/.npz.
package export

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/atomicfile"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// Format is the format of the exported file.
const Format = "xlrl-policy"

// deepPolicyKind is the checkpoint kind of a finished deep run (the CLI's
// policyKind).
const deepPolicyKind = "deep-policy"

// Architecture is the JSON the exported files carry beside the weights.
type Architecture struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Kind       string `json:"kind"` // "mlp" (greedy = argmax of the outputs) or "q-table"
	Env        string `json:"env"`
	Algo       string `json:"algo"`
	In         int    `json:"in,omitempty"`
	Hidden     []int  `json:"hidden"`
	Activation string `json:"activation,omitempty"`
	Out        int    `json:"out,omitempty"`
	// ObsEncoding is "one-hot" when the environment's observations are
	// Discrete states the network saw one-hot encoded (env.OneHot).
	ObsEncoding string `json:"obs_encoding"`
	States      int    `json:"states,omitempty"`
	Actions     int    `json:"actions,omitempty"`
}

// Policy is a trained policy read from a run.
type Policy struct {
	Arch   Architecture
	Net    *nn.MLP   // for "mlp"
	Q      []float64 // for "q-table": States x Actions, row-major
	Source string    // what it was read from, for messages
}

// FromRun reads the policy of the run directory dir: its config (env, algo)
// and its checkpoint.
func FromRun(dir string) (*Policy, error) {
	d, err := run.Open(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := run.ReadConfigMap(d.Config())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	envID, _ := cfg["env"].(string)
	algo, _ := cfg["algo"].(string)
	if envID == "" || algo == "" {
		return nil, fmt.Errorf("%s: the run's config names no env or algo", d.Config())
	}
	c, err := ckpt.Read(d.Checkpoint(), "")
	if err != nil {
		return nil, err
	}
	p, err := FromCheckpoint(c, envID, algo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Checkpoint(), err)
	}
	p.Source = dir
	return p, nil
}

// FromCheckpoint reads the policy of a checkpoint written for envID by algo.
func FromCheckpoint(c *ckpt.Checkpoint, envID, algo string) (*Policy, error) {
	arch := Architecture{Format: Format, Version: 1, Env: envID, Algo: algo, Hidden: []int{}, ObsEncoding: "none"}
	switch c.Kind {
	case tabular.CheckpointKind:
		var st struct {
			States  int `json:"states"`
			Actions int `json:"actions"`
		}
		if err := c.GetJSON("agent", &st); err != nil {
			return nil, err
		}
		if st.States <= 0 || st.Actions <= 0 || st.States > 1<<24/max(st.Actions, 1) {
			return nil, fmt.Errorf("%w: a Q-table of %d states and %d actions", ckpt.ErrBad, st.States, st.Actions)
		}
		q, err := c.Float64s("q", st.States*st.Actions)
		if err != nil {
			return nil, err
		}
		arch.Kind, arch.States, arch.Actions, arch.ObsEncoding = "q-table", st.States, st.Actions, "index"
		return &Policy{Arch: arch, Q: q}, nil
	case deepPolicyKind:
		var s struct {
			In         int    `json:"in"`
			Hidden     []int  `json:"hidden"`
			Activation string `json:"activation"`
			Out        int    `json:"out"`
		}
		if err := c.GetJSON("policy_spec", &s); err != nil {
			return nil, err
		}
		act, err := nn.ParseActivation(s.Activation)
		if err != nil {
			return nil, fmt.Errorf("%w: policy_spec: %v", ckpt.ErrBad, err)
		}
		spec := nn.Spec{In: s.In, Hidden: s.Hidden, Act: act, Out: s.Out}
		params, err := c.Float64s("policy", spec.NumParams())
		if err != nil {
			return nil, err
		}
		p32 := make([]float32, len(params))
		for i, v := range params {
			p32[i] = float32(v)
		}
		return mlpPolicy(arch, spec, p32)
	case dqn.CheckpointKind:
		// A DQN run stopped before its end: its best weights so far (the
		// ones its final evaluation would use), else the online network.
		var st struct {
			Config dqn.Config `json:"config"`
		}
		if err := c.GetJSON("dqn", &st); err != nil {
			return nil, err
		}
		act, err := nn.ParseActivation(st.Config.Activation)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
		}
		espec, err := env.Lookup(envID)
		if err != nil {
			return nil, err
		}
		in := espec.Observation.Dim()
		if espec.Observation.Kind == env.Discrete {
			in = espec.Observation.N
		}
		spec := nn.Spec{In: in, Hidden: st.Config.Hidden, Act: act, Out: espec.Action.N}
		name := "best"
		if !contains(c.Sections(), "best") {
			name = "q"
		}
		p32, err := c.Float32s(name, spec.NumParams())
		if err != nil {
			return nil, err
		}
		return mlpPolicy(arch, spec, p32)
	}
	return nil, fmt.Errorf("%w: a %q checkpoint holds no policy that can be exported (want a deep or tabular run)", ckpt.ErrBad, c.Kind)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func mlpPolicy(arch Architecture, spec nn.Spec, params []float32) (*Policy, error) {
	net, err := nn.New(spec, rand.New(rand.NewPCG(0, 0))) // the weights are replaced
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	if err := net.SetParams(params); err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	arch.Kind, arch.In, arch.Out, arch.Activation = "mlp", spec.In, spec.Out, spec.Act.String()
	arch.Hidden = append([]int{}, spec.Hidden...)
	// Discrete observations reached the network one-hot encoded (env.OneHot):
	// the exported policy takes the state index and encodes it the same way.
	if s, err := env.Lookup(arch.Env); err == nil && s.Observation.Kind == env.Discrete && s.Observation.N == spec.In {
		arch.ObsEncoding = "one-hot"
	}
	return &Policy{Arch: arch, Net: net}, nil
}

// Formats lists what Write accepts.
var Formats = []string{"npz", "npy", "keras"}

// CheckTarget validates format and path before anything is written: the
// extension must fit the format, the directory must exist, and an existing
// file is not replaced unless force.
func CheckTarget(p *Policy, format, path string, force bool) error {
	want := map[string]string{"npz": ".npz", "npy": ".npy", "keras": ".keras"}[format]
	if want == "" {
		return fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if p.Arch.Kind == "q-table" && format == "keras" {
		return fmt.Errorf("--format keras: a tabular agent (%s) has a Q-table, not a network: export it with --format npz or npy", p.Arch.Algo)
	}
	if p.Arch.Kind == "mlp" && format == "npy" {
		return fmt.Errorf("--format npy holds one array, the Q-table of a tabular agent; a network exports with --format npz or keras")
	}
	if filepath.Ext(path) != want {
		return fmt.Errorf("-o %s: a %s export is a %s file: name it so", path, format, want)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: the directory %s does not exist", path, filepath.Dir(path))
	}
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("-o %s: the file exists (give --force to replace it)", path)
	}
	return nil
}

// ArchitectureJSON is the architecture as the files carry it.
func (p *Policy) ArchitectureJSON() string {
	b, _ := json.Marshal(p.Arch)
	return string(b)
}

// WriteNPZ writes the architecture and the weights (W0, b0, ... in Keras
// order; q for a Q-table) as an .npz, atomically.
func (p *Policy) WriteNPZ(path string) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		z := &npz{zw: zw}
		if err := z.add("architecture", func(w io.Writer) error { return writeNPYString(w, p.ArchitectureJSON()) }); err != nil {
			return err
		}
		if p.Net != nil {
			for i, ly := range p.Net.Layers {
				if err := z.add(fmt.Sprintf("W%d", i), func(w io.Writer) error { return writeNPYFloat32(w, ly.W, []int{ly.In, ly.Out}) }); err != nil {
					return err
				}
				if err := z.add(fmt.Sprintf("b%d", i), func(w io.Writer) error { return writeNPYFloat32(w, ly.B, []int{ly.Out}) }); err != nil {
					return err
				}
			}
		} else {
			if err := z.add("q", func(w io.Writer) error {
				return writeNPYFloat64(w, p.Q, []int{p.Arch.States, p.Arch.Actions})
			}); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// WriteNPY writes a tabular agent's Q-table (states x actions, float64).
func (p *Policy) WriteNPY(path string) error {
	if p.Q == nil {
		return errors.New("--format npy: only tabular agents have a Q-table")
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return writeNPYFloat64(w, p.Q, []int{p.Arch.States, p.Arch.Actions})
	})
}

// kerasParams are export.keras's arguments.
type kerasParams struct {
	Path         string         `msgpack:"path"`
	Architecture string         `msgpack:"architecture"`
	Weights      []worker.Array `msgpack:"weights"`
}

// WriteKeras has the worker build the network in Keras, load the weights
// and save it as a .keras file (path absolute).
func (p *Policy) WriteKeras(ctx context.Context, c *worker.Client, path string) error {
	if p.Net == nil {
		return errors.New("--format keras: only deep agents have a network")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	kp := kerasParams{Path: abs, Architecture: p.ArchitectureJSON()}
	for _, ly := range p.Net.Layers {
		kp.Weights = append(kp.Weights, worker.Float32Array(ly.W, ly.In, ly.Out), worker.Float32Array(ly.B, ly.Out))
	}
	return c.Call(ctx, "export.keras", kp, nil)
}

// Write writes p in format to path (the worker is needed for keras only).
func (p *Policy) Write(ctx context.Context, format, path string, c func(context.Context) (*worker.Client, error)) error {
	switch format {
	case "npz":
		return p.WriteNPZ(path)
	case "npy":
		return p.WriteNPY(path)
	case "keras":
		cl, err := c(ctx)
		if err != nil {
			return fmt.Errorf("--format keras needs the Python worker with TensorFlow (or use --format npz): %w", err)
		}
		return p.WriteKeras(ctx, cl, path)
	}
	return fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
}
