package ac

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// The actor-critic agents checkpoint their whole training state so that
// --resume continues a run bit for bit: the groups' weights and Adam
// moments (backend.Group.Snapshot, on either backend), the Go copies and
// targets, the parameters Go trains itself and their Adam, the replay
// buffer or the rollout's carried state, the normaliser statistics, the
// agent's random source, the counters, the best weights, and each
// environment's state.
//
// An environment's state mid-episode is not readable, but every Go
// environment is a function of its random source and the actions it was
// given: a Tape keeps the source's state before the episode's reset and
// the actions since, and replaying them on the resumed run's environment
// rebuilds it exactly (the replayed observation is checked against the
// saved one). So a checkpoint can be taken after any step, not only at an
// episode boundary, which PPO's vector of environments never shares.

// Checkpoints connects a trainer to its hooks' trainloop.Checkpointer.
type Checkpoints struct {
	ck       trainloop.Checkpointer // nil: this run writes none
	cause    context.Context
	stopping bool
}

// NewCheckpoints connects to ck (nil: none); canSave false (an environment
// whose state cannot be restored) ignores it. The context returned is the
// one the trainer's work runs under: ctx itself without a checkpointer;
// with one, ctx without its cancellation, so that Ctrl-C, which Check
// notices between steps, never cuts a gradient step or an evaluation short
// and loses the checkpoint.
func NewCheckpoints(ctx context.Context, ck trainloop.Checkpointer, canSave bool) (context.Context, *Checkpoints) {
	k := &Checkpoints{cause: ctx}
	if canSave {
		k.ck = ck
	}
	if k.ck == nil {
		return ctx, k
	}
	return context.WithoutCancel(ctx), k
}

// Resumed is the checkpoint to continue from (nil: a new run).
func (k *Checkpoints) Resumed() *ckpt.Checkpoint {
	if k.ck == nil {
		return nil
	}
	return k.ck.Resumed()
}

// Check is called between steps: once the run's context is cancelled it
// returns the context's error when the run writes no checkpoints, and
// otherwise marks the run as stopping (Due then asks for the checkpoint
// that ends it).
func (k *Checkpoints) Check() error {
	if k.stopping {
		return nil
	}
	if err := k.cause.Err(); err != nil {
		if k.ck == nil {
			return err
		}
		k.stopping = true
	}
	return nil
}

// Active says whether the run writes checkpoints.
func (k *Checkpoints) Active() bool { return k.ck != nil }

// Due says whether to checkpoint now: the run is stopping, or the
// checkpointer's interval has passed.
func (k *Checkpoints) Due() bool { return k.ck != nil && (k.stopping || k.ck.Due()) }

// Save writes c, the state after step steps and episodes episodes; when
// the run is stopping it returns the error that ends it.
func (k *Checkpoints) Save(name string, c *ckpt.Checkpoint, step, episodes int) error {
	if err := k.ck.Save(c, step, episodes); err != nil {
		return fmt.Errorf("%s: checkpoint at step %d: %w", name, step, err)
	}
	if k.stopping {
		return fmt.Errorf("%s: stopped after step %d: %w", name, step, context.Cause(k.cause))
	}
	return nil
}

// CanSave reports whether every environment's random source is readable
// (env.RNGStateOf): the Go environments', not the worker-hosted ones'.
func CanSave(envs ...env.Env) bool {
	for _, e := range envs {
		if e == nil {
			continue
		}
		if _, ok := env.RNGStateOf(e); !ok {
			return false
		}
	}
	return true
}

// Tape records what an environment did since its last reset: its random
// source's state before the reset and every action since (see above).
type Tape struct {
	off     bool // records nothing: the run writes no checkpoints
	rng     uint64
	width   int       // values per action: dim(A) for Box, 1 for Discrete
	box     bool      // Box actions
	actions []float64 // the actions since the reset, width values each
}

// NewTape starts a tape for actions of spec's action space; record false
// makes it record nothing (a run that writes no checkpoints).
func NewTape(spec *env.Spec, record bool) *Tape {
	if spec.Action.Kind == env.Box {
		return &Tape{width: len(spec.Action.Low), box: true, off: !record}
	}
	return &Tape{width: 1, off: !record}
}

// Reset notes e's random state and resets it.
func (t *Tape) Reset(e env.Env) []float64 {
	t.rng, _ = env.RNGStateOf(e)
	t.actions = t.actions[:0]
	return e.Reset()
}

// Step records a and steps e with it.
func (t *Tape) Step(e env.Env, a env.Action) ([]float64, float64, bool, bool) {
	if t.off {
		return e.Step(a)
	}
	if t.box {
		t.actions = append(t.actions, a.Continuous...)
	} else {
		t.actions = append(t.actions, float64(a.Discrete))
	}
	return e.Step(a)
}

// Put saves the tape as sections name_rng and name_actions.
func (t *Tape) Put(c *ckpt.Checkpoint, name string) error {
	c.PutFloat64s(name+"_actions", t.actions)
	return c.PutJSON(name+"_rng", t.rng)
}

// Replay reads the tape saved as name and replays it on e: e is reseeded
// with the saved random state, reset and stepped with every action. It
// returns the observation e is left in, which must equal want (the
// observation the saved run held), and keeps recording.
func (t *Tape) Replay(c *ckpt.Checkpoint, name string, e env.Env, want []float64) error {
	if err := c.GetJSON(name+"_rng", &t.rng); err != nil {
		return err
	}
	acts, err := c.Float64s(name+"_actions", -1)
	if err != nil {
		return err
	}
	if len(acts)%t.width != 0 {
		return fmt.Errorf("%w: %s: %d action values for actions of %d", ckpt.ErrBad, name, len(acts), t.width)
	}
	spec := e.Spec()
	if m := spec.MaxEpisodeSteps; m > 0 && len(acts)/t.width > m {
		return fmt.Errorf("%w: %s: %d steps into an episode of at most %d", ckpt.ErrBad, name, len(acts)/t.width, m)
	}
	rng := t.rng
	e.Seed(rng)
	obs := t.Reset(e)
	t.rng = rng
	a := env.Action{}
	for i := 0; i < len(acts); i += t.width {
		if t.box {
			a.Continuous = acts[i : i+t.width]
		} else {
			v := acts[i]
			if v != math.Trunc(v) || v < 0 || int(v) >= spec.Action.N {
				return fmt.Errorf("%w: %s: action %v is not one of %s's %d", ckpt.ErrBad, name, v, spec.ID, spec.Action.N)
			}
			a = env.DiscreteAction(int(v))
		}
		var term, trunc bool
		obs, _, term, trunc = t.Step(e, a)
		if (term || trunc) && i+t.width < len(acts) {
			return fmt.Errorf("%w: %s: the replayed episode ended after %d of %d steps", ckpt.ErrBad, name, i/t.width+1, len(acts)/t.width)
		}
	}
	if !slices.Equal(obs, want) {
		return fmt.Errorf("%w: %s: replaying the episode on %s gives the observation %v, the checkpoint holds %v "+
			"(was it written by another version of the environment?)", ckpt.ErrBad, name, spec.ID, obs, want)
	}
	return nil
}

// PutRNG saves a PCG source.
func PutRNG(c *ckpt.Checkpoint, name string, src *rand.PCG) error {
	b, err := src.MarshalBinary()
	if err != nil {
		return err
	}
	c.Put(name, b)
	return nil
}

// GetRNG restores a PCG source saved by PutRNG.
func GetRNG(c *ckpt.Checkpoint, name string, src *rand.PCG) error {
	b, err := c.Get(name)
	if err != nil {
		return err
	}
	if err := src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("%w: %s: %v", ckpt.ErrBad, name, err)
	}
	return nil
}

// PutNets saves the networks' weights as name_0, name_1, ...
func PutNets(c *ckpt.Checkpoint, name string, nets ...*nn.MLP) {
	for i, n := range nets {
		c.PutFloat32s(fmt.Sprintf("%s_%d", name, i), n.Params)
	}
}

// GetNets restores weights saved by PutNets into nets of the same shapes.
func GetNets(c *ckpt.Checkpoint, name string, nets ...*nn.MLP) error {
	for i, n := range nets {
		p, err := c.Float32s(fmt.Sprintf("%s_%d", name, i), len(n.Params))
		if err != nil {
			return err
		}
		copy(n.Params, p)
	}
	return nil
}

// PutAdam saves an optimiser's state.
func PutAdam(c *ckpt.Checkpoint, name string, s nn.AdamState) error {
	c.PutFloat32s(name+"_m", s.M)
	c.PutFloat32s(name+"_v", s.V)
	return c.PutJSON(name+"_t", s.T)
}

// GetAdam reads an optimiser's state of n parameters saved by PutAdam.
func GetAdam(c *ckpt.Checkpoint, name string, n int) (nn.AdamState, error) {
	var s nn.AdamState
	var err error
	if s.M, err = c.Float32s(name+"_m", n); err != nil {
		return s, err
	}
	if s.V, err = c.Float32s(name+"_v", n); err != nil {
		return s, err
	}
	if err := c.GetJSON(name+"_t", &s.T); err != nil {
		return s, err
	}
	if s.T < 0 {
		return s, fmt.Errorf("%w: %s: Adam step count %d", ckpt.ErrBad, name, s.T)
	}
	return s, nil
}

// PutParam saves parameters Go trains itself (PPO's log std, SAC's log
// temperature) with their optimiser.
func PutParam(c *ckpt.Checkpoint, name string, p []float32, opt *nn.Adam) error {
	c.PutFloat32s(name, p)
	return PutAdam(c, name+"_adam", opt.State())
}

// GetParam restores what PutParam saved into p and opt.
func GetParam(c *ckpt.Checkpoint, name string, p []float32, opt *nn.Adam) error {
	v, err := c.Float32s(name, len(p))
	if err != nil {
		return err
	}
	s, err := GetAdam(c, name+"_adam", len(p))
	if err != nil {
		return err
	}
	copy(p, v)
	if err := opt.SetState(s); err != nil {
		return fmt.Errorf("%w: %s: %v", ckpt.ErrBad, name, err)
	}
	return nil
}

// PutGroup saves a group's weights and Adam state (from the backend: the
// worker's, on the tf backend).
func PutGroup(ctx context.Context, c *ckpt.Checkpoint, name string, g backend.Group) error {
	st, err := g.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("saving the %s networks' training state: %w", name, err)
	}
	for i, s := range st {
		c.PutFloat32s(fmt.Sprintf("%s_%d", name, i), s.Params)
		if err := PutAdam(c, fmt.Sprintf("%s_%d_adam", name, i), s.Adam); err != nil {
			return err
		}
	}
	return nil
}

// GetGroup restores what PutGroup saved into g, whose networks have the
// shapes of nets (the agent's Go copies, which get the weights too).
func GetGroup(ctx context.Context, c *ckpt.Checkpoint, name string, g backend.Group, nets ...*nn.MLP) error {
	st := make([]backend.NetState, len(nets))
	for i, n := range nets {
		p, err := c.Float32s(fmt.Sprintf("%s_%d", name, i), len(n.Params))
		if err != nil {
			return err
		}
		a, err := GetAdam(c, fmt.Sprintf("%s_%d_adam", name, i), len(n.Params))
		if err != nil {
			return err
		}
		st[i] = backend.NetState{Params: p, Adam: a}
	}
	if err := g.Restore(ctx, st); err != nil {
		return fmt.Errorf("%w: restoring the %s networks: %v", ckpt.ErrBad, name, err)
	}
	for i, n := range nets {
		copy(n.Params, st[i].Params)
	}
	return nil
}

// bestState is trainloop.Best's score and step.
type bestState struct {
	Score *float64 `json:"score,omitempty"` // nil: no evaluation yet
	Step  int      `json:"step"`
}

// PutBest saves the best evaluated weights so far.
func PutBest(c *ckpt.Checkpoint, name string, b *trainloop.Best) error {
	st := bestState{Step: b.Step}
	if p := b.Params(); p != nil {
		st.Score = &b.Score
		c.PutFloat32s(name+"_params", p)
	}
	return c.PutJSON(name, st)
}

// GetBest restores what PutBest saved, for weights of n parameters; it
// reports whether there was an evaluation.
func GetBest(c *ckpt.Checkpoint, name string, b *trainloop.Best, n int) (bool, error) {
	var st bestState
	if err := c.GetJSON(name, &st); err != nil {
		return false, err
	}
	if st.Score == nil {
		return false, nil
	}
	p, err := c.Float32s(name+"_params", n)
	if err != nil {
		return false, err
	}
	b.SetBest(*st.Score, st.Step, p)
	return true, nil
}

// PutStats saves running statistics (nil: none, saved as such).
func PutStats(c *ckpt.Checkpoint, name string, s *RunningMeanStd) error {
	return c.PutJSON(name, s)
}

// GetStats restores statistics of dim values saved by PutStats into s
// (nil: the run keeps none, and the checkpoint must hold none).
func GetStats(c *ckpt.Checkpoint, name string, s *RunningMeanStd, dim int) error {
	var got *RunningMeanStd
	if err := c.GetJSON(name, &got); err != nil {
		return err
	}
	if (got == nil) != (s == nil) {
		return fmt.Errorf("%w: %s: the checkpoint and the run disagree on whether they are kept", ckpt.ErrBad, name)
	}
	if s == nil {
		return nil
	}
	if len(got.Mean) != dim || len(got.Var) != dim || !(got.Count > 0) {
		return fmt.Errorf("%w: %s: statistics of %d and %d values (count %v) for %d", ckpt.ErrBad, name, len(got.Mean), len(got.Var), got.Count, dim)
	}
	*s = *got
	return nil
}

// PutMetrics saves a map of metrics exactly (NaN included).
func PutMetrics(c *ckpt.Checkpoint, name string, m map[string]float64) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := make([]float64, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	c.PutFloat64s(name+"_values", vals)
	return c.PutJSON(name+"_keys", keys)
}

// GetMetrics restores what PutMetrics saved into m (cleared first).
func GetMetrics(c *ckpt.Checkpoint, name string, m map[string]float64) error {
	var keys []string
	if err := c.GetJSON(name+"_keys", &keys); err != nil {
		return err
	}
	vals, err := c.Float64s(name+"_values", len(keys))
	if err != nil {
		return err
	}
	clear(m)
	for i, k := range keys {
		m[k] = vals[i]
	}
	return nil
}

// SameConfig refuses to resume a run with another configuration than the
// one it was trained with (saved, as JSON); a budget that alone differs
// gets a hint, since schedules and buffers are laid out over it.
func SameConfig(name string, saved json.RawMessage, now any, savedSteps, nowSteps int) error {
	b, err := json.Marshal(now)
	if err != nil {
		return err
	}
	var a bytes.Buffer
	if err := json.Compact(&a, saved); err != nil {
		return fmt.Errorf("%w: %s config: %v", ckpt.ErrBad, name, err)
	}
	if bytes.Equal(a.Bytes(), b) {
		return nil
	}
	if savedSteps != nowSteps {
		return fmt.Errorf("%w: the run was trained for %d steps and %s's schedules and buffers are laid out "+
			"over them: resume with the run's own --steps %d, or start a new run from its config.yaml",
			ckpt.ErrBad, savedSteps, name, savedSteps)
	}
	return fmt.Errorf("%w: the checkpoint was trained with %s, this run has %s", ckpt.ErrBad, a.Bytes(), b)
}

// CheckKind refuses a checkpoint another agent wrote.
func CheckKind(c *ckpt.Checkpoint, kind string) error {
	if c.Kind != kind {
		return fmt.Errorf("%w: a %q checkpoint, %s needs %q", ckpt.ErrBad, c.Kind, kind, kind)
	}
	return nil
}

// The policy of an interrupted run. A run stopped before its end has only
// its training checkpoint; xlrl eval acts with what the run would keep if
// it ended there without a last evaluation: its best evaluated weights
// with the observation statistics they were evaluated with, else its
// latest weights with the current statistics (as DQN's GreedyNet). The
// readers below take those from the sections the trainers already write,
// so a checkpoint written before they existed is evaluated too.

// NewPolicyNet is a network of the given shape for weights read from a
// checkpoint; a hidden layer no run could have had is refused.
func NewPolicyNet(in int, hidden []int, activation string, out int) (*nn.MLP, error) {
	act, err := nn.ParseActivation(activation)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	for _, h := range hidden {
		if h <= 0 || h > 1<<16 {
			return nil, fmt.Errorf("%w: a hidden layer of %d units", ckpt.ErrBad, h)
		}
	}
	net, err := nn.New(nn.Spec{In: in, Hidden: hidden, Act: act, Out: out}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	return net, nil
}

// ActingWeights loads into net the weights of an interrupted run (above):
// the best ones (PutBest's section "best") when the run evaluated, else
// the latest (the sections latest, one after another: a group's networks
// that share one set of parameters, as a split actor's), and returns the
// observation statistics they go with: bestNorm's (PutStats) or
// "obs_rms"; nil when the run does not normalise its observations
// (normalized false).
func ActingWeights(c *ckpt.Checkpoint, net *nn.MLP, latest []string, bestNorm string, normalized bool) (*RunningMeanStd, error) {
	b := trainloop.NewBest()
	had, err := GetBest(c, "best", b, len(net.Params))
	if err != nil {
		return nil, err
	}
	stats := "obs_rms"
	if had {
		copy(net.Params, b.Params())
		stats = bestNorm
	} else {
		p, err := concatSections(c, latest)
		if err != nil {
			return nil, err
		}
		if len(p) != len(net.Params) {
			quoted := make([]string, len(latest))
			for i, name := range latest {
				quoted[i] = strconv.Quote(name)
			}
			return nil, fmt.Errorf("%w: section %s: %d weights for a network of %d", ckpt.ErrBad, strings.Join(quoted, " + "), len(p), len(net.Params))
		}
		copy(net.Params, p)
	}
	var norm *RunningMeanStd
	if normalized {
		norm = NewRunningMeanStd(net.In())
	}
	if err := GetStats(c, stats, norm, net.In()); err != nil {
		return nil, err
	}
	return norm, nil
}

// concatSections is the float32 sections names, one after another.
func concatSections(c *ckpt.Checkpoint, names []string) ([]float32, error) {
	var p []float32
	for _, name := range names {
		part, err := c.Float32s(name, -1)
		if err != nil {
			return nil, err
		}
		p = append(p, part...)
	}
	return p, nil
}

// OffPolicyNet rebuilds the actor of a SAC or TD3 training checkpoint (as
// OffAgent and OffPolicy save it) that an interrupted run acts with, and
// its observation statistics (nil: none): see ActingWeights. obsDim and
// actDim are the environment's; the actor's outputs (dim(A) for TD3, a
// mean and a log std per dimension for SAC) are read off its weights, and
// its first actDim outputs are the action (TanhPolicy). sde reports a SAC
// actor trained with gSDE, whose mean is clipped before the tanh
// (TanhPolicy.ClipMean; the act mode "tanh_clip").
func OffPolicyNet(c *ckpt.Checkpoint, obsDim, actDim int) (net *nn.MLP, norm *RunningMeanStd, sde bool, err error) {
	net, norm, err = offPolicyNet(c, obsDim, actDim)
	if err != nil {
		return nil, nil, false, err
	}
	var st agentState
	if err := c.GetJSON("agent", &st); err != nil {
		return nil, nil, false, err
	}
	var flags struct {
		UseSDE bool `json:"use_sde"` // sac.Config's
	}
	if err := json.Unmarshal(st.Config, &flags); err != nil {
		return nil, nil, false, fmt.Errorf("%w: %s config: %v", ckpt.ErrBad, c.Kind, err)
	}
	return net, norm, flags.UseSDE, nil
}

func offPolicyNet(c *ckpt.Checkpoint, obsDim, actDim int) (*nn.MLP, *RunningMeanStd, error) {
	var st agentState
	if err := c.GetJSON("agent", &st); err != nil {
		return nil, nil, fmt.Errorf("%w (a %q checkpoint, not a SAC or TD3 one?)", err, c.Kind)
	}
	var cfg OffConfig
	if err := json.Unmarshal(st.Config, &cfg); err != nil {
		return nil, nil, fmt.Errorf("%w: %s config: %v", ckpt.ErrBad, c.Kind, err)
	}
	// A split actor (gSDE: OffAgent.SplitActor) saved its hidden layers
	// and its output layer as two networks of the group.
	latest := []string{"actor_0"}
	if slices.Contains(c.Sections(), "actor_1") {
		latest = append(latest, "actor_1")
	}
	p, err := concatSections(c, latest)
	if err != nil {
		return nil, nil, err
	}
	one, err := NewPolicyNet(obsDim, cfg.Hidden, cfg.Activation, 1)
	if err != nil {
		return nil, nil, err
	}
	last := obsDim
	if len(cfg.Hidden) > 0 {
		last = cfg.Hidden[len(cfg.Hidden)-1]
	}
	extra := len(p) - len(one.Params)
	if extra < 0 || extra%(last+1) != 0 || 1+extra/(last+1) < actDim {
		return nil, nil, fmt.Errorf("%w: %s: an actor of %d weights does not fit %d inputs, hidden layers %v and %d action dimensions",
			ckpt.ErrBad, c.Kind, len(p), obsDim, cfg.Hidden, actDim)
	}
	net, err := NewPolicyNet(obsDim, cfg.Hidden, cfg.Activation, 1+extra/(last+1))
	if err != nil {
		return nil, nil, err
	}
	norm, err := ActingWeights(c, net, latest, "best_norm", cfg.NormalizeObs)
	if err != nil {
		return nil, nil, err
	}
	return net, norm, nil
}
