package gymenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"unsafe"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
)

// The shared-memory fast path of env.step (Linux). The host maps one region
// per handle that holds the step's actions and results; env.step_shm then
// carries only the handle, and the worker reads the actions from and writes
// the results into numpy views of the same pages (pyworker/envs.py
// attach_shm). Both sides compute the region's layout from what each
// already knows (the number of copies, the spaces, the observation dtype),
// never from the wire, and each checks the region's size against its own
// layout. Without it (another OS, an older worker, a mapping that fails, or
// $XLRL_ENV_SHM=0) the arrays travel in the messages as before.

// shmAlign aligns each array of the region (a cache line).
const shmAlign = 64

// shmLayout is where each array of one handle's region starts, in bytes.
// The order and the sizes are restated in pyworker/envs.py (_shm_layout):
// actions (int64 per copy for Discrete, float64 per value for Box), obs and
// final_obs (n x obs dim, the observation dtype), rewards (float64),
// terminated, truncated, ended (one byte each per copy).
type shmLayout struct {
	n, obsDim, actDim                                           int
	obsType                                                     worker.DType
	discrete                                                    bool
	actions, obs, finalObs, rewards, terminated, truncated, end int
	size                                                        int
}

// shmDTypes are the observation dtypes the worker keeps as they are
// (pyworker/envs.py _HOST_DTYPES); any other travels as float64.
var shmDTypes = map[string]worker.DType{"float32": worker.Float32, "float64": worker.Float64, "uint8": worker.Uint8,
	"int32": worker.Int32, "int64": worker.Int64, "bool": worker.Bool}

var shmItemSize = map[worker.DType]int{worker.Float32: 4, worker.Float64: 8, worker.Uint8: 1, worker.Int32: 4, worker.Int64: 8, worker.Bool: 1}

// layoutFor computes the region of n copies of spec whose observations
// have the Python dtype dtype.
func layoutFor(spec *env.Spec, dtype string, n int) shmLayout {
	l := shmLayout{n: n, obsDim: spec.Observation.Dim(), actDim: 1, discrete: spec.Action.Kind == env.Discrete}
	if !l.discrete {
		l.actDim = spec.Action.Dim()
	}
	var ok bool
	if l.obsType, ok = shmDTypes[dtype]; !ok {
		l.obsType = worker.Float64
	}
	at := 0
	place := func(bytes int) int {
		start := at
		at += (bytes + shmAlign - 1) / shmAlign * shmAlign
		return start
	}
	obsBytes := n * l.obsDim * shmItemSize[l.obsType]
	l.actions = place(8 * n * l.actDim)
	l.obs = place(obsBytes)
	l.finalObs = place(obsBytes)
	l.rewards = place(8 * n)
	l.terminated = place(n)
	l.truncated = place(n)
	l.end = place(n)
	l.size = at
	return l
}

// shmRegion is one handle's mapped region with views of its arrays.
type shmRegion struct {
	lay        shmLayout
	mem        []byte
	actInts    []int64   // Discrete actions
	actFloats  []float64 // Box actions
	rewards    []float64
	terminated []byte
	truncated  []byte
	ended      []byte
	release    func() error // unmaps mem
}

func newRegion(lay shmLayout, mem []byte, release func() error) (*shmRegion, error) {
	if len(mem) != lay.size {
		return nil, fmt.Errorf("shared region of %d bytes, layout needs %d", len(mem), lay.size)
	}
	r := &shmRegion{lay: lay, mem: mem, release: release}
	if lay.discrete {
		r.actInts = unsafe.Slice((*int64)(unsafe.Pointer(&mem[lay.actions])), lay.n)
	} else {
		r.actFloats = unsafe.Slice((*float64)(unsafe.Pointer(&mem[lay.actions])), lay.n*lay.actDim)
	}
	r.rewards = unsafe.Slice((*float64)(unsafe.Pointer(&mem[lay.rewards])), lay.n)
	r.terminated = mem[lay.terminated : lay.terminated+lay.n]
	r.truncated = mem[lay.truncated : lay.truncated+lay.n]
	r.ended = mem[lay.end : lay.end+lay.n]
	return r, nil
}

// obsOf is the observations of copies from to to (exclusive) in the array
// of the region that starts at off, as an array view of it.
func (r *shmRegion) obsOf(off, from, to int) worker.Array {
	per := r.lay.obsDim * shmItemSize[r.lay.obsType]
	return worker.Array{DType: r.lay.obsType, Shape: []int{(to - from) * r.lay.obsDim}, Data: r.mem[off+from*per : off+to*per]}
}

// read copies the last step's results into the caller's buffers (obs and
// the flags for every copy; final observations, when final is not nil, of
// the copies whose episode ended).
func (r *shmRegion) read(obs, rewards []float64, term, trunc []bool, final []float64) error {
	n, dim := r.lay.n, r.lay.obsDim
	if err := toFloat64(obs, r.obsOf(r.lay.obs, 0, n)); err != nil {
		return err
	}
	copy(rewards, r.rewards)
	for i := range n {
		term[i] = r.terminated[i] != 0
		trunc[i] = r.truncated[i] != 0
		if final != nil && r.ended[i] != 0 {
			if err := toFloat64(final[i*dim:(i+1)*dim], r.obsOf(r.lay.finalObs, i, i+1)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *shmRegion) close() {
	if r.release != nil {
		_ = r.release()
		r.release = nil
	}
}

type shmParams struct {
	Handle   int64  `msgpack:"handle"`
	Path     string `msgpack:"path"`
	Size     int    `msgpack:"size"`
	ObsDType string `msgpack:"obs_dtype"`
}

type handleParams struct {
	Handle int64 `msgpack:"handle"`
}

// shmEnabled says whether handles try the shared-memory path.
func (h *Host) shmEnabled() bool {
	return !h.noShm && os.Getenv("XLRL_ENV_SHM") != "0"
}

// attachShm gives hd a shared region when the platform and the worker
// allow it; otherwise hd keeps stepping through messages.
func (hd *handle) attachShm() {
	if !hd.host.shmEnabled() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	lay := layoutFor(hd.spec, hd.dtype, hd.n)
	r, path, done, err := mapRegion(lay)
	if err != nil {
		slog.Debug("gym env steps through messages", "env", hd.spec.ID, "why", err)
		return
	}
	err = hd.client.Call(ctx, "env.shm", shmParams{Handle: hd.id, Path: path, Size: lay.size, ObsDType: lay.obsType.String()}, nil)
	done()
	if err != nil {
		r.close()
		slog.Debug("gym env steps through messages", "env", hd.spec.ID, "why", err)
		return
	}
	hd.shm = r
}

// stepShm steps every copy through the region: the actions are in it.
func (hd *handle) stepShm() {
	if err := hd.client.Call(context.Background(), "env.step_shm", handleParams{Handle: hd.id}, nil); err != nil {
		panic(&env.Failure{Err: remote(hd.spec.ID, err)})
	}
}
