package run

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestLocationPath(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 22, 13, 45, 7, 0, time.UTC) }
	tests := []struct {
		loc  Location
		want string
	}{
		{Location{Name: "cartpole", Now: now}, filepath.Join("runs", "cartpole")},
		{Location{Root: "r", Name: "a", Now: now}, filepath.Join("r", "a")},
		{Location{Out: "/x/y", Name: "ignored", Now: now}, "/x/y"},
		{Location{Now: now}, filepath.Join("runs", "20261122-134507")},
	}
	for _, tt := range tests {
		if got := tt.loc.Path(); got != tt.want {
			t.Errorf("%+v.Path() = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

func TestCreateRefusesNonEmptyRun(t *testing.T) {
	root := t.TempDir()
	// An empty existing directory (made by hand for --out) is fine to use.
	os.Mkdir(filepath.Join(root, "a"), 0o755)
	d, err := Create(Location{Root: root, Name: "a"})
	if err != nil {
		t.Fatalf("empty dir refused: %v", err)
	}
	d.Close()
	os.WriteFile(d.Config(), []byte("env: x\n"), 0o644)
	// Stopped before its first checkpoint: nothing to resume, one way forward.
	_, err = Create(Location{Root: root, Name: "a"})
	var exists *ExistsError
	if !errors.As(err, &exists) || !contains(err.Error(), "rm -r "+d.Path) || contains(err.Error(), "--resume") {
		t.Fatalf("err = %v, want ExistsError saying how to start again", err)
	}
	os.WriteFile(d.Checkpoint(), nil, 0o644)
	_, err = Create(Location{Root: root, Name: "a"})
	if !errors.As(err, &exists) || !contains(err.Error(), "--resume") {
		t.Fatalf("err = %v, want ExistsError suggesting --resume", err)
	}
}

func TestCreateTimestampCollisionGetsSuffix(t *testing.T) {
	root := t.TempDir()
	now := func() time.Time { return time.Unix(0, 0) }
	a, err := Create(Location{Root: root, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(a.Config(), nil, 0o644)
	b, err := Create(Location{Root: root, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if b.Path != a.Path+"-2" {
		t.Fatalf("second run at %s, want %s-2", b.Path, a.Path)
	}
}

func TestCreateUnwritableNamesPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(file, "run")
	_, err := Create(Location{Out: out})
	if err == nil || !contains(err.Error(), out) {
		t.Fatalf("err = %v, want one naming %s", err, out)
	}
}

func TestOpenAndOpenForResume(t *testing.T) {
	root := t.TempDir()
	if _, err := Open(filepath.Join(root, "nope")); err == nil || !contains(err.Error(), "does not exist") {
		t.Fatalf("missing dir: err = %v", err)
	}
	d, _ := Create(Location{Root: root, Name: "a"})
	if _, err := Open(d.Path); err == nil || !contains(err.Error(), ConfigFile) {
		t.Fatalf("dir without config: err = %v", err)
	}
	os.WriteFile(d.Config(), []byte("a: 1\n"), 0o644)
	if _, err := Open(d.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenForResume(d.Path); err == nil || !contains(err.Error(), CheckpointFile) {
		t.Fatalf("resume without checkpoint: err = %v", err)
	}
	os.WriteFile(d.Checkpoint(), nil, 0o644)
	if _, err := OpenForResume(d.Path); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRefusesAPathAsName(t *testing.T) {
	_, err := Create(Location{Root: t.TempDir(), Name: "a/b"})
	if err == nil || !contains(err.Error(), "--out") {
		t.Fatalf("err = %v, want one pointing to --out", err)
	}
}
