package nn

import "math"

// Loss names the training objective of a network. Every backend implements
// each of them identically (the tf backend in pyworker/rl.py), so that the
// same agent code trains on any backend.
type Loss int

const (
	// MSE regresses the output selected by the action onto the target:
	// mean over rows of (out[a] - y)^2. With one output and a = 0 it is the
	// plain value-function regression.
	MSE Loss = iota
	// Huber is MSE with Keras's Huber loss (delta 1) in place of the square.
	Huber
	// Policy is the policy-gradient loss on logits with an entropy bonus:
	// mean over rows of -adv * log softmax(out)[a] - entCoef * H(softmax(out)),
	// where y carries the advantage.
	Policy
)

func (l Loss) String() string {
	switch l {
	case Huber:
		return "huber"
	case Policy:
		return "policy"
	default:
		return "mse"
	}
}

// LossGrad computes the loss for n rows of outputs out (n*k values) with
// actions a and targets (or advantages) y, and writes dLoss/dout into dOut.
// entCoef is used by Policy only.
func LossGrad(kind Loss, out []float32, k int, a []int32, y []float32, n int, entCoef float64, dOut []float32) float64 {
	clear(dOut[:n*k])
	inv := 1 / float64(n)
	var total float64
	switch kind {
	case MSE, Huber:
		for r := 0; r < n; r++ {
			idx := r*k + int(a[r])
			e := float64(out[idx]) - float64(y[r])
			if kind == MSE {
				total += e * e
				dOut[idx] = float32(2 * e * inv)
				continue
			}
			if math.Abs(e) <= 1 {
				total += 0.5 * e * e
				dOut[idx] = float32(e * inv)
			} else {
				total += math.Abs(e) - 0.5
				dOut[idx] = float32(math.Copysign(inv, e))
			}
		}
	case Policy:
		var logp [64]float64
		lp := logp[:0]
		if k > len(logp) {
			lp = make([]float64, k)
		}
		lp = lp[:k]
		for r := 0; r < n; r++ {
			row := out[r*k : (r+1)*k]
			LogSoftmax(row, lp)
			var h float64
			for _, l := range lp {
				h -= math.Exp(l) * l
			}
			adv := float64(y[r])
			act := int(a[r])
			total += -adv*lp[act] - entCoef*h
			d := dOut[r*k : (r+1)*k]
			for j, l := range lp {
				p := math.Exp(l)
				g := adv * p
				if j == act {
					g -= adv
				}
				g += entCoef * p * (l + h)
				d[j] = float32(g * inv)
			}
		}
	}
	return total * inv
}

// LogSoftmax writes log softmax(z) into dst (len(z) values), stably.
func LogSoftmax(z []float32, dst []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(s)
	for i, v := range z {
		dst[i] = float64(v) - lse
	}
}

// Argmax is the index of the largest value (the first on ties).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
