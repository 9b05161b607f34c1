package xlrl

import (
	"github.com/xlrl/xlrl/internal/env"
)

// Env is one environment instance, in Gymnasium's shape: Seed then Reset
// starts an episode, Step returns the observation, the reward and whether
// the episode terminated (a terminal state: do not bootstrap) or was
// truncated (a time limit: bootstrap through it). Discrete observations are
// one number, the index. The slice Reset and Step return is the
// environment's and may be overwritten by the next call.
type Env = env.Env

// Spec is what an environment id promises: its spaces, its time limit
// (MaxEpisodeSteps, 0: none) and the return at which it counts as solved
// (RewardThreshold, nil: none).
type Spec = env.Spec

// Space describes observations or actions: Discrete (N elements) or Box
// (vectors bounded by Low and High).
type Space = env.Space

// SpaceKind is Discrete or Box.
type SpaceKind = env.SpaceKind

// The kinds of space.
const (
	Discrete = env.Discrete
	Box      = env.Box
)

// Action is one action: Discrete for Discrete action spaces, Continuous
// for Box ones.
type Action = env.Action

// DiscreteAction is the Action for index a of a Discrete action space.
func DiscreteAction(a int) Action { return env.DiscreteAction(a) }

// Model is the optional transition model of a tabular environment. An Env
// that implements it can be solved exactly (Solve, `xlrl solve`), and
// trained agents are compared with the optimum.
type Model = env.Model

// Outcome is one possible result of an action in a Model.
type Outcome = env.Outcome

// EnvOption changes how MakeEnv builds an environment.
type EnvOption = env.Option

// WithMap sets FrozenLake's map: "4x4", "8x8" or rows such as "SFFF,FHFH,FFFH,HFFG".
func WithMap(m string) EnvOption { return env.WithMap(m) }

// WithSlippery sets whether FrozenLake's ice or CliffWalking's cliff is slippery.
func WithSlippery(b bool) EnvOption { return env.WithSlippery(b) }

// WithMaxEpisodeSteps replaces the registered time limit; 0 removes it.
func WithMaxEpisodeSteps(n int) EnvOption { return env.WithMaxEpisodeSteps(n) }

// RegisterEnv adds an environment under spec.ID: MakeEnv, Train, NewAgent
// and every command of package cli then know it. make builds a fresh
// instance; MakeEnv wraps it in spec's time limit. An empty or taken id, an
// invalid space (Discrete with N < 1, Box without bounds or with Low >
// High) or a negative time limit is an error. Call it from init or at the
// start of main, not concurrently with MakeEnv.
func RegisterEnv(spec Spec, make func() (Env, error)) error { return env.Register(spec, make) }

// MakeEnv builds the environment registered under id, wrapped in its time
// limit (which truncates, never terminates).
func MakeEnv(id string, opts ...EnvOption) (Env, error) { return env.Make(id, opts...) }

// Envs lists the registered environments' specs (copies), sorted by id.
func Envs() []*Spec { return env.Specs() }

// LookupEnv returns a copy of the spec registered under id.
func LookupEnv(id string) (*Spec, error) { return env.Lookup(id) }

// ModelOf returns e's transition model (through its wrappers) when it has one.
func ModelOf(e Env) (Model, bool) { return env.ModelOf(e) }

// SetState sets e's state (through its wrappers) for environments that
// can start from a chosen state; each documents its vector in Spec.State.
func SetState(e Env, state []float64) error { return env.SetState(e, state) }

// ValidateAction checks a against the spec's action space (Step panics on
// an invalid action; check user input first).
func ValidateAction(spec *Spec, a Action) error { return env.ValidateAction(spec, a) }

// ActionError reports an action outside the action space.
type ActionError = env.ActionError

// Vector steps n copies of one environment on several goroutines, with the
// observations of all copies in one contiguous buffer; an episode that ends
// is reset in the same step (FinalObs holds its last observation).
type Vector = env.Vector

// NewVector makes n copies of id stepped by workers goroutines (0: one per
// CPU); copy i is seeded seed+i.
func NewVector(id string, n, workers int, seed uint64, opts ...EnvOption) (*Vector, error) {
	return env.NewVector(id, n, workers, seed, opts...)
}
