package env

import (
	"fmt"
	"strings"
)

// frozenLakeMaps are Gymnasium's predefined FrozenLake maps.
var frozenLakeMaps = map[string][]string{
	"4x4": {"SFFF", "FHFH", "FFFH", "HFFG"},
	"8x8": {
		"SFFFFFFF",
		"FFFFFFFF",
		"FFFHFFFF",
		"FFFFFHFF",
		"FFFHFFFF",
		"FHHFFFHF",
		"FHFFHFHF",
		"FFFHFFFG",
	},
}

// ParseFrozenLakeMap reads a map name ("4x4", "8x8") or comma-separated rows
// of S (start), F (frozen), H (hole) and G (goal).
func ParseFrozenLakeMap(text string) ([]string, error) {
	if m, ok := frozenLakeMaps[text]; ok {
		return m, nil
	}
	rows := strings.Split(strings.TrimSpace(text), ",")
	for i := range rows {
		rows[i] = strings.TrimSpace(rows[i])
	}
	if len(rows) == 0 || rows[0] == "" {
		return nil, fmt.Errorf("FrozenLake map %q is empty: use 4x4, 8x8 or rows like SFFF,FHFH,FFFH,HFFG", text)
	}
	starts := 0
	for i, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, fmt.Errorf("FrozenLake map %q: row %d has %d tiles, row 1 has %d; every row must be as long", text, i+1, len(r), len(rows[0]))
		}
		for j, c := range r {
			switch c {
			case 'S':
				starts++
			case 'F', 'H', 'G':
			default:
				return nil, fmt.Errorf("FrozenLake map %q: row %d column %d is %q; tiles are S (start), F (frozen), H (hole), G (goal)", text, i+1, j+1, c)
			}
		}
	}
	if starts == 0 {
		return nil, fmt.Errorf("FrozenLake map %q has no start tile S", text)
	}
	return rows, nil
}

// newFrozenLake builds FrozenLakeEnv's P exactly as Gymnasium does: moves
// left, down, right, up (actions 0..3); when slippery, outcomes for actions
// a-1, a, a+1 (mod 4) with success_rate 1/3 on a and (1-1/3)/2 each side;
// holes and the goal are absorbing with reward 0.
func newFrozenLake(spec *Spec, c *config) (Env, error) {
	mapText := "4x4"
	if spec.ID == "FrozenLake8x8-v1" {
		mapText = "8x8"
	}
	if c.mapText != nil {
		mapText = *c.mapText
	}
	desc, err := ParseFrozenLakeMap(mapText)
	if err != nil {
		return nil, err
	}
	slippery := true
	if c.slippery != nil {
		slippery = *c.slippery
	}
	nrow, ncol := len(desc), len(desc[0])
	spec.Observation = Space{Kind: Discrete, N: nrow * ncol}
	key := fmt.Sprintf("FrozenLake %s slippery=%v", strings.Join(desc, ","), slippery)
	return sharedTabular(key, spec, func() *tabular { return buildFrozenLake(spec, desc, slippery) }), nil
}

func buildFrozenLake(spec *Spec, desc []string, slippery bool) *tabular {
	nrow, ncol := len(desc), len(desc[0])
	nS, nA := nrow*ncol, 4
	t := newTabular(spec, nS, nA)

	starts := 0
	for r := 0; r < nrow; r++ {
		for col := 0; col < ncol; col++ {
			if desc[r][col] == 'S' {
				starts++
			}
		}
	}
	for r := 0; r < nrow; r++ {
		for col := 0; col < ncol; col++ {
			if desc[r][col] == 'S' {
				t.init[r*ncol+col] = 1 / float64(starts)
			}
		}
	}

	// In float64, as Python computes it: (1 - 1/3)/2 is 0.33333333333333337,
	// not the 1/3 exact constant arithmetic would give.
	successRate := 1.0 / 3.0
	failRate := (1.0 - successRate) / 2.0
	move := func(row, col, a int) (int, float64, bool) {
		switch a {
		case 0:
			col = max(col-1, 0)
		case 1:
			row = min(row+1, nrow-1)
		case 2:
			col = min(col+1, ncol-1)
		case 3:
			row = max(row-1, 0)
		}
		letter := desc[row][col]
		reward := 0.0
		if letter == 'G' {
			reward = 1
		}
		return row*ncol + col, reward, letter == 'G' || letter == 'H'
	}
	for row := 0; row < nrow; row++ {
		for col := 0; col < ncol; col++ {
			s := row*ncol + col
			for a := 0; a < nA; a++ {
				if l := desc[row][col]; l == 'G' || l == 'H' {
					t.add(s, a, Outcome{Prob: 1, Next: s, Reward: 0, Terminal: true})
					continue
				}
				if !slippery {
					n, r, done := move(row, col, a)
					t.add(s, a, Outcome{Prob: 1, Next: n, Reward: r, Terminal: done})
					continue
				}
				for _, b := range [3]int{(a + 3) % 4, a, (a + 1) % 4} {
					p := failRate
					if b == a {
						p = successRate
					}
					n, r, done := move(row, col, b)
					t.add(s, a, Outcome{Prob: p, Next: n, Reward: r, Terminal: done})
				}
			}
		}
	}
	return t
}

// newCliffWalking builds CliffWalkingEnv's P: a 4x12 grid, actions up, right,
// down, left; -1 per step; stepping onto the cliff (row 3, columns 1..10)
// costs -100 and returns to the start without ending the episode; reaching
// the goal (row 3, column 11) terminates. Slippery: the intended move and
// both perpendicular ones, 1/3 each.
func newCliffWalking(spec *Spec, c *config) (Env, error) {
	slippery := false
	if c.slippery != nil {
		slippery = *c.slippery
	}
	key := fmt.Sprintf("CliffWalking slippery=%v", slippery)
	return sharedTabular(key, spec, func() *tabular { return buildCliffWalking(spec, slippery) }), nil
}

func buildCliffWalking(spec *Spec, slippery bool) *tabular {
	const nrow, ncol = 4, 12
	t := newTabular(spec, nrow*ncol, 4)
	start := 3 * ncol
	t.init[start] = 1
	deltas := [4][2]int{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}
	for s := 0; s < nrow*ncol; s++ {
		row, col := s/ncol, s%ncol
		for a := 0; a < 4; a++ {
			moves := []int{a}
			if slippery {
				moves = []int{(a + 3) % 4, a, (a + 1) % 4}
			}
			p := 1 / float64(len(moves))
			for _, m := range moves {
				r := min(max(row+deltas[m][0], 0), nrow-1)
				cl := min(max(col+deltas[m][1], 0), ncol-1)
				if r == 3 && cl >= 1 && cl <= ncol-2 {
					t.add(s, a, Outcome{Prob: p, Next: start, Reward: -100})
				} else {
					t.add(s, a, Outcome{Prob: p, Next: r*ncol + cl, Reward: -1, Terminal: r == nrow-1 && cl == ncol-1})
				}
			}
		}
	}
	return t
}

var taxiMap = [7]string{
	"+---------+",
	"|R: | : :G|",
	"| : | : : |",
	"| : : : : |",
	"| | : | : |",
	"|Y| : |B: |",
	"+---------+",
}

var taxiLocs = [4][2]int{{0, 0}, {0, 4}, {4, 0}, {4, 3}}

// TaxiEncode is Taxi's state index: ((row*5 + col)*5 + passenger)*4 + destination.
func TaxiEncode(row, col, pass, dest int) int { return ((row*5+col)*5+pass)*4 + dest }

func taxiLocIndex(row, col int) int {
	for i, l := range taxiLocs {
		if l[0] == row && l[1] == col {
			return i
		}
	}
	return -1
}

// newTaxi builds TaxiEnv's deterministic ("dry") P: actions south, north,
// east, west, pick-up, drop-off; -1 per step, +20 for the delivery (which
// terminates), -10 for an illegal pick-up or drop-off; dropping the passenger
// at another pick-up point leaves them there for -1. The start is uniform over
// the 300 states with the passenger waiting away from the destination.
func newTaxi(spec *Spec, _ *config) (Env, error) {
	return sharedTabular("Taxi", spec, func() *tabular { return buildTaxi(spec) }), nil
}

func buildTaxi(spec *Spec) *tabular {
	t := newTabular(spec, 500, 6)
	for row := 0; row < 5; row++ {
		for col := 0; col < 5; col++ {
			for pass := 0; pass < 5; pass++ {
				for dest := 0; dest < 4; dest++ {
					s := TaxiEncode(row, col, pass, dest)
					if pass < 4 && pass != dest {
						t.init[s] = 1.0 / 300
					}
					for a := 0; a < 6; a++ {
						nr, nc, np := row, col, pass
						reward, done := -1.0, false
						switch a {
						case 0:
							nr = min(row+1, 4)
						case 1:
							nr = max(row-1, 0)
						case 2:
							if taxiMap[1+row][2*col+2] == ':' {
								nc = min(col+1, 4)
							}
						case 3:
							if taxiMap[1+row][2*col] == ':' {
								nc = max(col-1, 0)
							}
						case 4:
							if pass < 4 && taxiLocs[pass] == [2]int{row, col} {
								np = 4
							} else {
								reward = -10
							}
						case 5:
							li := taxiLocIndex(row, col)
							switch {
							case pass == 4 && taxiLocs[dest] == [2]int{row, col}:
								np, reward, done = dest, 20, true
							case pass == 4 && li >= 0:
								np = li
							default:
								reward = -10
							}
						}
						t.add(s, a, Outcome{Prob: 1, Next: TaxiEncode(nr, nc, np, dest), Reward: reward, Terminal: done})
					}
				}
			}
		}
	}
	return t
}

func init() {
	register(&registration{
		spec: Spec{
			ID: "FrozenLake-v1", Observation: Space{Kind: Discrete, N: 16}, Action: Space{Kind: Discrete, N: 4},
			MaxEpisodeSteps: 100, RewardThreshold: threshold(0.70),
			State: "1 value: the cell index row*ncol+col",
		},
		options: []string{"map", "slippery"},
		build:   newFrozenLake,
	})
	register(&registration{
		spec: Spec{
			ID: "FrozenLake8x8-v1", Observation: Space{Kind: Discrete, N: 64}, Action: Space{Kind: Discrete, N: 4},
			MaxEpisodeSteps: 200, RewardThreshold: threshold(0.85),
			State: "1 value: the cell index row*ncol+col",
		},
		options: []string{"map", "slippery"},
		build:   newFrozenLake,
	})
	register(&registration{
		spec: Spec{
			ID: "CliffWalking-v0", Observation: Space{Kind: Discrete, N: 48}, Action: Space{Kind: Discrete, N: 4},
			State: "1 value: the cell index row*12+col",
		},
		options: []string{"slippery"},
		build:   newCliffWalking,
	})
	alias("CliffWalking-v1", "CliffWalking-v0")
	register(&registration{
		spec: Spec{
			ID: "Taxi-v3", Observation: Space{Kind: Discrete, N: 500}, Action: Space{Kind: Discrete, N: 6},
			MaxEpisodeSteps: 200, RewardThreshold: threshold(8),
			State: "1 value: ((taxi_row*5+taxi_col)*5+passenger)*4+destination",
		},
		build: newTaxi,
	})
	alias("Taxi-v4", "Taxi-v3")
}
