package nn

// Trainer takes gradient steps on one network: forward, loss, backward,
// optional global-norm clipping, Adam. It is the go backend's training loop
// and the reference the tf backend is tested against.
type Trainer struct {
	Net         *MLP
	Opt         *Adam
	WS          *Workspace
	Loss        Loss
	EntCoef     float64 // Policy loss only
	MaxGradNorm float64 // <= 0: no clipping
}

// NewTrainer prepares a trainer for batches of up to maxRows rows.
func NewTrainer(net *MLP, loss Loss, lr float64, maxRows int) *Trainer {
	return &Trainer{Net: net, Opt: NewAdam(lr, len(net.Params)), WS: net.NewWorkspace(maxRows), Loss: loss}
}

// Gradient computes the loss and its gradient (in t.WS.Grad, before
// clipping) for n rows without changing the weights.
func (t *Trainer) Gradient(x []float32, a []int32, y []float32, n int) float64 {
	out := t.Net.Forward(t.WS, x, n)
	loss := LossGrad(t.Loss, out, t.Net.Out(), a, y, n, t.EntCoef, t.Net.OutputGrad(t.WS, n))
	t.Net.Backward(t.WS, n)
	return loss
}

// Step takes one gradient step on n rows and returns the loss before it.
func (t *Trainer) Step(x []float32, a []int32, y []float32, n int) float64 {
	loss := t.Gradient(x, a, y, n)
	ClipGradNorm(t.WS.Grad, t.MaxGradNorm)
	t.Opt.Step(t.Net.Params, t.WS.Grad)
	return loss
}
