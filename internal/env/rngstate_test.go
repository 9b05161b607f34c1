package env

import "testing"

func TestRNGStateRestoresEpisodes(t *testing.T) {
	for _, id := range IDs() {
		e, err := Make(id)
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(42)
		e.Reset()
		state, ok := RNGStateOf(e)
		if !ok {
			t.Fatalf("%s does not expose its random state", id)
		}
		want := e.Reset()
		want = append([]float64(nil), want...)
		e.Seed(12345) // disturb, then restore
		e.Reset()
		e.Seed(state)
		got := e.Reset()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: reset after restoring the state = %v, want %v", id, got, want)
			}
		}
	}
}
