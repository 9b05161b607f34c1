// Package watch records episodes of a policy and has the Python worker draw
// them into a GIF or an MP4 (xlrl eval RUN --gif FILE / --video FILE.mp4).
//
// The host runs the policy and records each episode's states (the
// observations the policy saw, the last one included), actions and rewards;
// the worker's render module (pyworker/render.py) draws them: the
// classic-control environments from their observations, the grid
// environments as grids with the agent's path. Nothing is drawn on the host,
// so the figures are those of the episodes the evaluation ran.
package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xlrl/xlrl/internal/env"
)

// MaxFrames is the most frames one file holds (the worker refuses more):
// recording stops at this many states over all episodes.
const MaxFrames = 4000

// Episode is one recorded episode: States has one entry more than Actions
// and Rewards (the state each action was taken in, then the last one).
type Episode struct {
	States  [][]float64 `msgpack:"states"`
	Actions []int       `msgpack:"actions"`
	Rewards []float64   `msgpack:"rewards"`
}

// Return is the episode's undiscounted return.
func (e *Episode) Return() float64 {
	var s float64
	for _, r := range e.Rewards {
		s += r
	}
	return s
}

// Record runs episodes of e with act (a greedy policy), each up to the
// environment's time limit or maxSteps (0: no limit of its own), and records
// them. It stops early, keeping what it has, when MaxFrames states are
// recorded. The caller seeds e.
func Record(ctx context.Context, e env.Env, episodes, maxSteps int, act func(obs []float64) int) ([]Episode, error) {
	if episodes < 1 {
		return nil, fmt.Errorf("watch: %d episodes: want at least 1", episodes)
	}
	if m := e.Spec().MaxEpisodeSteps; m > 0 && (maxSteps == 0 || m < maxSteps) {
		maxSteps = m
	}
	var out []Episode
	frames := 0
	for ep := 0; ep < episodes && frames < MaxFrames; ep++ {
		obs := e.Reset()
		rec := Episode{States: [][]float64{append([]float64(nil), obs...)}}
		frames++
		for t := 1; frames < MaxFrames; t++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			a := act(obs)
			o, r, term, trunc := e.Step(env.DiscreteAction(a))
			rec.Actions = append(rec.Actions, a)
			rec.Rewards = append(rec.Rewards, r)
			rec.States = append(rec.States, append([]float64(nil), o...))
			frames++
			if term || trunc || (maxSteps > 0 && t >= maxSteps) {
				break
			}
			obs = o
		}
		out = append(out, rec)
	}
	return out, nil
}

// Grid is the map the worker draws a grid environment with: FrozenLake's
// rows (mapText is the run's --map, "" for the id's own map); nil for the
// other environments (CliffWalking and Taxi have one fixed layout).
func Grid(envID, mapText string) ([]string, error) {
	if !strings.HasPrefix(envID, "FrozenLake") {
		return nil, nil
	}
	if mapText == "" {
		mapText = "4x4"
		if envID == "FrozenLake8x8-v1" {
			mapText = "8x8"
		}
	}
	return env.ParseFrozenLakeMap(mapText)
}

// Format is what a file holds: "gif" or "mp4".
type Format string

// Formats of the files Render writes.
const (
	GIF Format = "gif"
	MP4 Format = "mp4"
)

// CheckOut refuses, before anything runs, an output path whose extension is
// not the format's or whose directory cannot be written.
func CheckOut(path string, f Format) error {
	flag := map[Format]string{GIF: "--gif", MP4: "--video"}[f]
	if flag == "" {
		return fmt.Errorf("watch: unknown format %q (want gif or mp4)", f)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != "."+string(f) {
		return fmt.Errorf("%s %s: the file must end in .%s", flag, path, f)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s %s: directory %s does not exist", flag, path, dir)
	case err != nil:
		return fmt.Errorf("%s %s: %w", flag, path, err)
	case !st.IsDir():
		return fmt.Errorf("%s %s: %s is not a directory", flag, path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s: is a directory", flag, path)
	}
	tmp, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: directory %s is not writable", flag, path, dir)
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// Caller is the part of the worker client Render needs.
type Caller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// Result is what the worker wrote.
type Result struct {
	Path     string `msgpack:"path" json:"path"`
	Frames   int    `msgpack:"frames" json:"frames"`
	Width    int    `msgpack:"width" json:"width"`
	Height   int    `msgpack:"height" json:"height"`
	Episodes int    `msgpack:"episodes" json:"episodes"`
}

// Render has the worker draw the episodes of envID into out (a .gif or .mp4)
// at fps frames per second, one step in every (1: all of them); grid is
// Grid's map.
func Render(ctx context.Context, c Caller, envID string, eps []Episode, grid []string, out string, fps, every int) (*Result, error) {
	if every < 1 {
		return nil, fmt.Errorf("watch: one step in %d: want at least 1", every)
	}
	params := map[string]any{"env": envID, "episodes": eps, "out": out, "fps": fps, "every": every}
	if grid != nil {
		params["grid"] = grid
	}
	var res Result
	if err := c.Call(ctx, "render.episodes", params, &res); err != nil {
		return nil, fmt.Errorf("drawing %d episodes of %s into %s: %w", len(eps), envID, out, err)
	}
	return &res, nil
}
