package nn

import "fmt"

// InputGrad writes dLoss/dInput for the n rows of the last Forward and
// Backward on ws into dst (n*In values, row-major). SAC's and TD3's actor
// losses need it: their gradient reaches the actor through the critic's
// action input. Call it after Backward.
func (m *MLP) InputGrad(ws *Workspace, n int, dst []float32) {
	ly := &m.Layers[0]
	if len(dst) < n*ly.In {
		panic(fmt.Sprintf("nn: InputGrad into %d values, want %d", len(dst), n*ly.In))
	}
	mulBT(ws.delta[0][:n*ly.Out], n, ly.Out, ly.W, ly.In, dst[:n*ly.In], ws.s)
}

// InputGradRows writes dLoss/dInput for some rows of the last Forward on
// ws into dst (len(rows)*In values, row i for rows[i]), given those rows'
// output gradients dOut (len(rows)*Out values): the backward pass of those
// rows alone down to the input, without the parameters' gradient (ws.Grad
// is left as it was; the workspace's deltas are overwritten, so a Backward
// needs a new OutputGrad). Each row's values are bit for bit those that
// Backward and InputGrad on the whole batch give it. SAC's actor loss
// reaches each row's action through one of the two critics (the smaller):
// each critic backpropagates its own rows only.
func (m *MLP) InputGradRows(ws *Workspace, rows []int32, dOut, dst []float32) {
	k := len(rows)
	L := len(m.Layers)
	if k > ws.Cap || len(dOut) < k*m.Out() || len(dst) < k*m.In() {
		panic(fmt.Sprintf("nn: InputGradRows of %d rows (workspace of %d) from %d output gradients into %d values",
			k, ws.Cap, len(dOut), len(dst)))
	}
	d := ws.delta[L-1][:k*m.Out()]
	copy(d, dOut)
	for l := L - 1; l > 0; l-- {
		ly := &m.Layers[l]
		in := ly.In
		dp := ws.delta[l-1][:k*in]
		mulBT(d, k, ly.Out, ly.W, in, dp, ws.s)
		x := ws.acts[l] // the input of layer l: the output of layer l-1
		switch m.Layers[l-1].Act {
		case ReLU:
			for i, r := range rows {
				reluGrad(x[int(r)*in:(int(r)+1)*in], dp[i*in:(i+1)*in])
			}
		case Tanh:
			for i, r := range rows {
				xr, dr := x[int(r)*in:(int(r)+1)*in], dp[i*in:(i+1)*in]
				for j, v := range xr {
					dr[j] *= 1 - v*v
				}
			}
		}
		d = dp
	}
	ly := &m.Layers[0]
	mulBT(d, k, ly.Out, ly.W, ly.In, dst[:k*ly.In], ws.s)
}
