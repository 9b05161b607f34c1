package dqn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/replay"
)

// CheckpointKind names the checkpoints DQN writes during training.
const CheckpointKind = "dqn"

// loopState is everything Train's loop carries from one episode to the
// next besides the networks, the optimizer and the replay buffer.
type loopState struct {
	Config    Config                  `json:"config"` // must match: another configuration is another run
	Next      int                     `json:"next_step"`
	LastEval  int                     `json:"last_eval"`
	GradSteps int                     `json:"gradient_steps"`
	FinalLoss float64                 `json:"final_loss"`
	Episodes  trainloop.EpisodesState `json:"episodes"`
	BestScore *float64                `json:"best_score,omitempty"` // nil: no evaluation yet
	BestStep  int                     `json:"best_step"`
	EnvRNG    uint64                  `json:"env_rng"`  // before the next episode's reset
	EvalRNG   *uint64                 `json:"eval_rng"` // nil: no periodic evaluation
}

// checkpoint is what Train hands to save and restore.
type checkpoint struct {
	src           *rand.PCG
	q, target     *nn.MLP
	net           backend.Snapshotter
	buf           **replay.Buffer
	best          *trainloop.Best
	eps           *trainloop.Episodes
	e, evalEnv    env.Env
	res           *Result
	next, lastEvl *int
}

// checkpointing is Train's checkpoint bookkeeping. With a Checkpointer
// (and a backend and environment whose whole state can be saved: the go
// backend) it restores a resumed run, turns a cancelled context into
// "finish the episode, save, stop", and saves at the ends of the episodes
// the Checkpointer asks for. Without one, a cancelled context stops the
// loop at once.
type checkpointing struct {
	ck       trainloop.Checkpointer // nil: no checkpoints
	state    *checkpoint
	cause    context.Context // the caller's context: its end stops the run
	cfg      Config
	t        *trainer
	next     int  // the first step the loop takes
	stopping bool // ctx is done: finish the episode, save, return
	saveAt   int  // the step at whose end to save (0: none)
	saveRNG  uint64
}

func newCheckpointing(ctx context.Context, ck trainloop.Checkpointer, t *trainer, src *rand.PCG) (*checkpointing, error) {
	c := &checkpointing{cause: ctx, cfg: t.cfg, t: t, next: 1}
	snap, canSnap := t.net.(backend.Snapshotter)
	if _, envOK := env.RNGStateOf(t.e); ck == nil || !canSnap || !envOK {
		return c, nil
	}
	c.ck = ck
	c.state = &checkpoint{src: src, q: t.q, target: t.target, net: snap, buf: &t.buf, best: t.best, eps: &t.eps,
		e: t.e, evalEnv: t.evalEnv, res: t.res, next: &c.next, lastEvl: &t.lastEval}
	if r := ck.Resumed(); r != nil {
		if err := c.state.restore(ctx, r, t.cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// work is the context of the loop's work. With checkpoints, a cancellation
// is noticed between steps (poll): a training call it cut short (most of
// a tf run is spent inside one) would fail the step and lose the
// checkpoint, so the work itself is not cancelled.
func (c *checkpointing) work(ctx context.Context) context.Context {
	if c.ck == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// poll looks at the caller's context every 1024 steps.
func (c *checkpointing) poll(step int) error {
	if step%1024 != 0 || c.stopping {
		return nil
	}
	if err := c.cause.Err(); err != nil {
		if c.ck == nil {
			return err
		}
		c.stopping = true
	}
	return nil
}

// episodeEnd marks the end of this step for a checkpoint when one is due,
// with the environment's random state from before its reset: resuming
// resets again.
func (c *checkpointing) episodeEnd(step int) {
	if c.ck != nil && (c.stopping || c.ck.Due()) {
		c.saveAt = step
		c.saveRNG, _ = env.RNGStateOf(c.t.e)
	}
}

// after saves at the end of a marked step, and then returns the context's
// error if the run is stopping.
func (c *checkpointing) after(ctx context.Context, step int) error {
	if c.saveAt != step {
		return nil
	}
	c.next = step + 1
	cp, err := c.state.save(ctx, c.cfg, c.saveRNG)
	if err == nil {
		err = c.ck.Save(cp, step, c.t.eps.Count)
	}
	if err != nil {
		return fmt.Errorf("dqn: checkpoint at step %d: %w", step, err)
	}
	if c.stopping {
		return fmt.Errorf("dqn: stopped after step %d: %w", step, context.Cause(c.cause))
	}
	return nil
}

// save captures the state after the step *k.next-1; envRNG is the training
// environment's random state before the reset that began the next episode.
func (k *checkpoint) save(ctx context.Context, cfg Config, envRNG uint64) (*ckpt.Checkpoint, error) {
	st := loopState{Config: cfg, Next: *k.next, LastEval: *k.lastEvl, GradSteps: k.res.GradSteps,
		FinalLoss: k.res.FinalLoss, Episodes: k.eps.State(), BestStep: k.best.Step, EnvRNG: envRNG}
	if k.best.Params() != nil {
		st.BestScore = &k.best.Score
	}
	if k.evalEnv != nil {
		s, _ := env.RNGStateOf(k.evalEnv)
		st.EvalRNG = &s
	}
	c := ckpt.New(CheckpointKind)
	if err := c.PutJSON("dqn", st); err != nil {
		return nil, err
	}
	rng, err := k.src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c.Put("agent_rng", rng)
	c.PutFloat32s("q", k.q.Params)
	c.PutFloat32s("target", k.target.Params)
	if p := k.best.Params(); p != nil {
		c.PutFloat32s("best", p)
	}
	ns, err := k.net.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("saving the network's training state: %w", err)
	}
	c.PutFloat32s("net", ns.Params)
	c.PutFloat32s("adam_m", ns.Adam.M)
	c.PutFloat32s("adam_v", ns.Adam.V)
	if err := c.PutJSON("adam_t", ns.Adam.T); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (*k.buf).Save(&buf); err != nil {
		return nil, err
	}
	c.Put("replay", buf.Bytes())
	return c, nil
}

func (k *checkpoint) restore(ctx context.Context, c *ckpt.Checkpoint, cfg Config) error {
	if c.Kind != CheckpointKind {
		return fmt.Errorf("%w: a %q checkpoint, DQN needs %q", ckpt.ErrBad, c.Kind, CheckpointKind)
	}
	var st loopState
	if err := c.GetJSON("dqn", &st); err != nil {
		return err
	}
	a, _ := json.Marshal(st.Config)
	b, _ := json.Marshal(cfg)
	if !bytes.Equal(a, b) {
		if same := st.Config; same.Steps != cfg.Steps {
			same.Steps = cfg.Steps
			if c, _ := json.Marshal(same); bytes.Equal(c, b) {
				return fmt.Errorf("%w: the run was trained for %d steps and DQN's exploration schedule is laid out "+
					"over them: resume with the run's own --steps %d, or start a new run from its config.yaml",
					ckpt.ErrBad, st.Config.Steps, st.Config.Steps)
			}
		}
		return fmt.Errorf("%w: the checkpoint was trained with %s, this run has %s", ckpt.ErrBad, a, b)
	}
	if err := st.check(cfg); err != nil {
		return err
	}
	rng, err := c.Get("agent_rng")
	if err != nil {
		return err
	}
	if err := k.src.UnmarshalBinary(rng); err != nil {
		return fmt.Errorf("%w: agent_rng: %v", ckpt.ErrBad, err)
	}
	n := len(k.q.Params)
	for name, dst := range map[string][]float32{"q": k.q.Params, "target": k.target.Params} {
		v, err := c.Float32s(name, n)
		if err != nil {
			return err
		}
		copy(dst, v)
	}
	var ns backend.NetState
	if ns.Params, err = c.Float32s("net", n); err != nil {
		return err
	}
	if ns.Adam.M, err = c.Float32s("adam_m", n); err != nil {
		return err
	}
	if ns.Adam.V, err = c.Float32s("adam_v", n); err != nil {
		return err
	}
	if err := c.GetJSON("adam_t", &ns.Adam.T); err != nil {
		return err
	}
	if err := k.net.Restore(ctx, ns); err != nil {
		return fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	if st.BestScore != nil {
		p, err := c.Float32s("best", n)
		if err != nil {
			return err
		}
		k.best.SetBest(*st.BestScore, st.BestStep, p)
	}
	raw, err := c.Get("replay")
	if err != nil {
		return err
	}
	buf, err := replay.Load(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	if buf.Cap() != (*k.buf).Cap() || buf.Dim() != (*k.buf).Dim() {
		return fmt.Errorf("%w: replay buffer of %d x %d, this run has %d x %d", ckpt.ErrBad,
			buf.Cap(), buf.Dim(), (*k.buf).Cap(), (*k.buf).Dim())
	}
	*k.buf = buf
	k.eps.SetState(st.Episodes)
	k.e.Seed(st.EnvRNG)
	if k.evalEnv != nil && st.EvalRNG != nil {
		k.evalEnv.Seed(*st.EvalRNG)
	}
	*k.next, *k.lastEvl = st.Next, st.LastEval
	k.res.GradSteps, k.res.FinalLoss = st.GradSteps, st.FinalLoss
	return nil
}

// check refuses counters no training could have reached.
func (st *loopState) check(cfg Config) error {
	switch {
	case st.Next < 1 || st.Next > cfg.Steps+1:
		return fmt.Errorf("%w: next step %d, the run has steps 1 to %d", ckpt.ErrBad, st.Next, cfg.Steps)
	case st.LastEval < -1 || st.LastEval >= st.Next:
		return fmt.Errorf("%w: last evaluation at step %d, before step %d", ckpt.ErrBad, st.LastEval, st.Next)
	case st.GradSteps < 0 || st.BestStep < -1 || st.BestStep >= st.Next || st.Episodes.Count < 0 || st.Episodes.Count >= st.Next:
		return fmt.Errorf("%w: impossible counters (gradient steps %d, best at step %d, episodes %d at step %d)",
			ckpt.ErrBad, st.GradSteps, st.BestStep, st.Episodes.Count, st.Next)
	}
	return nil
}

// GreedyNet rebuilds the online Q-network of a training checkpoint (a run
// interrupted before its end), for evaluating it: the best evaluated weights
// when the checkpoint has them, else the latest. in and out are the
// environment's observation size and action count.
func GreedyNet(c *ckpt.Checkpoint, in, out int) (*nn.MLP, error) {
	if c.Kind != CheckpointKind {
		return nil, fmt.Errorf("%w: a %q checkpoint, not a DQN training checkpoint", ckpt.ErrBad, c.Kind)
	}
	var st loopState
	if err := c.GetJSON("dqn", &st); err != nil {
		return nil, err
	}
	act, err := nn.ParseActivation(st.Config.Activation)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	for _, h := range st.Config.Hidden {
		if h <= 0 || h > 1<<16 {
			return nil, fmt.Errorf("%w: hidden layer of %d units", ckpt.ErrBad, h)
		}
	}
	q, err := nn.New(nn.Spec{In: in, Hidden: st.Config.Hidden, Act: act, Out: out}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	name := "q"
	if st.BestScore != nil {
		name = "best"
	}
	p, err := c.Float32s(name, len(q.Params))
	if err != nil {
		return nil, err
	}
	copy(q.Params, p)
	return q, nil
}
