package trainloop

import "github.com/xlrl/xlrl/internal/ckpt"

// Hooks are what a training loop reports to and checkpoints through, each
// optional: the explicit hooks of xlrl.Hooks in the trainers' terms. xlrl
// train writes the reports to the run's metrics.jsonl and progress line. A
// nil *Hooks is no hooks at all; its methods then do nothing.
type Hooks struct {
	// Episode is called after each finished training episode, at
	// environment step step.
	Episode func(step int, ret float64, length int)
	// Update is called after each gradient update (or batch of them) with
	// its figures under internal/metric names: loss, epsilon, mean_q, ...
	Update func(step int, values map[string]float64)
	// Eval is called after each periodic evaluation with metric.EvalMean,
	// metric.TrainMean and, where the agent has it, metric.EvalStd.
	Eval func(step int, values map[string]float64)
	// Checkpoint saves and restores the run; a trainer that can save its
	// whole state (DQN on the go backend) checkpoints at episode boundaries
	// when Due says so and, on cancellation, finishes the episode, saves
	// and returns the context's error. Nil: no checkpoints.
	Checkpoint Checkpointer
}

// OnEpisode calls h.Episode when there is one.
func (h *Hooks) OnEpisode(step int, ret float64, length int) {
	if h != nil && h.Episode != nil {
		h.Episode(step, ret, length)
	}
}

// OnUpdate calls h.Update when there is one.
func (h *Hooks) OnUpdate(step int, values map[string]float64) {
	if h != nil && h.Update != nil {
		h.Update(step, values)
	}
}

// OnEval calls h.Eval when there is one.
func (h *Hooks) OnEval(step int, values map[string]float64) {
	if h != nil && h.Eval != nil {
		h.Eval(step, values)
	}
}

// Checkpointer is h.Checkpoint (nil for nil hooks).
func (h *Hooks) Checkpointer() Checkpointer {
	if h == nil {
		return nil
	}
	return h.Checkpoint
}

// Checkpointer saves and restores a training run (Hooks.Checkpoint).
type Checkpointer interface {
	// Resumed is the checkpoint to continue from; nil for a new run.
	Resumed() *ckpt.Checkpoint
	// Due says whether a checkpoint should be written now.
	Due() bool
	// Save writes c, the state after step steps and episodes episodes.
	Save(c *ckpt.Checkpoint, step, episodes int) error
}

// EpisodesState is what Episodes keeps between episodes, for checkpoints.
type EpisodesState struct {
	Count  int       `json:"count"`
	Recent []float64 `json:"recent"`
}

// State returns the state at an episode boundary.
func (e *Episodes) State() EpisodesState {
	return EpisodesState{Count: e.Count, Recent: append([]float64(nil), e.recent...)}
}

// SetState restores a state returned by State.
func (e *Episodes) SetState(s EpisodesState) {
	*e = Episodes{Count: s.Count, recent: append([]float64(nil), s.Recent...)}
}

// Params are the best weights so far (nil if no evaluation yet).
func (b *Best) Params() []float32 { return b.params }

// SetBest restores what Offer recorded.
func (b *Best) SetBest(score float64, step int, params []float32) {
	b.Score, b.Step, b.params = score, step, append([]float32(nil), params...)
}
