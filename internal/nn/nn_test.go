package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randBatch(rng *rand.Rand, n, in, k int) ([]float32, []int32, []float32) {
	x := make([]float32, n*in)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	a := make([]int32, n)
	y := make([]float32, n)
	for i := range a {
		a[i] = int32(rng.IntN(k))
		y[i] = float32(3 * rng.NormFloat64())
	}
	return x, a, y
}

// TestGradientMatchesFiniteDifferences checks backprop against central
// differences of the loss for every loss and activation.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, act := range []Activation{Tanh, ReLU, Linear} {
		for _, loss := range []Loss{MSE, Huber, Policy} {
			t.Run(act.String()+"/"+loss.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(act)*10+uint64(loss)))
				net, err := New(Spec{In: 3, Hidden: []int{5, 4}, Act: act, Out: 3}, rng)
				if err != nil {
					t.Fatal(err)
				}
				for i := range net.Params { // nonzero biases exercise their gradient
					net.Params[i] += float32(0.1 * rng.NormFloat64())
				}
				const n = 6
				x, a, y := randBatch(rng, n, 3, 3)
				tr := NewTrainer(net, loss, 1e-3, n)
				tr.EntCoef = 0.3
				tr.Gradient(x, a, y, n)
				grad := append([]float32(nil), tr.WS.Grad...)
				lossAt := func() float64 {
					out := net.Forward(tr.WS, x, n)
					return LossGrad(loss, out, 3, a, y, n, 0.3, net.OutputGrad(tr.WS, n))
				}
				const h = 1e-3
				for i := range net.Params {
					orig := net.Params[i]
					net.Params[i] = orig + h
					up := lossAt()
					net.Params[i] = orig - h
					down := lossAt()
					net.Params[i] = orig
					fd := (up - down) / (2 * h)
					if diff := math.Abs(fd - float64(grad[i])); diff > 2e-3+2e-2*math.Abs(fd) {
						t.Errorf("param %d: backprop %.6f, finite difference %.6f", i, grad[i], fd)
					}
				}
			})
		}
	}
}

func TestGlorotUniformInit(t *testing.T) {
	net, err := New(Spec{In: 4, Hidden: []int{64}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(net.Params), 4*64+64+64*2+2; got != want {
		t.Fatalf("%d parameters, want %d", got, want)
	}
	for l, ly := range net.Layers {
		limit := float32(math.Sqrt(6 / float64(ly.In+ly.Out)))
		var maxAbs float32
		for _, w := range ly.W {
			maxAbs = max(maxAbs, float32(math.Abs(float64(w))))
		}
		if maxAbs > limit || maxAbs < 0.8*limit {
			t.Errorf("layer %d: max |w| %.4f, want just under the Glorot limit %.4f", l, maxAbs, limit)
		}
		for _, b := range ly.B {
			if b != 0 {
				t.Fatalf("layer %d: bias %v, want zeros", l, ly.B)
			}
		}
	}
	if net.Layers[1].Act != Linear || net.Layers[0].Act != ReLU {
		t.Errorf("activations %v %v, want relu then linear", net.Layers[0].Act, net.Layers[1].Act)
	}
}

// TestForwardKerasLayout checks the kernel layout (in, out) row-major with a
// hand-computed example.
func TestForwardKerasLayout(t *testing.T) {
	net, _ := New(Spec{In: 2, Hidden: []int{2}, Act: ReLU, Out: 1}, rand.New(rand.NewPCG(1, 1)))
	// kernel0 [[1, -1], [2, 0.5]], bias0 [0.5, 0], kernel1 [[1], [3]], bias1 [-1]
	if err := net.SetParams([]float32{1, -1, 2, 0.5, 0.5, 0, 1, 3, -1}); err != nil {
		t.Fatal(err)
	}
	ws := net.NewWorkspace(2)
	out := net.Forward(ws, []float32{1, 1, -1, 2}, 2)
	// row 0: h = relu([1+2+.5, -1+.5]) = [3.5, 0] -> 3.5 - 1 = 2.5
	// row 1: h = relu([-1+4+.5, 1+1]) = [3.5, 2] -> 3.5 + 6 - 1 = 8.5
	if out[0] != 2.5 || out[1] != 8.5 {
		t.Fatalf("forward = %v, want [2.5 8.5]", out)
	}
}

func TestForwardAndStepAllocateNothing(t *testing.T) {
	net, _ := New(Spec{In: 4, Hidden: []int{64, 64}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(1, 2)))
	x, a, y := randBatch(rand.New(rand.NewPCG(3, 4)), 32, 4, 2)
	tr := NewTrainer(net, Huber, 1e-3, 32)
	if n := testing.AllocsPerRun(50, func() { net.Forward(tr.WS, x[:4], 1) }); n != 0 {
		t.Errorf("Forward allocates %.0f times per call", n)
	}
	if n := testing.AllocsPerRun(50, func() { tr.Step(x, a, y, 32) }); n != 0 {
		t.Errorf("Step allocates %.0f times per call", n)
	}
}

// TestAdamFirstStep: Keras's first Adam step moves each weight by lr*sign(g)
// (up to epsilon).
func TestAdamFirstStep(t *testing.T) {
	p := []float32{1, 1, 1}
	NewAdam(0.1, 3).Step(p, []float32{2, -0.5, 0})
	want := []float32{0.9, 1.1, 1}
	for i := range p {
		if math.Abs(float64(p[i]-want[i])) > 1e-5 {
			t.Fatalf("after one step %v, want %v", p, want)
		}
	}
}

func TestTrainerFitsRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	net, _ := New(Spec{In: 2, Hidden: []int{32}, Act: Tanh, Out: 1}, rng)
	tr := NewTrainer(net, MSE, 1e-2, 64)
	x := make([]float32, 128)
	y := make([]float32, 64)
	a := make([]int32, 64)
	var first, last float64
	for it := 0; it < 600; it++ {
		for r := 0; r < 64; r++ {
			x[2*r], x[2*r+1] = float32(rng.Float64()*2-1), float32(rng.Float64()*2-1)
			y[r] = float32(math.Sin(3*float64(x[2*r])) * float64(x[2*r+1]))
		}
		l := tr.Step(x, a, y, 64)
		if it == 0 {
			first = l
		}
		last = l
	}
	if last > first/10 {
		t.Fatalf("loss went from %.4f to %.4f, want a tenfold drop", first, last)
	}
}

func TestClipGradNorm(t *testing.T) {
	g := []float32{3, 4}
	if n := ClipGradNorm(g, 1); n != 5 || math.Abs(float64(g[0])-0.6) > 1e-6 || math.Abs(float64(g[1])-0.8) > 1e-6 {
		t.Fatalf("norm %v, clipped %v", n, g)
	}
	g = []float32{3, 4}
	ClipGradNorm(g, 10)
	if g[0] != 3 || g[1] != 4 {
		t.Fatalf("clipped below the limit: %v", g)
	}
}

func TestParseLayers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"64,64", []int{64, 64}, ""},
		{" 32 ", []int{32}, ""},
		{"", nil, ""},
		{"64,x", nil, `"x" is not a layer size`},
		{"64,,64", nil, `"" is not a layer size`},
		{"-3", nil, `"-3" is not a layer size`},
	} {
		got, err := ParseLayers(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLayers(%q) error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseLayers(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseLayers(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

func BenchmarkForwardOneState64x64(b *testing.B) {
	net, _ := New(Spec{In: 4, Hidden: []int{64, 64}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(1, 2)))
	ws := net.NewWorkspace(1)
	x := []float32{0.01, -0.2, 0.03, 0.1}
	for b.Loop() {
		net.Forward(ws, x, 1)
	}
}

func BenchmarkStepBatch64Net64x64(b *testing.B) {
	net, _ := New(Spec{In: 4, Hidden: []int{64, 64}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(1, 2)))
	x, a, y := randBatch(rand.New(rand.NewPCG(3, 4)), 64, 4, 2)
	tr := NewTrainer(net, Huber, 1e-3, 64)
	for b.Loop() {
		tr.Step(x, a, y, 64)
	}
}

func BenchmarkStepBatch64Net256x256(b *testing.B) {
	net, _ := New(Spec{In: 4, Hidden: []int{256, 256}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(1, 2)))
	x, a, y := randBatch(rand.New(rand.NewPCG(3, 4)), 64, 4, 2)
	tr := NewTrainer(net, Huber, 1e-3, 64)
	for b.Loop() {
		tr.Step(x, a, y, 64)
	}
}
