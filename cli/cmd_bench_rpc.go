package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/worker"
)

type rpcThroughput struct {
	Bytes    int     `json:"bytes"`
	Reps     int     `json:"reps"`
	SendGBps float64 `json:"send_gbps"` // host -> worker
	RecvGBps float64 `json:"recv_gbps"` // worker -> host
	EchoGBps float64 `json:"echo_gbps"` // both ways, bytes moved / time
}

type rpcBenchResult struct {
	Calls                int                      `json:"calls"`
	RTTMedianUS          float64                  `json:"rtt_median_us"`
	RTTP99US             float64                  `json:"rtt_p99_us"`
	Throughput           map[string]rpcThroughput `json:"throughput"`
	ReferenceRTTMedianUS float64                  `json:"reference_rtt_median_us"`
	ReferenceRTTP99US    float64                  `json:"reference_rtt_p99_us"`
	Python               string                   `json:"python"`
}

func newBenchRPCCmd() *cobra.Command {
	var (
		asJSON bool
		calls  int
		sizes  []string
	)
	cmd := &cobra.Command{
		Use:   "rpc",
		Short: "Round trip and array throughput of the Go<->Python link, beside a Python pipe",
		Long: `rpc measures the empty call (Go -> worker -> Go) and the throughput of float32
arrays sent to the worker, received from it and echoed, then runs the
reference: a Python-to-Python msgpack round trip over a pipe, on the same
interpreter, in the same run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sizeBytes := make([]int, len(sizes))
			for i, s := range sizes {
				n, err := parseSize(s)
				if err != nil {
					return usageErrorf("--sizes: %v", err)
				}
				sizeBytes[i] = n
			}
			res, err := benchRPC(cmd.Context(), calls, sizes, sizeBytes)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "empty call, Go->worker->Go: median %.1f us, p99 %.1f us (%d calls)\n", res.RTTMedianUS, res.RTTP99US, res.Calls)
			fmt.Fprintf(out, "reference, Python->Python over a pipe: median %.1f us, p99 %.1f us\n", res.ReferenceRTTMedianUS, res.ReferenceRTTP99US)
			for _, name := range sizes {
				t := res.Throughput[name]
				fmt.Fprintf(out, "float32 %-6s send %.2f GB/s, receive %.2f GB/s, echo %.2f GB/s\n", name, t.SendGBps, t.RecvGBps, t.EchoGBps)
			}
			if asJSON {
				return printJSON(out, res)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as one JSON object")
	cmd.Flags().IntVar(&calls, "calls", 20000, "empty calls to time")
	cmd.Flags().StringSliceVar(&sizes, "sizes", []string{"1MiB", "64MiB"}, "array sizes to time (KiB, MiB, GiB)")
	return cmd
}

func parseSize(s string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var n int
			if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n <= 0 {
				return 0, fmt.Errorf("%q is not a size like 1MiB", s)
			}
			if n*u.mult%4 != 0 {
				return 0, fmt.Errorf("%q is not a whole number of float32s", s)
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("%q is not a size like 1MiB", s)
}

func benchRPC(ctx context.Context, calls int, names []string, sizes []int) (*rpcBenchResult, error) {
	c, err := startWorker(ctx, "")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := &rpcBenchResult{Calls: calls, Throughput: map[string]rpcThroughput{}, Python: c.Interpreter().Path}

	for range 500 { // warm up both processes' code paths
		if err := c.Call(ctx, "ping", nil, nil); err != nil {
			return nil, err
		}
	}
	samples := make([]time.Duration, calls)
	for i := range samples {
		start := time.Now()
		if err := c.Call(ctx, "ping", nil, nil); err != nil {
			return nil, err
		}
		samples[i] = time.Since(start)
	}
	res.RTTMedianUS, res.RTTP99US = percentileUS(samples, 0.5), percentileUS(samples, 0.99)

	for i, n := range sizes {
		t, err := benchArrays(ctx, c, n)
		if err != nil {
			return nil, err
		}
		res.Throughput[names[i]] = t
	}

	ref, err := exec.CommandContext(ctx, c.Interpreter().Path, "-m", "pyworker.benchref", "--calls", fmt.Sprint(min(calls, 20000)), "--json").Output()
	if err != nil {
		return nil, fmt.Errorf("running the Python reference (pyworker.benchref): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(ref)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), res); err != nil {
		return nil, fmt.Errorf("reading the Python reference's result: %w", err)
	}
	return res, nil
}

// benchArrays times n-byte float32 arrays each way: the median of several
// repetitions, as GB/s (1e9 bytes per second).
func benchArrays(ctx context.Context, c *worker.Client, n int) (rpcThroughput, error) {
	reps := max(5, min(50, (256<<20)/n))
	data := worker.Float32Array(make([]float32, n/4))
	var send, recv, echo []time.Duration
	for range reps {
		start := time.Now()
		var got int
		if err := c.Call(ctx, "sink", map[string]any{"data": data}, &got); err != nil {
			return rpcThroughput{}, err
		}
		send = append(send, time.Since(start))

		start = time.Now()
		var arr worker.Array
		if err := c.Call(ctx, "source", map[string]any{"nbytes": n}, &arr); err != nil {
			return rpcThroughput{}, err
		}
		recv = append(recv, time.Since(start))

		start = time.Now()
		if err := c.Call(ctx, "echo", map[string]any{"value": data}, &arr); err != nil {
			return rpcThroughput{}, err
		}
		echo = append(echo, time.Since(start))
		if len(arr.Data) != n {
			return rpcThroughput{}, fmt.Errorf("echo of %d bytes returned %d", n, len(arr.Data))
		}
	}
	gbps := func(bytes int, d []time.Duration) float64 {
		return float64(bytes) / percentileSeconds(d, 0.5) / 1e9
	}
	return rpcThroughput{Bytes: n, Reps: reps, SendGBps: gbps(n, send), RecvGBps: gbps(n, recv), EchoGBps: gbps(2*n, echo)}, nil
}

func percentileSeconds(d []time.Duration, q float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))].Seconds()
}

func percentileUS(d []time.Duration, q float64) float64 { return percentileSeconds(d, q) * 1e6 }
