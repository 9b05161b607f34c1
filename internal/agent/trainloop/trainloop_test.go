package trainloop

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

func TestEvaluateCountsEpisodeReturns(t *testing.T) {
	e, err := env.Make("CartPole-v1")
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(1)
	ev, err := Evaluate(context.Background(), e, 20, func([]float64) int { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	// Always pushing left ends CartPole within a few dozen steps.
	if ev.Episodes != 20 || len(ev.Returns) != 20 || ev.Mean < 5 || ev.Mean > 30 || ev.Std < 0 {
		t.Fatalf("evaluation %+v", ev)
	}
	var s float64
	for _, r := range ev.Returns {
		s += r
	}
	if math.Abs(s/20-ev.Mean) > 1e-9 {
		t.Fatalf("mean %v, returns %v", ev.Mean, ev.Returns)
	}
}

func TestBestKeepsAndRestoresTheBestWeights(t *testing.T) {
	net, _ := nn.New(nn.Spec{In: 2, Out: 1}, rand.New(rand.NewPCG(1, 1)))
	b := NewBest()
	if b.Restore(net) {
		t.Fatal("restored with nothing recorded")
	}
	net.Params[0] = 1
	b.Offer(10, 100, net)
	net.Params[0] = 2
	if b.Offer(5, 200, net) {
		t.Fatal("a worse score replaced the best")
	}
	net.Params[0] = 3
	if !b.Restore(net) || net.Params[0] != 1 || b.Score != 10 || b.Step != 100 {
		t.Fatalf("restored %v, best %v at %d", net.Params[0], b.Score, b.Step)
	}
}

func TestMixSeparatesStreams(t *testing.T) {
	seen := map[uint64]bool{}
	for seed := uint64(0); seed < 50; seed++ {
		for s := StreamTrainEnv; s <= StreamFinalEval; s++ {
			v := Mix(seed, s)
			if seen[v] {
				t.Fatalf("Mix(%d, %d) repeats a value", seed, s)
			}
			seen[v] = true
		}
	}
}

func TestCheckSpaces(t *testing.T) {
	for id, want := range map[string]string{
		"Pendulum-v1":   "needs a discrete action space, but Pendulum-v1 has Box(1) actions",
		"FrozenLake-v1": "", // one-hot encoded: see TestVectorsEncodeDiscreteObservations
		"CartPole-v1":   "",
	} {
		spec, err := env.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckSpaces("dqn", spec)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", id, err, want)
		}
	}
}

func TestVectorsEncodeDiscreteObservations(t *testing.T) {
	mk := EnvFactory(func() (env.Env, error) { return env.Make("Taxi-v3") }).Vectors()
	e, err := mk()
	if err != nil {
		t.Fatal(err)
	}
	if spec := e.Spec(); spec.Observation.Kind != env.Box || spec.Observation.Dim() != 500 {
		t.Fatalf("Taxi-v3 through Vectors has observations %v, want Box(500)", spec.Observation)
	}
	e.Seed(3)
	sum := 0.0
	for _, v := range e.Reset() {
		sum += v
	}
	if sum != 1 {
		t.Errorf("a one-hot observation sums to %v", sum)
	}
}

func TestHooksCallWhatIsSet(t *testing.T) {
	var none *Hooks // the trainers' "nobody listens"
	none.OnEpisode(1, 2, 3)
	none.OnUpdate(1, nil)
	none.OnEval(1, nil)
	if none.Checkpointer() != nil || (&Hooks{}).Checkpointer() != nil {
		t.Fatal("no hooks have a checkpointer")
	}
	var got []string
	h := &Hooks{
		Episode: func(step int, ret float64, length int) { got = append(got, fmt.Sprint("episode ", step, ret, length)) },
		Update:  func(step int, v map[string]float64) { got = append(got, fmt.Sprint("update ", step, v["loss"])) },
	}
	h.OnEpisode(7, 1.5, 3)
	h.OnUpdate(8, map[string]float64{"loss": 0.25})
	h.OnEval(9, nil) // not set
	if want := []string{"episode 7 1.5 3", "update 8 0.25"}; !slices.Equal(got, want) {
		t.Fatalf("calls %q, want %q", got, want)
	}
}

// endless is a Copier whose copies never end an episode (and have no time
// limit): each step pays copy i reward i+1. It counts the vector's resets.
type endless struct {
	env.Env
	n, resets int
	spec      env.Spec
	rw        []float64
	obs       []float64
	flags     []bool
}

func (e *endless) EvalCopies(n int) (env.VectorEnv, error) {
	e.n, e.rw, e.obs, e.flags = n, make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range e.rw {
		e.rw[i] = float64(i + 1)
	}
	return e, nil
}
func (e *endless) Spec() *env.Spec                    { return &e.spec }
func (e *endless) Len() int                           { return e.n }
func (e *endless) Reset() []float64                   { e.resets++; return e.obs }
func (e *endless) StepDiscrete([]int) []float64       { return e.obs }
func (e *endless) StepContinuous([]float64) []float64 { return e.obs }
func (e *endless) Obs() []float64                     { return e.obs }
func (e *endless) FinalObs() []float64                { return e.obs }
func (e *endless) Rewards() []float64                 { return e.rw }
func (e *endless) Terminated() []bool                 { return e.flags }
func (e *endless) Truncated() []bool                  { return e.flags }
func (e *endless) Close()                             {}

// TestPlayEpisodesOverCopiesCutsAndResets: episodes cut at EvalStepLimit
// retire their copies (whose episodes go on in the vector); once every
// copy is retired and episodes are left, all copies are reset.
func TestPlayEpisodesOverCopiesCutsAndResets(t *testing.T) {
	e := &endless{spec: env.Spec{ID: "endless", Observation: env.Space{Kind: env.Box, Low: []float64{0}, High: []float64{1}},
		Action: env.Space{Kind: env.Discrete, N: 2}}}
	cut := 0
	ev, err := PlayEpisodes(context.Background(), e, 3, func([]float64) env.Action { return env.DiscreteAction(1) },
		func(_ float64, term bool) {
			if !term {
				cut++
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	// Three copies, one round: copy i earns (i+1) per step for EvalStepLimit steps.
	want := []float64{EvalStepLimit, 2 * EvalStepLimit, 3 * EvalStepLimit}
	if !slices.Equal(ev.Returns, want) || e.resets != 1 || cut != 3 || e.n != 3 {
		t.Fatalf("returns %v (want %v), %d resets, %d cut, %d copies", ev.Returns, want, e.resets, cut, e.n)
	}
	// More episodes than copies: after the first round is cut, a reset and a second round.
	ev, err = PlayEpisodes(context.Background(), e, MaxEvalCopies+2, func([]float64) env.Action { return env.DiscreteAction(0) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.n != MaxEvalCopies || e.resets != 3 || ev.Returns[MaxEvalCopies] != EvalStepLimit || ev.Returns[MaxEvalCopies+1] != 2*EvalStepLimit ||
		ev.Returns[MaxEvalCopies-1] != MaxEvalCopies*EvalStepLimit {
		t.Fatalf("%d copies, %d resets, returns %v", e.n, e.resets, ev.Returns[MaxEvalCopies-2:])
	}
}
