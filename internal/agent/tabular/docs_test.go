package tabular

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// markdownTable renders the tuned defaults as docs/tabular.md shows them.
func markdownTable() string {
	var b strings.Builder
	b.WriteString("| environment | algorithm | episodes | learning rate | gamma | exploration (per episode) | eval episodes |\n")
	b.WriteString("| --- | --- | ---: | --- | ---: | --- | ---: |\n")
	keys := make([]string, 0, len(tuned))
	for k := range tuned {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h := tuned[k]
		id, algo, ok := strings.Cut(k, "/")
		if !ok {
			algo = "any"
		}
		lr := fmt.Sprintf("%g", h.LR)
		if h.LREnd > 0 {
			lr = fmt.Sprintf("%g to %g over %d episodes", h.LR, h.LREnd, h.LRDecayEpisodes)
		}
		ex, err := New(Config{Algorithm: QLearning, LR: 0.1, Gamma: 1, Explore: h.Explore}, discrete(1), discrete(1))
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %g | %s | %d |\n", id, algo, h.Episodes, lr, h.Gamma, ex.Explorer(), h.EvalEpisodes)
	}
	return b.String()
}

const docsPath = "../../../docs/tabular.md"

// TestDocsTableMatchesCode keeps docs/tabular.md's table of defaults equal to
// the tuned map. After changing the map: go test ./internal/agent/tabular -run DocsTable -update-docs
func TestDocsTableMatchesCode(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- tuned-defaults:begin -->\n", "<!-- tuned-defaults:end -->"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", docsPath, begin, end)
	}
	want := markdownTable()
	if got := text[i+len(begin) : j]; got != want {
		if *updateDocs {
			if err := os.WriteFile(docsPath, []byte(text[:i+len(begin)]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/tabular.md's table differs from the tuned map; run with -update-docs. Want:\n%s", want)
	}
}

var updateDocs = flag.Bool("update-docs", false, "rewrite the table of tuned defaults in docs/tabular.md")
