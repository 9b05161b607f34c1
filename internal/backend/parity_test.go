package backend

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

var shared struct {
	once sync.Once
	c    *worker.Client
	err  error
}

// TestMain stops the worker the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		shared.c.Close()
	}
	os.Exit(code)
}

// sharedWorker is one worker for the tests that leave it alive (TensorFlow's
// import is the slow part of starting one).
func sharedWorker(t *testing.T) *worker.Client {
	t.Helper()
	shared.once.Do(func() { shared.c, shared.err = launch(t) })
	if shared.err != nil {
		t.Fatalf("the tf backend needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", shared.err)
	}
	return shared.c
}

// startWorker starts a worker of the test's own. These tests must not pass
// without it: a missing worker fails them with the fix (make venv /
// XLRL_PYTHON).
func startWorker(t *testing.T) *worker.Client {
	t.Helper()
	c, err := launch(t)
	if err != nil {
		t.Fatalf("the tf backend needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func launch(t *testing.T) (*worker.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestGoAndTFBackendsAgree: the same weights and minibatch give the same
// forward pass, loss and gradient in Go and in TensorFlow, and the same
// weights after a few Adam steps, for every loss.
func TestGoAndTFBackendsAgree(t *testing.T) {
	ctx := context.Background()
	tf := NewTF(sharedWorker(t))
	for i, loss := range []nn.Loss{nn.MSE, nn.Huber, nn.Policy} {
		t.Run(loss.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(i)))
			init, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 8}, Act: nn.Tanh, Out: 3}, rng)
			if err != nil {
				t.Fatal(err)
			}
			cfg := NetConfig{Loss: loss, LR: 0.01, EntCoef: 0.05, MaxGradNorm: 0.5}
			remote, err := tf.NewNet(ctx, cfg, init)
			if err != nil {
				t.Fatal(err)
			}
			local := nn.NewTrainer(init.Clone(), loss, cfg.LR, 32)
			local.EntCoef, local.MaxGradNorm = cfg.EntCoef, cfg.MaxGradNorm

			bs := NewBatches(3, 32, 4)
			for j := range bs.X {
				bs.X[j] = float32(rng.NormFloat64())
			}
			for j := range bs.A {
				bs.A[j] = int32(rng.IntN(3))
				bs.Y[j] = float32(2 * rng.NormFloat64())
			}
			x, a, y := bs.Row(0)

			out, err := remote.(*TFNet).Forward(ctx, x, 32, 4)
			if err != nil {
				t.Fatal(err)
			}
			goOut := local.Net.Forward(local.WS, x, 32)
			for j := range goOut {
				if !near(float64(goOut[j]), float64(out[j]), 1e-5) {
					t.Fatalf("forward output %d: go %v, tf %v", j, goOut[j], out[j])
				}
			}

			tfLoss, tfGrad, err := remote.(*TFNet).Gradient(ctx, x, a, y, 32, 4)
			if err != nil {
				t.Fatal(err)
			}
			goLoss := local.Gradient(x, a, y, 32)
			if !near(goLoss, tfLoss, 1e-5) {
				t.Fatalf("loss: go %v, tf %v", goLoss, tfLoss)
			}
			if len(tfGrad) != len(local.WS.Grad) {
				t.Fatalf("gradient length: go %d, tf %d", len(local.WS.Grad), len(tfGrad))
			}
			var gnorm float64
			for j, g := range local.WS.Grad {
				gnorm = max(gnorm, math.Abs(float64(g)))
				if math.Abs(float64(g-tfGrad[j])) > 1e-5+1e-4*math.Abs(float64(g)) {
					t.Fatalf("gradient %d: go %v, tf %v", j, g, tfGrad[j])
				}
			}
			if gnorm == 0 {
				t.Fatal("the gradient is zero: the check would prove nothing")
			}

			goNet := local.Net
			for k := 0; k < bs.K; k++ {
				xk, ak, yk := bs.Row(k)
				local.Step(xk, ak, yk, 32)
			}
			synced := init.Clone()
			if _, err := remote.Fit(ctx, bs, synced); err != nil {
				t.Fatal(err)
			}
			for j := range goNet.Params {
				if math.Abs(float64(goNet.Params[j]-synced.Params[j])) > 2e-5 {
					t.Fatalf("after %d Adam steps, parameter %d: go %v, tf %v", bs.K, j, goNet.Params[j], synced.Params[j])
				}
			}
		})
	}
}

// TestTFBackendReportsWorkerDeath: a worker that dies mid-training fails
// the next Fit with an error naming the worker's exit.
func TestTFBackendReportsWorkerDeath(t *testing.T) {
	ctx := context.Background()
	c := startWorker(t)
	tf := NewTF(c)
	init, _ := nn.New(nn.Spec{In: 2, Hidden: []int{4}, Act: nn.ReLU, Out: 2}, rand.New(rand.NewPCG(1, 1)))
	net, err := tf.NewNet(ctx, NetConfig{Loss: nn.MSE, LR: 1e-3}, init)
	if err != nil {
		t.Fatal(err)
	}
	proc, _ := os.FindProcess(c.PID())
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err = net.Fit(ctx, NewBatches(1, 4, 2), init)
	var exit *worker.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("Fit after the worker died: %v, want a *worker.ExitError", err)
	}
	if exit.Status == "" {
		t.Fatalf("the exit error does not say how the worker ended: %v", err)
	}
}

// TestTFForwardBatchMatchesGo: the worker's batched forward passes (DQN's
// targets on the tf backend) agree with Go's for several networks at once.
func TestTFForwardBatchMatchesGo(t *testing.T) {
	tf := NewTF(sharedWorker(t))
	rng := rand.New(rand.NewPCG(5, 6))
	a, _ := nn.New(nn.Spec{In: 3, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 2}, rng)
	b, _ := nn.New(nn.Spec{In: 3, Hidden: []int{8}, Act: nn.Tanh, Out: 4}, rng)
	const rows = 300
	x := make([]float32, rows*3)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	outs := [][]float32{make([]float32, rows*2), make([]float32, rows*4)}
	for round := 0; round < 2; round++ { // the second round reuses the worker's models with new weights
		if err := tf.ForwardBatch(context.Background(), []*nn.MLP{a, b}, x, rows, outs); err != nil {
			t.Fatal(err)
		}
		for i, m := range []*nn.MLP{a, b} {
			want := m.Forward(m.NewWorkspace(rows), x, rows)
			for j := range want {
				if !near(float64(outs[i][j]), float64(want[j]), 1e-5) {
					t.Fatalf("round %d, net %d, output %d: tf %v, go %v", round, i, j, outs[i][j], want[j])
				}
			}
		}
		for i := range a.Params {
			a.Params[i] *= -1.5
		}
	}
	if tf.Timings().Forward <= 0 {
		t.Error("the worker's forward time was not recorded")
	}
}

// TestTFNetStateMatchesGoAndRestores: after the same Adam steps the tf net's
// training state (weights, both moments, step count) equals the go net's,
// and a fresh tf net restored from the go net's state continues exactly as
// the go net does: the state a checkpoint saves is the same on both.
func TestTFNetStateMatchesGoAndRestores(t *testing.T) {
	ctx := context.Background()
	tf := NewTF(sharedWorker(t))
	rng := rand.New(rand.NewPCG(3, 4))
	init, err := nn.New(nn.Spec{In: 4, Hidden: []int{8}, Act: nn.ReLU, Out: 2}, rng)
	if err != nil {
		t.Fatal(err)
	}
	cfg := NetConfig{Loss: nn.Huber, LR: 0.01}
	batches := func() *Batches {
		bs := NewBatches(3, 16, 4)
		for j := range bs.X {
			bs.X[j] = float32(rng.NormFloat64())
		}
		for j := range bs.A {
			bs.A[j], bs.Y[j] = int32(rng.IntN(2)), float32(rng.NormFloat64())
		}
		return bs
	}
	newNet := func(b Backend) Snapshotter {
		n, err := b.NewNet(ctx, cfg, init)
		if err != nil {
			t.Fatal(err)
		}
		return n.(Snapshotter)
	}
	fit := func(n Snapshotter, bs *Batches) NetState {
		if _, err := n.(Net).Fit(ctx, bs, nil); err != nil {
			t.Fatal(err)
		}
		s, err := n.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(what string, got, want NetState) {
		t.Helper()
		if got.Adam.T != want.Adam.T {
			t.Errorf("%s: step count %d, want %d", what, got.Adam.T, want.Adam.T)
		}
		for _, v := range []struct {
			name      string
			got, want []float32
		}{{"params", got.Params, want.Params}, {"m", got.Adam.M, want.Adam.M}, {"v", got.Adam.V, want.Adam.V}} {
			if len(v.got) != len(v.want) {
				t.Fatalf("%s: %s has %d values, want %d", what, v.name, len(v.got), len(v.want))
			}
			for i := range v.got {
				if !near(float64(v.got[i]), float64(v.want[i]), 1e-5) {
					t.Fatalf("%s: %s[%d] = %g, want %g", what, v.name, i, v.got[i], v.want[i])
				}
			}
		}
	}

	tnet, gnet := newNet(tf), newNet(NewGo())
	first := batches()
	same("after 3 steps", fit(tnet, first), fit(gnet, first))

	goState, err := gnet.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	restored := newNet(tf)
	if err := restored.Restore(ctx, goState); err != nil {
		t.Fatal(err)
	}
	second := batches()
	same("restored, then 3 more steps", fit(restored, second), fit(gnet, second))
}
