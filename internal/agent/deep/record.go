package deep

import "context"

// Recorder receives the figures of a training run as they happen: one call
// per finished episode and one per update. xlrl train writes them to the
// run's metrics.jsonl and progress line. Trainers find it in their context,
// as net/http/httptrace finds its hooks, so that recording changes no
// signature and costs nothing when nobody listens.
type Recorder interface {
	// Episode reports a finished training episode at environment step step.
	Episode(step int, ret float64, length int)
	// Update reports a gradient update (or a batch of them): loss, epsilon,
	// mean_q, max_q, ... as run.Key* names.
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
