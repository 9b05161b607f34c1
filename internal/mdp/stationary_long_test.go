//go:build long

package mdp

import (
	"math"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// TestBestStationaryFrozenLakeEnumeration checks the search on FrozenLake
// 4x4 within 100 steps against every stationary policy over the states a
// policy can reach (4^11, about 4.2 million; a minute or so on one core).
func TestBestStationaryFrozenLakeEnumeration(t *testing.T) {
	e, _ := env.Make("FrozenLake-v1")
	m, _ := env.ModelOf(e)
	const horizon = 100
	got, err := BestStationary(m, horizon, 1, 100_000)
	if err != nil || !got.Exact {
		t.Fatalf("search: %+v, %v", got, err)
	}
	tab, _ := load(m)
	b := newBranchBound(tab, m.InitialDistribution(), horizon, 1)
	pi := make([]int, tab.nS)
	best := math.Inf(-1)
	for {
		best = max(best, b.evaluate(pi))
		i := 0
		for i < len(b.states) && pi[b.states[i]] == tab.nA-1 {
			pi[b.states[i]] = 0
			i++
		}
		if i == len(b.states) {
			break
		}
		pi[b.states[i]]++
	}
	t.Logf("%d reachable states; enumeration %.12f, search %.12f in %d nodes", len(b.states), best, got.Value, got.Nodes)
	if math.Abs(best-got.Value) > 1e-12 {
		t.Fatalf("enumeration finds %.12f, the search %.12f", best, got.Value)
	}
}
