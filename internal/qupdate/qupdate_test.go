package qupdate

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt from the current Update")

func TestUpdate(t *testing.T) {
	tests := []struct {
		name                     string
		q, r, maxNext, lr, gamma float64
		terminal                 bool
		want                     float64
	}{
		{"bootstrap positive", 0.5, 1, 2, 0.1, 0.9, false, 0.5 + 0.1*(1+0.9*2-0.5)},
		// The seed dropped this bootstrap because maxNextQ <= 0.
		{"bootstrap negative next value", -3, -1, -10, 0.5, 0.9, false, -3 + 0.5*(-1+0.9*-10+3)},
		{"bootstrap zero next value", 1, -1, 0, 0.5, 1, false, 0},
		{"terminal ignores next value", 0, 20, 1e6, 1, 0.99, true, 20},
		{"lr 1 copies the target", 7, -1, -12, 1, 1, false, -13},
		{"fixed point", -13, -1, -12, 0.3, 1, false, -13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Update(tt.q, tt.r, tt.maxNext, tt.lr, tt.gamma, tt.terminal)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Update(%v, %v, %v, %v, %v, %v) = %v, want %v",
					tt.q, tt.r, tt.maxNext, tt.lr, tt.gamma, tt.terminal, got, tt.want)
			}
		})
	}
}

func TestUpdateBatchMatchesUpdate(t *testing.T) {
	cases := goldenInputs()
	n := len(cases)
	q, r, m, out := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	term := make([]bool, n)
	for i, c := range cases {
		q[i], r[i], m[i], term[i] = c.q, c.r, c.maxNext, c.terminal
	}
	if err := UpdateBatch(out, q, r, m, term, 0.25, 0.97); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		want := Update(c.q, c.r, c.maxNext, 0.25, 0.97, c.terminal)
		if math.Float64bits(out[i]) != math.Float64bits(want) {
			t.Fatalf("case %d: batch %v, single %v", i, out[i], want)
		}
	}
	// In place.
	if err := UpdateBatch(q, q, r, m, term, 0.25, 0.97); err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if q[i] != out[i] {
			t.Fatalf("in-place case %d: %v, want %v", i, q[i], out[i])
		}
	}
	if err := UpdateBatch(out[:1], q, r, m, term, 0.25, 0.97); err == nil {
		t.Error("UpdateBatch accepted slices of different lengths")
	}
}

type goldenCase struct {
	q, r, maxNext, lr, gamma float64
	terminal                 bool
}

// goldenInputs mixes hand-picked edge cases with pseudo-random values over
// several magnitudes; the generator is seeded, so the list never changes.
func goldenInputs() []goldenCase {
	cs := []goldenCase{
		{0, 0, 0, 0.1, 0.99, false},
		{0, 1, 0, 0.1, 0.99, true},
		{-5, -1, -4, 0.5, 1, false},
		{-5, -1, -4, 0.5, 1, true},
		{0.1, 0.2, 0.3, 1, 1, false},
		{1e300, -1e300, 1e300, 0.5, 0.5, false},
		{5e-324, 0, 5e-324, 1e-3, 0.999, false},
		{math.MaxFloat64 / 4, 0, 0, 1, 1, false},
	}
	rng := rand.New(rand.NewPCG(4, 2026))
	scales := []float64{1e-6, 1e-2, 1, 100, 1e8}
	for range 500 {
		s := scales[rng.IntN(len(scales))]
		cs = append(cs, goldenCase{
			q:        (rng.Float64()*2 - 1) * s,
			r:        (rng.Float64()*2 - 1) * s,
			maxNext:  (rng.Float64()*2 - 1) * s,
			lr:       1 - rng.Float64(), // (0, 1]
			gamma:    1 - rng.Float64(),
			terminal: rng.IntN(4) == 0,
		})
	}
	return cs
}

const goldenPath = "testdata/golden.txt"

// TestGolden pins Update's exact bits in testdata/golden.txt, which
// tests/test_native.py reads to check the C library and numpy against Go.
// Regenerate with: go test ./internal/qupdate -run Golden -update
func TestGolden(t *testing.T) {
	cases := goldenInputs()
	var b strings.Builder
	b.WriteString("# q reward maxNextQ lr discount terminal -> updated, float64 bit patterns in hex; written by internal/qupdate TestGolden\n")
	hex := func(v float64) string { return fmt.Sprintf("%016x", math.Float64bits(v)) }
	for _, c := range cases {
		term := 0
		if c.terminal {
			term = 1
		}
		out := Update(c.q, c.r, c.maxNext, c.lr, c.gamma, c.terminal)
		fmt.Fprintf(&b, "%s %s %s %s %s %d %s\n", hex(c.q), hex(c.r), hex(c.maxNext), hex(c.lr), hex(c.gamma), term, hex(out))
	}
	if *update {
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/qupdate -run Golden -update)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, checked := 0, 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 7 {
			t.Fatalf("%s:%d: %d fields, want 7", goldenPath, line, len(fields))
		}
		var v [7]float64
		for i, s := range fields {
			if i == 5 {
				v[i], _ = strconv.ParseFloat(s, 64)
				continue
			}
			u, err := strconv.ParseUint(s, 16, 64)
			if err != nil {
				t.Fatalf("%s:%d: %v", goldenPath, line, err)
			}
			v[i] = math.Float64frombits(u)
		}
		got := Update(v[0], v[1], v[2], v[3], v[4], v[5] == 1)
		if math.Float64bits(got) != math.Float64bits(v[6]) {
			t.Errorf("%s:%d: Update = %x, golden %x", goldenPath, line, math.Float64bits(got), math.Float64bits(v[6]))
		}
		checked++
	}
	if checked != len(cases) {
		t.Errorf("golden file has %d cases, want %d", checked, len(cases))
	}
}

func BenchmarkUpdate(b *testing.B) {
	q := 0.0
	for i := 0; b.Loop(); i++ {
		q = Update(q, -1, q, 0.1, 0.99, i%100 == 0)
	}
	_ = q
}
