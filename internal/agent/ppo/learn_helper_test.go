package ppo

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
)

// trainAndEvaluate trains cfg on id and evaluates the deterministic policy
// on 100 fresh episodes (the learning checks' protocol).
func trainAndEvaluate(t *testing.T, id string, cfg Config, be backend.Backend, seed uint64) (trainloop.Evaluation, *Result) {
	t.Helper()
	ctx := context.Background()
	res, err := Train(ctx, cfg, learncheck.Maker(id), be, seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := learncheck.Maker(id)()
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(trainloop.Mix(seed, trainloop.StreamFinalEval))
	ev, err := ac.Evaluate(ctx, e, 100, res.Policy.Act)
	if err != nil {
		t.Fatal(err)
	}
	return ev, res
}
