// Package ac holds what the actor-critic agents (internal/agent/ppo, sac,
// td3) share: evaluation with any kind of action, Stable-Baselines3's
// orthogonal initialisation, the arithmetic of diagonal Gaussian policies,
// and SAC's and TD3's replay buffer and environment loop (OffPolicy).
package ac

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// Evaluate runs episodes of e with act, which maps an observation to the
// action to take, and returns their returns.
func Evaluate(ctx context.Context, e env.Env, episodes int, act func(obs []float64) env.Action) (trainloop.Evaluation, error) {
	return trainloop.PlayEpisodes(ctx, e, episodes, act, nil)
}

// Orthogonal re-initialises net as Stable-Baselines3's ortho_init does:
// orthogonal kernels with gain hiddenGain for the hidden layers and outGain
// for the output layer, zero biases.
func Orthogonal(net *nn.MLP, hiddenGain, outGain float64, rng *rand.Rand) {
	for l := range net.Layers {
		ly := &net.Layers[l]
		gain := hiddenGain
		if l == len(net.Layers)-1 {
			gain = outGain
		}
		orthogonal(ly.W, ly.In, ly.Out, gain, rng)
		clear(ly.B)
	}
}

// orthogonal fills w (rows x cols, row-major) with a random matrix whose
// rows (if rows <= cols) or columns are orthonormal, times gain: the
// Gram-Schmidt orthonormalisation of a Gaussian matrix, as
// torch.nn.init.orthogonal_ draws it (up to the signs QR fixes).
func orthogonal(w []float32, rows, cols int, gain float64, rng *rand.Rand) {
	// Work on the k vectors of length n along the smaller dimension.
	k, n := rows, cols
	at := func(v, i int) int { return v*cols + i } // vector v is row v
	if rows > cols {
		k, n = cols, rows
		at = func(v, i int) int { return i*cols + v } // vector v is column v
	}
	vec := make([][]float64, k)
	for v := range vec {
		vec[v] = make([]float64, n)
		for {
			for i := range vec[v] {
				vec[v][i] = rng.NormFloat64()
			}
			for u := 0; u < v; u++ {
				var d float64
				for i := range vec[v] {
					d += vec[v][i] * vec[u][i]
				}
				for i := range vec[v] {
					vec[v][i] -= d * vec[u][i]
				}
			}
			var s float64
			for _, x := range vec[v] {
				s += x * x
			}
			if s > 1e-12 {
				s = math.Sqrt(s)
				for i := range vec[v] {
					vec[v][i] /= s
				}
				break
			}
		}
		for i, x := range vec[v] {
			w[at(v, i)] = float32(gain * x)
		}
	}
}

// Log2Pi is log(2 pi).
var Log2Pi = math.Log(2 * math.Pi)

// ToFloat32 copies obs into dst.
func ToFloat32(dst []float32, obs []float64) {
	for i, v := range obs {
		dst[i] = float32(v)
	}
}
