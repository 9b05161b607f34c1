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
