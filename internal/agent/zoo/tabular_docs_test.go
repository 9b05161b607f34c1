package zoo

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/env"
)

// tabularMarkdown renders the tuned tabular rows as docs/tabular.md shows them.
func tabularMarkdown() string {
	var b strings.Builder
	b.WriteString("| environment | algorithm | episodes | learning rate | gamma | exploration (per episode) | eval episodes |\n")
	b.WriteString("| --- | --- | ---: | --- | ---: | --- | ---: |\n")
	rows := map[string]entry{}
	for _, e := range table {
		if e.env == "*" || (e.algo != Tabular && !tabular.IsAlgorithm(e.algo)) {
			continue
		}
		key := e.env
		if e.algo != Tabular {
			key += "/" + e.algo
		}
		rows[key] = e
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	one := env.Space{Kind: env.Discrete, N: 1}
	for _, k := range keys {
		e := rows[k]
		h := e.hyper().Tabular
		algo := e.algo
		if algo == Tabular {
			algo = "any"
		}
		lr := fmt.Sprintf("%g", h.LR)
		if h.LREnd > 0 {
			lr = fmt.Sprintf("%g to %g over %d episodes", h.LR, h.LREnd, h.LRDecayEpisodes)
		}
		ex, err := tabular.New(tabular.Config{Algorithm: tabular.QLearning, LR: 0.1, Gamma: 1, Explore: h.Explore}, one, one)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %g | %s | %d |\n", e.env, algo, h.Episodes, lr, h.Gamma, ex.Explorer(), h.EvalEpisodes)
	}
	return b.String()
}

const tabularDocs = "../../../docs/tabular.md"

// TestTabularDocsTableMatchesCode keeps docs/tabular.md's table of defaults
// equal to the tabular rows of the table. After changing them: go test
// ./internal/agent/zoo -run TabularDocs -update-docs
func TestTabularDocsTableMatchesCode(t *testing.T) {
	doc, err := os.ReadFile(tabularDocs)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- tuned-defaults:begin -->\n", "<!-- tuned-defaults:end -->"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", tabularDocs, begin, end)
	}
	want := tabularMarkdown()
	if got := text[i+len(begin) : j]; got != want {
		if *updateDocs {
			if err := os.WriteFile(tabularDocs, []byte(text[:i+len(begin)]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/tabular.md's table differs from the tuned rows; run with -update-docs. Want:\n%s", want)
	}
}

var updateDocs = flag.Bool("update-docs", false, "rewrite the table of tuned defaults in docs/tabular.md")
