// Package envcheck checks that an environment keeps the contract the
// agents rely on, as Stable-Baselines3's check_env does for Gymnasium
// environments: its spaces, observations inside their bounds, the
// reset/step contract and time limit, and that one seed gives one
// trajectory. `xlrl check-env ID` prints its report.
package envcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/env"
)

// Check is one verdict of the report.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Warning marks a finding that is unusual but not a broken contract.
	Warning bool `json:"warning,omitempty"`
}

// Report is the outcome of Run.
type Report struct {
	ID          string  `json:"id"`
	Observation string  `json:"observation"`
	Action      string  `json:"action"`
	ObsDType    string  `json:"obs_dtype"`
	MaxSteps    int     `json:"max_episode_steps"`
	Steps       int     `json:"steps"`
	Episodes    int     `json:"episodes"`
	Checks      []Check `json:"checks"`
	OK          bool    `json:"ok"`
	Problems    int     `json:"problems"`
	Warnings    int     `json:"warnings"`
}

// Options bound the check.
type Options struct {
	Seed  uint64
	Steps int // random-action steps per trajectory (default 2000)
}

// Make builds the environment under test; Run calls it twice (the second
// copy replays the first's trajectory).
type Make func() (env.Env, error)

// dtyper is implemented by environments whose observations have a dtype of
// their own (worker-hosted ones).
type dtyper interface{ ObsDType() string }

type step struct {
	obs        []float64
	reward     float64
	term, trun bool
}

// Run checks the environment mk builds.
func Run(mk Make, o Options) (rep *Report, err error) {
	if o.Steps <= 0 {
		o.Steps = 2000
	}
	e, err := mk()
	if err != nil {
		return nil, err
	}
	spec := e.Spec()
	rep = &Report{ID: spec.ID, Observation: spec.Observation.String(), Action: spec.Action.String(),
		ObsDType: "float64", MaxSteps: spec.MaxEpisodeSteps}
	if d, ok := e.(dtyper); ok {
		rep.ObsDType = d.ObsDType()
	}
	rec := &recorder{rep}
	add, warn := rec.add, rec.warn
	defer func() {
		for _, c := range rep.Checks {
			if !c.OK {
				rep.Problems++
			}
			if c.Warning {
				rep.Warnings++
			}
		}
		rep.OK = rep.Problems == 0
	}()

	spaceErr := func(role string, s env.Space) string {
		switch s.Kind {
		case env.Discrete:
			if s.N <= 0 {
				return fmt.Sprintf("Discrete(%d) has no elements", s.N)
			}
		case env.Box:
			if len(s.Low) == 0 || len(s.Low) != len(s.High) {
				return fmt.Sprintf("%d low and %d high bounds", len(s.Low), len(s.High))
			}
			for i := range s.Low {
				if math.IsNaN(s.Low[i]) || math.IsNaN(s.High[i]) || s.Low[i] > s.High[i] {
					return fmt.Sprintf("bound %d: low %v, high %v", i, s.Low[i], s.High[i])
				}
			}
			n := 1
			for _, d := range s.Shape {
				n *= d
			}
			if s.Shape != nil && n != len(s.Low) {
				return fmt.Sprintf("shape %v does not hold %d bounds", s.Shape, len(s.Low))
			}
		default:
			return fmt.Sprintf("unknown kind %d", s.Kind)
		}
		return ""
	}
	for _, r := range []struct {
		role string
		s    env.Space
	}{{"observation", spec.Observation}, {"action", spec.Action}} {
		msg := spaceErr(r.role, r.s)
		add(r.role+" space", msg == "", "%s%s", r.s, map[bool]string{true: "", false: ": " + msg}[msg == ""])
	}
	if !rep.Checks[0].OK || !rep.Checks[1].OK {
		return rep, nil // nothing else can be checked against broken spaces
	}
	if spec.Observation.Kind == env.Box {
		unbounded := 0
		for i := range spec.Observation.Low {
			if math.IsInf(spec.Observation.Low[i], 0) || math.IsInf(spec.Observation.High[i], 0) {
				unbounded++
			}
		}
		if unbounded > 0 {
			warn("observation bounds", "%d of %d observation bounds are infinite (normalising observations needs running statistics then)", unbounded, len(spec.Observation.Low))
		}
	}
	if spec.MaxEpisodeSteps == 0 {
		warn("time limit", "no time limit: a policy that never ends an episode runs forever (wrap it in a time limit, or pass --max-episode-steps)")
	}

	// The trajectory: random actions from a seeded source, reset after each end.
	first, perr := trajectory(e, o, rec)
	if perr != nil {
		add("reset/step", false, "%v", perr)
		return rep, nil
	}
	e2, err := mk()
	if err != nil {
		return nil, err
	}
	second, perr := trajectory(e2, o, nil)
	if perr != nil {
		add("same seed, same trajectory", false, "the second run failed: %v", perr)
		return rep, nil
	}
	if at, what := diff(first, second); at >= 0 {
		add("same seed, same trajectory", false, "step %d differs in its %s: the environment draws randomness that Seed does not set", at, what)
	} else {
		add("same seed, same trajectory", true, "%d steps replayed exactly", len(first))
	}
	// Another seed: usually another start (a warning only: some tasks start in one state).
	e3, err := mk()
	if err != nil {
		return nil, err
	}
	e3.Seed(o.Seed + 1)
	e.Seed(o.Seed)
	a, b := append([]float64(nil), e.Reset()...), e3.Reset()
	if equal(a, b) {
		warn("seeds matter", "seeds %d and %d start at the same observation (fine for tasks with one start state)", o.Seed, o.Seed+1)
	} else {
		add("seeds matter", true, "seeds %d and %d start apart", o.Seed, o.Seed+1)
	}
	// An action outside the space is refused.
	bad := env.Action{Discrete: -1}
	if spec.Action.Kind == env.Box {
		bad = env.Action{Continuous: make([]float64, spec.Action.Dim()+1)}
	}
	refused := func() (err error) {
		defer env.Recover(&err)
		e.Step(bad)
		return nil
	}()
	add("invalid action refused", refused != nil, "%s", map[bool]string{true: fmt.Sprint(refused), false: "an action outside the space was accepted"}[refused != nil])
	return rep, nil
}

// recorder appends checks to a report.
type recorder struct{ rep *Report }

func (r *recorder) add(name string, ok bool, format string, args ...any) {
	c := Check{Name: name, OK: ok}
	if format != "" {
		c.Detail = fmt.Sprintf(format, args...)
	}
	r.rep.Checks = append(r.rep.Checks, c)
}

func (r *recorder) warn(name, format string, args ...any) {
	r.rep.Checks = append(r.rep.Checks, Check{Name: name, OK: true, Warning: true, Detail: fmt.Sprintf(format, args...)})
}

// trajectory steps e with seeded random actions; rec (nil: a replay)
// records what it finds.
func trajectory(e env.Env, o Options, rec *recorder) (traj []step, err error) {
	defer env.Recover(&err)
	spec := e.Spec()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	act := func() env.Action {
		if spec.Action.Kind == env.Discrete {
			return env.DiscreteAction(rng.IntN(spec.Action.N))
		}
		a := make([]float64, spec.Action.Dim())
		for i := range a {
			lo, hi := spec.Action.Low[i], spec.Action.High[i]
			if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
				lo, hi = -1, 1
			}
			a[i] = lo + rng.Float64()*(hi-lo)
		}
		return env.Action{Continuous: a}
	}
	var outside, badLen, nonFinite, longEpisodes, lateTrunc, earlyTrunc int
	var firstOutside string
	check := func(obs []float64, t int) {
		if len(obs) != spec.Observation.Dim() {
			badLen++
			return
		}
		for i, x := range obs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				nonFinite++
				return
			}
			in := true
			if spec.Observation.Kind == env.Discrete {
				in = x == math.Trunc(x) && x >= 0 && int(x) < spec.Observation.N
			} else {
				in = x >= spec.Observation.Low[i] && x <= spec.Observation.High[i]
			}
			if !in {
				if outside == 0 {
					firstOutside = fmt.Sprintf("step %d, element %d = %v", t, i, x)
				}
				outside++
				return
			}
		}
	}
	e.Seed(o.Seed)
	obs := e.Reset()
	check(obs, 0)
	traj = append(traj, step{obs: append([]float64(nil), obs...)})
	episodes, length := 0, 0
	badReward := 0
	for t := 1; t <= o.Steps; t++ {
		obs, r, term, trunc := e.Step(act())
		length++
		check(obs, t)
		if math.IsNaN(r) || math.IsInf(r, 0) {
			badReward++
		}
		traj = append(traj, step{obs: append([]float64(nil), obs...), reward: r, term: term, trun: trunc})
		if m := spec.MaxEpisodeSteps; m > 0 {
			if length > m {
				longEpisodes++
			}
			if trunc && length < m {
				earlyTrunc++
			}
			if length == m && !trunc {
				lateTrunc++
			}
		}
		if term || trunc {
			episodes++
			length = 0
			obs = e.Reset()
			check(obs, t)
			traj = append(traj, step{obs: append([]float64(nil), obs...)})
		}
	}
	if rec == nil {
		return traj, nil
	}
	add, warn := rec.add, rec.warn
	rec.rep.Steps, rec.rep.Episodes = o.Steps, episodes
	add("observation length", badLen == 0, "%s", pick(badLen == 0, fmt.Sprintf("every observation has %d values", spec.Observation.Dim()),
		fmt.Sprintf("%d observations do not have %d values", badLen, spec.Observation.Dim())))
	add("observations finite", nonFinite == 0, "%s", pick(nonFinite == 0, "", fmt.Sprintf("%d observations hold NaN or infinity", nonFinite)))
	add("observations inside the space", outside == 0, "%s", pick(outside == 0, fmt.Sprintf("%d observations checked", len(traj)),
		fmt.Sprintf("%d observations outside %s (first: %s)", outside, spec.Observation, firstOutside)))
	add("rewards finite", badReward == 0, "%s", pick(badReward == 0, "", fmt.Sprintf("%d rewards are NaN or infinite", badReward)))
	if spec.MaxEpisodeSteps > 0 {
		ok := longEpisodes == 0 && lateTrunc == 0
		add("time limit", ok, "%s", pick(ok, fmt.Sprintf("episodes end by step %d, truncated there", spec.MaxEpisodeSteps),
			fmt.Sprintf("%d steps past the limit of %d, %d episodes reached it without truncated set", longEpisodes, spec.MaxEpisodeSteps, lateTrunc)))
		if earlyTrunc > 0 {
			warn("truncation", "%d episodes were truncated before the time limit of %d (a second time limit inside the environment?)", earlyTrunc, spec.MaxEpisodeSteps)
		}
	}
	if episodes == 0 {
		warn("episodes end", "no episode ended in %d random steps: reset after an end was not exercised", o.Steps)
	} else {
		add("episodes end", true, "%d episodes in %d random steps, each followed by a reset", episodes, o.Steps)
	}
	return traj, nil
}

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// diff returns the first step where two trajectories differ, and in what.
func diff(a, b []step) (int, string) {
	for i := range a {
		if i >= len(b) {
			return i, "length"
		}
		switch {
		case !equal(a[i].obs, b[i].obs):
			return i, "observation"
		case a[i].reward != b[i].reward:
			return i, "reward"
		case a[i].term != b[i].term || a[i].trun != b[i].trun:
			return i, "terminated/truncated flags"
		}
	}
	if len(b) != len(a) {
		return len(a), "length"
	}
	return -1, ""
}
