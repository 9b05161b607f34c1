package xlrl_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fromGoHeading is a level-2 heading of a section that shows Go code for
// users ("From Go", "Calling it from Go", "Using the packages from Go").
var fromGoHeading = regexp.MustCompile(`(?i)^## .*from go\b`)

// goBlocks returns the ```go blocks of the "From Go" sections of a
// Markdown file, each with the line it starts on.
func goBlocks(t *testing.T, path string) map[int]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blocks := map[int]string{}
	inSection, inBlock, start := false, false, 0
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case inBlock && line == "```":
			blocks[start] = b.String()
			inBlock = false
		case inBlock:
			b.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			inSection = fromGoHeading.MatchString(line)
		case inSection && line == "```go":
			inBlock, start = true, n
			b.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestDocsGoBlocksCompile builds every Go block of the docs' "From Go"
// sections as a program of an outside module that requires xlrl (replace
// => this tree): each must be a whole program that compiles without the
// internal packages.
func TestDocsGoBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs (seconds); runs without -short")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append(docs, filepath.Join(root, "README.md"))
	mod := t.TempDir()
	gomod := fmt.Sprintf("module example.com/docs\n\ngo 1.26.0\n\nrequire github.com/xlrl/xlrl v0.0.0\n\nreplace github.com/xlrl/xlrl => %s\n", root)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	where := map[string]string{}
	for _, doc := range docs {
		for line, code := range goBlocks(t, doc) {
			name := fmt.Sprintf("%s:%d", filepath.Base(doc), line)
			if !strings.HasPrefix(code, "package main\n") {
				t.Errorf("%s: a Go block of a From Go section must be a whole program (package main ...)", name)
				continue
			}
			dir := fmt.Sprintf("p%d", len(where))
			where[dir] = name
			if err := os.MkdirAll(filepath.Join(mod, dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mod, dir, "main.go"), []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(where) < 4 {
		t.Fatalf("found %d Go blocks in From Go sections, want at least 4 (envs.md, tabular.md, worker.md)", len(where))
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := string(out)
		for dir, name := range where {
			msg = strings.ReplaceAll(msg, "./"+dir+"/main.go", name+" (block)")
			msg = strings.ReplaceAll(msg, dir+"/main.go", name+" (block)")
		}
		t.Fatalf("the docs' Go blocks do not build from an outside module:\n%s", msg)
	}
}
