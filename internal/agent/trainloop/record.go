package trainloop

import (
	"context"

	"github.com/xlrl/xlrl/internal/ckpt"
)

// Recorder receives the figures of a training run as they happen: one call
// per finished episode and one per update. xlrl train writes them to the
// run's metrics.jsonl and progress line. Trainers find it in their context,
// as net/http/httptrace finds its hooks, so that recording changes no
// signature and costs nothing when nobody listens.
type Recorder interface {
	// Episode reports a finished training episode at environment step step.
	Episode(step int, ret float64, length int)
	// Update reports a gradient update (or a batch of them): loss, epsilon,
	// mean_q, max_q, ... under internal/metric names.
	Update(step int, values map[string]float64)
}

type recorderKey struct{}

// WithRecorder returns a context whose trainers report to r.
func WithRecorder(ctx context.Context, r Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// RecorderFrom returns ctx's Recorder, or nil when there is none.
func RecorderFrom(ctx context.Context) Recorder {
	r, _ := ctx.Value(recorderKey{}).(Recorder)
	return r
}

// Checkpointer saves and restores a training run. Like the Recorder it
// travels in the context; a trainer that finds one (and can save its whole
// state) checkpoints at episode boundaries when Due says so, and, on
// cancellation, finishes the episode, saves and returns the context's error.
type Checkpointer interface {
	// Resumed is the checkpoint to continue from; nil for a new run.
	Resumed() *ckpt.Checkpoint
	// Due says whether a checkpoint should be written now.
	Due() bool
	// Save writes c, the state after step steps and episodes episodes.
	Save(c *ckpt.Checkpoint, step, episodes int) error
}

type checkpointerKey struct{}

// WithCheckpointer returns a context whose trainers checkpoint through c.
func WithCheckpointer(ctx context.Context, c Checkpointer) context.Context {
	return context.WithValue(ctx, checkpointerKey{}, c)
}

// CheckpointerFrom returns ctx's Checkpointer, or nil when there is none.
func CheckpointerFrom(ctx context.Context) Checkpointer {
	c, _ := ctx.Value(checkpointerKey{}).(Checkpointer)
	return c
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
