// Package qupdate is the temporal-difference update at the heart of every
// value-based agent in xlrl:
//
//	Q <- Q + lr * (r + gamma * maxNextQ - Q)     (non-terminal)
//	Q <- Q + lr * (r - Q)                        (terminal: no bootstrap)
//
// The terminal flag is explicit. The seed project dropped the bootstrap term
// whenever maxNextQ <= 0, which silently breaks every task whose values are
// negative (Taxi, CliffWalking, MountainCar): there the bootstrap is exactly
// what carries the cost of the remaining path.
//
// The same function is exported to C by cmd/libqvalue, so Python (through
// ctypes) and Go compute the same bits; testdata/golden.txt pins them.
package qupdate

import "fmt"

// Update returns the updated action value. Truncated episodes (time limits)
// are not terminal: pass terminal=false and bootstrap through them.
//
// The explicit float64 conversions forbid the compiler from fusing a
// multiply and an add into one FMA (the Go spec allows fusion otherwise), so
// the result is the same on every architecture and matches numpy and C,
// which round each operation.
func Update(currentQ, reward, maxNextQ, lr, discount float64, terminal bool) float64 {
	target := reward
	if !terminal {
		target = reward + float64(discount*maxNextQ)
	}
	return currentQ + float64(lr*(target-currentQ))
}

// UpdateBatch applies Update element-wise: dst[i] = Update(q[i], reward[i],
// maxNextQ[i], lr, discount, terminal[i]). dst may alias q.
func UpdateBatch(dst, q, reward, maxNextQ []float64, terminal []bool, lr, discount float64) error {
	n := len(q)
	if len(dst) != n || len(reward) != n || len(maxNextQ) != n || len(terminal) != n {
		return fmt.Errorf("qupdate: batch lengths differ: dst %d, q %d, reward %d, maxNextQ %d, terminal %d",
			len(dst), n, len(reward), len(maxNextQ), len(terminal))
	}
	for i := range n {
		dst[i] = Update(q[i], reward[i], maxNextQ[i], lr, discount, terminal[i])
	}
	return nil
}
