package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/train"
)

// docCommand is one xlrl command line found in a code block of the docs.
type docCommand struct {
	file string
	line int
	args []string // after "xlrl"
	text string
}

var (
	fenceRE  = regexp.MustCompile("^\\s*```")
	xlrlLine = regexp.MustCompile(`^(bin/)?xlrl(\s|$)`)
)

// extractCommands finds the xlrl command lines of a Markdown text: in fenced
// blocks and in indented (4-space) code blocks, joined over trailing
// backslashes, comments dropped. In a block where some lines have a "$ "
// prompt, only those are commands (the others are their output).
func extractCommands(file, text string) ([]docCommand, error) {
	type codeLine struct {
		n    int // 1-based line number
		text string
	}
	var blocks [][]codeLine
	var cur []codeLine
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, cur)
		}
		cur = nil
	}
	lines := strings.Split(text, "\n")
	inFence, inIndent, prevBlank := false, false, true
	for i, l := range lines {
		blank := strings.TrimSpace(l) == ""
		switch {
		case fenceRE.MatchString(l):
			flush()
			inFence, inIndent = !inFence, false
		case inFence:
			cur = append(cur, codeLine{i + 1, strings.TrimSpace(l)})
		case strings.HasPrefix(l, "    ") && (prevBlank || inIndent):
			inIndent = true
			cur = append(cur, codeLine{i + 1, strings.TrimSpace(l)})
		case blank:
		default:
			inIndent = false
			flush()
		}
		prevBlank = blank
	}
	flush()
	var out []docCommand
	for _, b := range blocks {
		prompt := false
		for _, l := range b {
			prompt = prompt || strings.HasPrefix(l.text, "$ ")
		}
		for i := 0; i < len(b); i++ {
			code := b[i].text
			if prompt {
				if !strings.HasPrefix(code, "$ ") {
					continue
				}
				code = strings.TrimPrefix(code, "$ ")
			}
			if !xlrlLine.MatchString(code) {
				continue
			}
			start := b[i].n
			for strings.HasSuffix(code, "\\") && i+1 < len(b) {
				i++
				code = strings.TrimSuffix(code, "\\") + " " + b[i].text
			}
			words, err := shellWords(code)
			if err != nil {
				return nil, err
			}
			out = append(out, docCommand{file: file, line: start, args: words[1:], text: code})
		}
	}
	return out, nil
}

// shellWords splits a command line as a POSIX shell would (quotes and
// backslashes), dropping a trailing # comment.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnterminated(s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, errUnterminated(s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			i = len(s)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

type unterminatedError string

func (e unterminatedError) Error() string { return "unterminated quote in " + string(e) }

func errUnterminated(s string) error { return unterminatedError(s) }

func TestShellWords(t *testing.T) {
	for in, want := range map[string]string{
		`xlrl a --b 'c d' "e f" g\ h # comment`:                 "xlrl|a|--b|c d|e f|g h",
		`xlrl worker call echo --params '{"value": [1, 2, 3]}'`: `xlrl|worker|call|echo|--params|{"value": [1, 2, 3]}`,
		`xlrl plot runs/a#b`:                                    "xlrl|plot|runs/a#b",
	} {
		got, err := shellWords(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("shellWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := shellWords(`xlrl 'a`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestExtractCommands(t *testing.T) {
	md := "text `xlrl inline` is not a block\n\n    make build\n    bin/xlrl train --env X \\\n        --seed 2   # why\n    output line\n\n" +
		"```sh\n$ xlrl solve --env FrozenLake-v1\nxlrl  output that looks like a command\n```\n\n    continue with: xlrl train --resume runs/first\n"
	cmds, err := extractCommands("x.md", md)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cmds {
		got = append(got, strings.Join(c.args, " "))
	}
	if strings.Join(got, "; ") != "train --env X --seed 2; solve --env FrozenLake-v1" {
		t.Fatalf("extracted %q", got)
	}
	if cmds[0].line != 4 || cmds[1].line != 9 {
		t.Fatalf("lines %d, %d; want 4, 9", cmds[0].line, cmds[1].line)
	}
}

// docFiles are the Markdown files whose commands are checked.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs found: %v", err)
	}
	return append(files, "../README.md")
}

// checkParses resolves the command and parses its flags and arguments
// without running it: every flag exists and takes the value given, the
// argument count fits the command.
func checkParses(c docCommand) error {
	root := newRootCmd()
	cmd, rest, err := root.Find(c.args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	if cmd.Runnable() {
		return cmd.ValidateArgs(cmd.Flags().Args())
	}
	return nil
}

// TestDocCommandsParse: every xlrl command in the docs names a command that
// exists, with flags it has and arguments it takes.
func TestDocCommandsParse(t *testing.T) {
	n := 0
	for _, f := range docFiles(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmds, err := extractCommands(f, string(text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cmds {
			n++
			if err := checkParses(c); err != nil {
				t.Errorf("%s:%d: %s: %v", filepath.Base(c.file), c.line, c.text, err)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d commands found in the docs: is the extraction broken?", n)
	}
}

// TestHelpExamplesParse: the Example lines of every command's help parse too.
func TestHelpExamplesParse(t *testing.T) {
	var walk func(*cobra.Command)
	n := 0
	walk = func(cmd *cobra.Command) {
		for _, l := range strings.Split(cmd.Example, "\n") {
			l = strings.TrimSpace(l)
			if !xlrlLine.MatchString(l) {
				continue
			}
			words, err := shellWords(l)
			if err != nil {
				t.Errorf("%s: %v", cmd.CommandPath(), err)
				continue
			}
			n++
			if err := checkParses(docCommand{args: words[1:]}); err != nil {
				t.Errorf("example of %s: %s: %v", cmd.CommandPath(), l, err)
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	if n < 10 {
		t.Fatalf("only %d examples found", n)
	}
}

// cheap says whether a doc command runs in a moment without the Python
// worker: listing and solving, rollouts, tabular training and evaluation.
func cheap(c docCommand) bool {
	if len(c.args) == 0 {
		return false
	}
	for _, a := range c.args {
		if strings.HasPrefix(a, "gym:") { // worker-hosted environments need the worker
			return false
		}
	}
	switch c.args[0] {
	case "envs", "solve", "rollout", "version":
		return true
	case "train", "eval":
		algo := "q-learning"
		for i, a := range c.args {
			if a == "--algo" && i+1 < len(c.args) {
				algo = c.args[i+1]
			}
			if strings.HasPrefix(a, "--algo=") {
				algo = strings.TrimPrefix(a, "--algo=")
			}
			if a == "--resume" || a == "--config" { // need a run made by hand first
				return false
			}
			if a == "--gif" || a == "--video" { // need the worker
				return false
			}
		}
		return c.args[0] == "eval" || slices.Contains(tabular.Algorithms, algo)
	}
	return false
}

// TestDocCommandsRun runs the cheap commands of each page in order, in a
// directory of its own (so that runs/first of one page is that page's), each
// within a short budget.
func TestDocCommandsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs doc commands; -short skips them")
	}
	ran := 0
	for _, f := range docFiles(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmds, _ := extractCommands(f, string(text))
		abs, _ := filepath.Abs(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Chdir(t.TempDir())
			for _, c := range cmds {
				if !cheap(c) {
					continue
				}
				if c.args[0] == "eval" {
					if _, err := os.Stat(c.args[1]); err != nil {
						continue // a run the page made with a command not run here
					}
				}
				ran++
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				root := newRoot(settings{train: train.Defaults{Root: "runs", Plot: false}})
				var out, errOut bytes.Buffer
				root.SetOut(&out)
				root.SetErr(&errOut)
				root.SetArgs(c.args)
				err := root.ExecuteContext(ctx)
				cancel()
				if err != nil {
					t.Errorf("%s:%d: %s: %v\n%s", abs, c.line, c.text, err, errOut.String())
				}
			}
		})
	}
	if ran < 8 {
		t.Fatalf("only %d doc commands ran", ran)
	}
}
