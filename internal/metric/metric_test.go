package metric

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"testing"
)

// TestNamesAreDistinct reads metric.go itself: every constant is a
// snake_case name, no two value keys share a name (a record kind may share
// its name with a key: "episode"), and the plot request names only
// constants of the table.
func TestNamesAreDistinct(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "metric.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	keys, all := map[string]string{}, map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil || !snake.MatchString(v) {
					t.Errorf("%s = %q: want a snake_case name", name.Name, v)
				}
				all[v] = true
				if len(name.Name) > 4 && name.Name[:4] == "Kind" {
					continue
				}
				if other, dup := keys[v]; dup {
					t.Errorf("%s and %s are both %q", other, name.Name, v)
				}
				keys[v] = name.Name
			}
		}
	}
	if len(keys) < 20 {
		t.Fatalf("found %d keys in metric.go; the parse missed the table", len(keys))
	}
	for role, v := range Plot() {
		if !all[v] {
			t.Errorf("Plot()[%q] = %q is not a constant of the table", role, v)
		}
	}
}
