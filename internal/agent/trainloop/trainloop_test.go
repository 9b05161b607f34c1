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
