package backend

import (
	"context"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
)

// Go trains with internal/nn in process.
type Go struct {
	t Timings
}

// NewGo returns the pure-Go backend.
func NewGo() *Go { return &Go{} }

func (g *Go) Name() string     { return "go" }
func (g *Go) Timings() Timings { return g.t }
func (g *Go) Close() error     { return nil }

func (g *Go) NewNet(_ context.Context, cfg NetConfig, init *nn.MLP) (Net, error) {
	net := init.Clone()
	tr := nn.NewTrainer(net, cfg.Loss, cfg.LR, 1)
	tr.EntCoef = cfg.EntCoef
	tr.MaxGradNorm = cfg.MaxGradNorm
	return &goNet{b: g, tr: tr}, nil
}

type goNet struct {
	b  *Go
	tr *nn.Trainer
}

func (n *goNet) Fit(ctx context.Context, b *Batches, sync *nn.MLP) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start := time.Now()
	if n.tr.WS.Cap < b.N {
		n.tr.WS = n.tr.Net.NewWorkspace(b.N)
	}
	if b.Double != nil {
		if err := b.Double.check(b); err != nil {
			return 0, err
		}
	}
	var total float64
	for k := 0; k < b.K; k++ {
		x, a, y := b.Row(k)
		if d := b.Double; d != nil {
			next := d.Next[k*b.N*b.In : (k+1)*b.N*b.In]
			d.Targets(k, b.N, n.tr.Net.Forward(n.tr.WS, next, b.N), y)
		}
		total += n.tr.Step(x, a, y, b.N)
	}
	if sync != nil {
		sync.CopyFrom(n.tr.Net)
	}
	n.b.t.Calls++
	n.b.t.Steps += b.K
	n.b.t.Compute += time.Since(start)
	return total / float64(b.K), nil
}
