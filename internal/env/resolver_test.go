package env

import (
	"errors"
	"strings"
	"testing"
)

// fakeResolver serves "fake:" ids with CartPole under another name.
type fakeResolver struct{ got ResolverOptions }

func (f *fakeResolver) Lookup(id string, o ResolverOptions) (*Spec, error) {
	f.got = o
	s, err := Lookup("CartPole-v1")
	if err != nil {
		return nil, err
	}
	s.ID = id
	return s, nil
}

func (f *fakeResolver) Make(id string, o ResolverOptions) (Env, error) {
	f.got = o
	if id == "fake:broken" {
		return nil, errors.New("broken on purpose")
	}
	return Make("CartPole-v1")
}

func (f *fakeResolver) MakeVector(id string, n int, seed uint64, o ResolverOptions) (VectorEnv, error) {
	f.got = o
	return NewVector("CartPole-v1", n, 1, seed)
}

func TestResolverRoutesPrefixedIDs(t *testing.T) {
	f := &fakeResolver{}
	RegisterResolver("fake:", f)
	defer func() {
		resolversMu.Lock()
		delete(resolvers, "fake:")
		resolversMu.Unlock()
	}()

	spec, err := LookupWith("fake:pole", WithKwarg("k", "v"), WithMaxEpisodeSteps(7))
	if err != nil {
		t.Fatal(err)
	}
	if spec.ID != "fake:pole" || f.got.Kwargs["k"] != "v" || f.got.MaxEpisodeSteps == nil || *f.got.MaxEpisodeSteps != 7 {
		t.Fatalf("spec %q, options %+v", spec.ID, f.got)
	}
	if _, err := Lookup("fake:pole"); err != nil {
		t.Fatal(err)
	}
	if _, err := Make("fake:pole"); err != nil {
		t.Fatal(err)
	}
	if _, err := Make("fake:broken"); err == nil || !strings.Contains(err.Error(), "broken on purpose") {
		t.Fatalf("error %v", err)
	}
	v, err := MakeVector("fake:pole", 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Len() != 3 {
		t.Fatalf("len %d", v.Len())
	}

	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"go option on a prefixed id", func() error { _, err := Make("fake:pole", WithMap("4x4")); return err }, `option "map" applies to xlrl's Go environments only`},
		{"kwargs on a Go id", func() error { _, err := Make("CartPole-v1", WithKwarg("a", "1")); return err }, "apply to worker-hosted environments only"},
		{"unknown prefix", func() error { _, err := Lookup("nope:x"); return err }, "or an id with a prefix: fake:"},
		{"empty vector", func() error { _, err := MakeVector("fake:pole", 0, 0); return err }, "want at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseKwargs(t *testing.T) {
	opts, err := ParseKwargs([]string{"a=1", "b=x=y"})
	if err != nil {
		t.Fatal(err)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.kwargs["a"] != "1" || c.kwargs["b"] != "x=y" {
		t.Fatalf("kwargs %v", c.kwargs)
	}
	for _, bad := range []string{"novalue", "=1"} {
		if _, err := ParseKwargs([]string{bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRecover(t *testing.T) {
	cause := errors.New("env exploded")
	run := func(v any) (err error) {
		defer Recover(&err)
		panic(v)
	}
	if err := run(&Failure{Err: cause}); !errors.Is(err, cause) {
		t.Fatalf("got %v", err)
	}
	if err := run(&ActionError{ID: "x", Space: Space{Kind: Discrete, N: 2}}); err == nil {
		t.Fatal("ActionError not recovered")
	}
	defer func() {
		if r := recover(); r != "other" {
			t.Fatalf("other panics must go on, got %v", r)
		}
	}()
	_ = run("other")
}

func TestBoxShapeString(t *testing.T) {
	s := Space{Kind: Box, Low: make([]float64, 6), High: make([]float64, 6), Shape: []int{2, 3}}
	if s.String() != "Box[2 3]" || s.Dim() != 6 {
		t.Fatalf("%s dim %d", s, s.Dim())
	}
}
