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
