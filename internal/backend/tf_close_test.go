package backend

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/nn"
)

// TestTFCloseFreesItsNetworks: a closed tf backend leaves nothing in the
// worker: rl.free and ac.free of what it created answer "no network" /
// "no group", and closing a network by itself first is no double free.
func TestTFCloseFreesItsNetworks(t *testing.T) {
	ctx := context.Background()
	c := startWorker(t)
	tf := NewTF(c)
	spec := nn.Spec{In: 4, Hidden: []int{8}, Act: nn.ReLU, Out: 2}
	init, err := nn.New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for i := range 2 {
		n, err := tf.NewNet(ctx, NetConfig{Loss: nn.MSE, LR: 1e-3}, init)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.(*TFNet).id)
		if i == 0 {
			if err := n.(*TFNet).Close(ctx); err != nil {
				t.Fatalf("closing one network: %v", err)
			}
		}
	}
	g, err := tf.NewGroup(ctx, GroupConfig{LR: 1e-3}, []*nn.MLP{init})
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(tf.live) != 0 {
		t.Fatalf("after Close the backend still tracks %v", tf.live)
	}
	for _, id := range ids {
		err := c.Call(ctx, "rl.free", map[string]any{"net": id}, nil)
		if err == nil || !strings.Contains(err.Error(), "no network") {
			t.Errorf("rl.free %d after Close: err = %v, want \"no network\" (the worker still held it)", id, err)
		}
	}
	err = c.Call(ctx, "ac.free", map[string]any{"group": g.(*tfGroup).id}, nil)
	if err == nil || !strings.Contains(err.Error(), "no group") {
		t.Errorf("ac.free after Close: err = %v, want \"no group\" (the worker still held it)", err)
	}
}
