package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInputGradMatchesFiniteDifferences: the input gradient of a weighted sum
// of the outputs agrees with central differences, for every activation.
func TestInputGradMatchesFiniteDifferences(t *testing.T) {
	for _, act := range []Activation{Tanh, ReLU, Linear} {
		t.Run(act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(act)))
			net, err := New(Spec{In: 4, Hidden: []int{6, 5}, Act: act, Out: 2}, rng)
			if err != nil {
				t.Fatal(err)
			}
			const n = 5
			x, _, _ := randBatch(rng, n, 4, 2)
			w := make([]float32, n*2) // loss = sum of w * out
			for i := range w {
				w[i] = float32(rng.NormFloat64())
			}
			ws := net.NewWorkspace(n)
			loss := func(x []float32) float64 {
				out := net.Forward(ws, x, n)
				var s float64
				for i, v := range out {
					s += float64(w[i]) * float64(v)
				}
				return s
			}
			loss(x)
			copy(net.OutputGrad(ws, n), w)
			net.Backward(ws, n)
			got := make([]float32, n*4)
			net.InputGrad(ws, n, got)
			var largest float64
			for i := range x {
				orig := x[i]
				x[i] = orig + 1e-3
				up := loss(x)
				x[i] = orig - 1e-3
				down := loss(x)
				x[i] = orig
				want := (up - down) / 2e-3
				largest = math.Max(largest, math.Abs(want))
				if math.Abs(float64(got[i])-want) > 2e-3*(1+math.Abs(want)) {
					t.Fatalf("input %d: backprop %v, finite differences %v", i, got[i], want)
				}
			}
			if largest == 0 {
				t.Fatal("the input gradient is zero: the check proves nothing")
			}
		})
	}
}

// TestInputGradRowsIsBackwardsRows: InputGradRows of a subset of a batch's
// rows gives each of them, bit for bit, what Backward and InputGrad of the
// whole batch give it (the other rows' output gradients zero), on every
// kernel set, for every activation, with one output (a critic) and
// several, for subsets that leave every remainder of the row blocks.
func TestInputGradRowsIsBackwardsRows(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, act := range []Activation{ReLU, Tanh, Linear} {
			for _, out := range []int{1, 3} {
				rng := rand.New(rand.NewPCG(9, uint64(act)*10+uint64(out)))
				net, err := New(Spec{In: 5, Hidden: []int{37, 70}, Act: act, Out: out}, rng)
				if err != nil {
					t.Fatal(err)
				}
				const n = 45
				x, _, _ := randBatch(rng, n, 5, 2)
				ws, ref := net.NewWorkspace(n), net.NewWorkspace(n)
				net.Forward(ref, x, n)
				for _, keep := range []float64{0, 0.3, 0.5, 1} {
					var rows []int32
					for r := range n {
						if rng.Float64() < keep || keep == 1 {
							rows = append(rows, int32(r))
						}
					}
					dOut := make([]float32, len(rows)*out)
					for i := range dOut {
						dOut[i] = float32(rng.NormFloat64())
					}
					g := net.OutputGrad(ref, n)
					clear(g)
					for i, r := range rows {
						copy(g[int(r)*out:(int(r)+1)*out], dOut[i*out:(i+1)*out])
					}
					net.Backward(ref, n)
					want := make([]float32, n*5)
					net.InputGrad(ref, n, want)
					net.Forward(ws, x, n)
					got := make([]float32, len(rows)*5)
					net.InputGradRows(ws, rows, dOut, got)
					for i, r := range rows {
						for j := range 5 {
							if w, v := want[int(r)*5+j], got[i*5+j]; math.Float32bits(w) != math.Float32bits(v) {
								t.Fatalf("%v, %d outputs, %d of %d rows: row %d input %d: %v, want %v", act, out, len(rows), n, r, j, v, w)
							}
						}
					}
					for i, v := range ws.Grad {
						if v != 0 {
							t.Fatalf("InputGradRows wrote the parameters' gradient (%d: %v)", i, v)
						}
					}
				}
			}
		}
	})
}
