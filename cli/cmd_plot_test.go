package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotGroupByNeedsAConfigKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(`{"kind":"episode","step":1,"return":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, "plot", dir, "--group-by", "lr,lrr", "-o", filepath.Join(dir, "x.png"))
	if err == nil || !strings.Contains(err.Error(), `--group-by "lrr": not a key of config.yaml`) {
		t.Fatalf("err = %v", err)
	}
}
