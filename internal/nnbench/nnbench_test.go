package nnbench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

var tiny = []Case{
	{Name: "step", Spec: nn.Spec{In: 3, Hidden: []int{8}, Act: nn.ReLU, Out: 2}, Batch: 16, Step: true, GoalTFRatio: 0.5},
	{Name: "forward", Spec: nn.Spec{In: 3, Hidden: []int{8}, Act: nn.ReLU, Out: 2}, Batch: 1, GoalUS: 1e9},
}

func TestRunGoOnly(t *testing.T) {
	rep, err := Run(context.Background(), tiny, Options{Rounds: 3, MinRound: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kernel != nn.Kernel() || rep.Rounds != 3 || len(rep.Results) != 2 {
		t.Fatalf("report %+v", rep)
	}
	step, fwd := rep.Results[0], rep.Results[1]
	if step.Layers != "3-8-2" || step.Batch != 16 || step.GoUS <= 0 || step.TFUS != 0 || step.Met {
		t.Errorf("step without tf: %+v (a ratio goal cannot be met without tf)", step)
	}
	if fwd.GoUS <= 0 || !fwd.Met || fwd.Goal != "go <= 1e+09 us" {
		t.Errorf("forward: %+v", fwd)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), tiny, Options{Rounds: 0, MinRound: time.Millisecond}); err == nil ||
		!strings.Contains(err.Error(), "must be positive") {
		t.Fatalf("zero rounds: %v", err)
	}
}

func TestRunWithTF(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatalf("the tf side needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", err)
	}
	defer c.Close()
	rep, err := Run(ctx, tiny[:1], Options{Rounds: 1, MinRound: time.Millisecond, Worker: c})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.TFUS <= 0 || r.TFCPUUS <= 0 || r.TFOverGo != r.TFUS/r.GoUS || r.Met != (r.GoUS <= 0.5*r.TFUS) || r.MetCPU != (r.GoCPUUS > 0 && r.GoCPUUS <= 0.5*r.TFCPUUS) {
		t.Fatalf("step with tf: %+v", r)
	}
}
