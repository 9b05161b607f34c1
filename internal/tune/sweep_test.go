package tune

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in   string
		want []uint64
		err  string
	}{
		{in: "1-5", want: []uint64{1, 2, 3, 4, 5}},
		{in: "1,3,5", want: []uint64{1, 3, 5}},
		{in: "1-3, 7", want: []uint64{1, 2, 3, 7}},
		{in: "4", want: []uint64{4}},
		{in: "5-1", err: "not a range"},
		{in: "a", err: "not a seed"},
		{in: "1-3,2", err: "given twice"},
		{in: "0-100000", err: "too many"},
		{in: "", err: "not a seed"},
	}
	for _, tc := range tests {
		got, err := ParseSeeds(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestBootstrap(t *testing.T) {
	xs := []float64{10, 12, 9, 14, 11, 13, 8, 15}
	m, _ := meanStd(xs)
	lo, hi := Bootstrap(xs, 10000, 0.95, 1)
	if !(lo < m && m < hi) || lo < 8 || hi > 15 {
		t.Errorf("CI [%g, %g] of mean %g", lo, hi, m)
	}
	lo2, hi2 := Bootstrap(xs, 10000, 0.95, 1)
	if lo != lo2 || hi != hi2 {
		t.Errorf("the same seed gave another interval")
	}
	wideLo, wideHi := Bootstrap(xs, 10000, 0.99, 1)
	if wideLo > lo || wideHi < hi {
		t.Errorf("99%% CI [%g, %g] is inside the 95%% one [%g, %g]", wideLo, wideHi, lo, hi)
	}
	if lo, hi := Bootstrap([]float64{3, 3, 3}, 100, 0.95, 1); lo != 3 || hi != 3 {
		t.Errorf("constant data: CI [%g, %g], want [3, 3]", lo, hi)
	}
	if lo, _ := Bootstrap(nil, 100, 0.95, 1); !math.IsNaN(lo) {
		t.Errorf("no data: %g, want NaN", lo)
	}
}

func TestSweep(t *testing.T) {
	b, err := NewBase("", []Flag{{"env", "Fake-v0"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	threshold := 2.5
	cfg := SweepConfig{Exe: fakeExe(t), Dir: t.TempDir(), Base: b, Seeds: []uint64{1, 2, 3, 4}, Jobs: 2, Threshold: &threshold}
	res, err := Sweep(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The fake run's value is its seed.
	if res.N != 4 || res.Failed != 0 || res.Mean != 2.5 || res.Solved != 2 {
		t.Fatalf("result %+v: want 4 seeds, mean 2.5, 2 solved (3 and 4)", res)
	}
	for i, r := range res.Runs {
		if r.Seed != cfg.Seeds[i] || r.MeanReturn != float64(r.Seed) || !strings.HasSuffix(r.RunDir, "seed-"+string(rune('0'+r.Seed))) {
			t.Errorf("run %d: %+v", i, r)
		}
	}
	if wantStd := math.Sqrt(5.0 / 3); math.Abs(res.Std-wantStd) > 1e-12 {
		t.Errorf("std %g, want the sample std %g", res.Std, wantStd)
	}
	if !(res.CILow <= res.Mean && res.Mean <= res.CIHigh) {
		t.Errorf("CI [%g, %g] misses the mean", res.CILow, res.CIHigh)
	}
}

func TestSweepFailedSeed(t *testing.T) {
	b, _ := NewBase("", []Flag{{"env", "Fake-v0"}}, []string{"mode=die"})
	res, err := Sweep(context.Background(), SweepConfig{Exe: fakeExe(t), Dir: t.TempDir(), Base: b, Seeds: []uint64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 2 || res.N != 0 || res.Runs[0].Err != "xlrl: boom" {
		t.Errorf("result %+v, want both failed with the run's error", res)
	}
}
