package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchNNJSON(t *testing.T) {
	out, err := runCLI(t, "bench", "nn", "--no-tf", "--rounds", "1", "--round-seconds", "0.001", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res struct {
		Kernel  string `json:"kernel"`
		Results []struct {
			Name string  `json:"name"`
			GoUS float64 `json:"go_us"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Kernel == "" || len(res.Results) != 3 {
		t.Fatalf("kernel %q, %d results:\n%s", res.Kernel, len(res.Results), out)
	}
	for _, r := range res.Results {
		if r.GoUS <= 0 || !strings.Contains(out, r.Name) {
			t.Errorf("%s: go %v us (printed: %v)", r.Name, r.GoUS, strings.Contains(out, r.Name))
		}
	}
	if _, err := runCLI(t, "bench", "nn", "--no-tf", "--rounds", "0"); err == nil || !strings.Contains(err.Error(), "--rounds") {
		t.Errorf("--rounds 0: %v", err)
	}
}
