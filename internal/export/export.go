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
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/ppo"
	"github.com/xlrl/xlrl/internal/agent/sac"
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

// The format's versions: 1 holds networks whose greedy action is the argmax
// of their outputs on the raw observations, and Q-tables; 2 adds the kinds
// of the actor-critic agents and the observation statistics, which a
// reader of version 1 would ignore and so act wrongly. A file is written
// with the lowest version that holds it, so DQN and tabular exports stay
// version 1.
const (
	versionArgmax = 1
	versionAC     = 2
)

// The kinds of policy a file holds.
const (
	KindArgmax = "mlp"      // the argmax of the network's outputs
	KindClip   = "mlp-clip" // the outputs (a Gaussian's mean) clipped to [low, high]
	KindTanh   = "mlp-tanh" // tanh of the first action_dim outputs rescaled to [low, high]
	KindQTable = "q-table"  // the argmax of the Q-table's row
)

// Checkpoint kinds the package reads besides the agents' own: a finished
// deep run's (the CLI's policyKind, train.PolicyKind) and a finished
// actor-critic run's (train.ACPolicyKind: the network, its "act" mode and
// its "obs_norm").
const (
	deepPolicyKind = "deep-policy"
	acPolicyKind   = "ac-policy"
)

// normEpsilon is what ac.RunningMeanStd.Normalize adds to the variance.
const normEpsilon = 1e-8

// Architecture is the JSON the exported files carry beside the weights.
type Architecture struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Kind       string `json:"kind"` // KindArgmax, KindClip, KindTanh or KindQTable
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
	// ActionDim, Low and High are a Box action's size and bounds (KindClip,
	// KindTanh; a SAC actor's other outputs are its log std).
	ActionDim int       `json:"action_dim,omitempty"`
	Low       []float64 `json:"low,omitempty"`
	High      []float64 `json:"high,omitempty"`
	// MeanClip > 0 clips KindTanh's outputs to [-MeanClip, MeanClip]
	// before the tanh (SAC with gSDE, sac.ClipMean).
	MeanClip float64 `json:"mean_clip,omitempty"`
	// ObsNorm is the statistics the network's inputs are standardised
	// with, nil when the run did not normalise its observations.
	ObsNorm *ObsNorm `json:"obs_norm,omitempty"`
}

// ObsNorm standardises an observation x (float64, after ObsEncoding) as
// the Go agents do: float32(clip((x - Mean) / sqrt(Var + Epsilon), -Clip, Clip)).
type ObsNorm struct {
	Mean    []float64 `json:"mean"`
	Var     []float64 `json:"var"`
	Epsilon float64   `json:"epsilon"`
	Clip    float64   `json:"clip"`
}

// Policy is a trained policy read from a run.
type Policy struct {
	Arch   Architecture
	Net    *nn.MLP   // for the network kinds
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

// FromCheckpoint reads the policy of a checkpoint written for envID by
// algo: a finished run's (tabular, deep, actor-critic), or the training
// checkpoint of a DQN, PPO, SAC or TD3 run stopped before its end, whose
// policy is the one xlrl eval acts with (the best evaluated weights with
// their observation statistics, else the latest).
func FromCheckpoint(c *ckpt.Checkpoint, envID, algo string) (*Policy, error) {
	arch := Architecture{Format: Format, Version: versionArgmax, Env: envID, Algo: algo, Hidden: []int{}, ObsEncoding: "none"}
	switch {
	case c.Kind == tabular.CheckpointKind:
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
		arch.Kind, arch.States, arch.Actions, arch.ObsEncoding = KindQTable, st.States, st.Actions, "index"
		return &Policy{Arch: arch, Q: q}, nil
	case c.Kind == deepPolicyKind:
		net, err := savedNet(c)
		if err != nil {
			return nil, err
		}
		return netPolicy(arch, net, "argmax", nil)
	case c.Kind == acPolicyKind:
		net, err := savedNet(c)
		if err != nil {
			return nil, err
		}
		var mode string
		if err := c.GetJSON("act", &mode); err != nil {
			return nil, err
		}
		var norm *ac.RunningMeanStd
		if contains(c.Sections(), "obs_norm") {
			norm = &ac.RunningMeanStd{}
			if err := c.GetJSON("obs_norm", norm); err != nil {
				return nil, err
			}
		}
		return netPolicy(arch, net, mode, norm)
	case c.Kind == dqn.CheckpointKind:
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
		spec := nn.Spec{In: netInputs(espec), Hidden: st.Config.Hidden, Act: act, Out: espec.Action.N}
		name := "best"
		if !contains(c.Sections(), "best") {
			name = "q"
		}
		p32, err := c.Float32s(name, spec.NumParams())
		if err != nil {
			return nil, err
		}
		net, err := nn.New(spec, rand.New(rand.NewPCG(0, 0))) // the weights are replaced
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
		}
		if err := net.SetParams(p32); err != nil {
			return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
		}
		return netPolicy(arch, net, "argmax", nil)
	case c.Kind == algo && (algo == ppo.CheckpointKind || algo == "sac" || algo == "td3"):
		// An actor-critic run stopped before its end, read as xlrl eval
		// reads it.
		espec, err := env.Lookup(envID)
		if err != nil {
			return nil, err
		}
		var net *nn.MLP
		var norm *ac.RunningMeanStd
		mode := "tanh"
		switch {
		case algo == ppo.CheckpointKind && espec.Action.Kind == env.Box:
			mode = "clip"
			net, norm, err = ppo.PolicyNet(c, netInputs(espec), len(espec.Action.Low))
		case algo == ppo.CheckpointKind:
			mode = "argmax"
			net, norm, err = ppo.PolicyNet(c, netInputs(espec), espec.Action.N)
		case espec.Action.Kind == env.Box:
			var sde bool
			net, norm, sde, err = ac.OffPolicyNet(c, netInputs(espec), len(espec.Action.Low))
			if sde {
				mode = "tanh_clip"
			}
		default:
			return nil, fmt.Errorf("%w: a %s checkpoint for %s, whose actions are not a Box", ckpt.ErrBad, algo, envID)
		}
		if err != nil {
			return nil, err
		}
		return netPolicy(arch, net, mode, norm)
	}
	return nil, fmt.Errorf("%w: a %q checkpoint of a %s run holds no policy that can be exported (want a deep or tabular run)", ckpt.ErrBad, c.Kind, algo)
}

// netInputs is the size of the network's input for spec's observations
// (a Discrete state reaches it one-hot encoded, as env.OneHot does).
func netInputs(spec *env.Spec) int {
	if spec.Observation.Kind == env.Discrete {
		return spec.Observation.N
	}
	return spec.Observation.Dim()
}

// savedNet rebuilds the network a finished deep or actor-critic run saved
// (sections policy_spec and policy, as train.PolicyCheckpoint writes them).
func savedNet(c *ckpt.Checkpoint) (*nn.MLP, error) {
	var s struct {
		In         int    `json:"in"`
		Hidden     []int  `json:"hidden"`
		Activation string `json:"activation"`
		Out        int    `json:"out"`
	}
	if err := c.GetJSON("policy_spec", &s); err != nil {
		return nil, err
	}
	net, err := ac.NewPolicyNet(s.In, s.Hidden, s.Activation, s.Out)
	if err != nil {
		return nil, fmt.Errorf("policy_spec: %w", err)
	}
	params, err := c.Float64s("policy", len(net.Params))
	if err != nil {
		return nil, err
	}
	for i, v := range params {
		net.Params[i] = float32(v)
	}
	return net, nil
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// netPolicy is the policy of net acting by mode (zoo.ACReport's ActMode:
// "argmax", "clip", "tanh" or "tanh_clip") on observations standardised by norm (nil:
// none), checked against the environment's spaces.
func netPolicy(arch Architecture, net *nn.MLP, mode string, norm *ac.RunningMeanStd) (*Policy, error) {
	spec := net.Spec()
	arch.In, arch.Out, arch.Activation = spec.In, spec.Out, spec.Act.String()
	arch.Hidden = append([]int{}, spec.Hidden...)
	espec, lookupErr := env.Lookup(arch.Env)
	// Discrete observations reached the network one-hot encoded (env.OneHot):
	// the exported policy takes the state index and encodes it the same way.
	if lookupErr == nil && espec.Observation.Kind == env.Discrete && espec.Observation.N == spec.In {
		arch.ObsEncoding = "one-hot"
	}
	switch mode {
	case "argmax":
		arch.Kind = KindArgmax
	case "clip", "tanh", "tanh_clip":
		if lookupErr != nil {
			return nil, fmt.Errorf("the action bounds of a %s policy: %w", mode, lookupErr)
		}
		a := espec.Action
		d := len(a.Low)
		if a.Kind != env.Box || (mode == "clip" && spec.Out != d) || spec.Out < d {
			return nil, fmt.Errorf("%w: the policy's %d outputs do not fit %s's %s actions", ckpt.ErrBad, spec.Out, espec.ID, a)
		}
		if !finite(a.Low) || !finite(a.High) {
			return nil, fmt.Errorf("%s's action bounds [%v, %v] are not finite: the file could not hold them", espec.ID, a.Low, a.High)
		}
		arch.Kind, arch.Version = KindTanh, versionAC
		switch mode {
		case "clip":
			arch.Kind = KindClip
		case "tanh_clip":
			arch.MeanClip = sac.ClipMean
		}
		arch.ActionDim, arch.Low, arch.High = d, append([]float64{}, a.Low...), append([]float64{}, a.High...)
	default:
		return nil, fmt.Errorf("%w: unknown policy mode %q: want argmax, clip, tanh or tanh_clip", ckpt.ErrBad, mode)
	}
	if norm != nil {
		if len(norm.Mean) != spec.In || len(norm.Var) != spec.In || !finite(norm.Mean) || !finite(norm.Var) {
			return nil, fmt.Errorf("%w: observation statistics of %d and %d values (mean %v, var %v) for a network of %d inputs",
				ckpt.ErrBad, len(norm.Mean), len(norm.Var), norm.Mean, norm.Var, spec.In)
		}
		arch.Version = versionAC
		arch.ObsNorm = &ObsNorm{Mean: append([]float64{}, norm.Mean...), Var: append([]float64{}, norm.Var...), Epsilon: normEpsilon, Clip: ac.NormClip}
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
	if p.Arch.Kind == KindQTable && format == "keras" {
		return fmt.Errorf("--format keras: a tabular agent (%s) has a Q-table, not a network: export it with --format npz or npy", p.Arch.Algo)
	}
	if p.Net != nil && format == "npy" {
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
func (p *Policy) ArchitectureJSON() (string, error) {
	b, err := json.Marshal(p.Arch)
	if err != nil {
		return "", fmt.Errorf("the architecture of %s: %w", p.Source, err)
	}
	return string(b), nil
}

// WriteNPZ writes the architecture and the weights (W0, b0, ... in Keras
// order; q for a Q-table) as an .npz, atomically.
func (p *Policy) WriteNPZ(path string) error {
	arch, err := p.ArchitectureJSON()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		z := &npz{zw: zw}
		if err := z.add("architecture", func(w io.Writer) error { return writeNPYString(w, arch) }); err != nil {
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
	arch, err := p.ArchitectureJSON()
	if err != nil {
		return err
	}
	kp := kerasParams{Path: abs, Architecture: arch}
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
