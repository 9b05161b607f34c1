package worker_test

import (
	"context"
	"fmt"
	"log"

	"github.com/xlrl/xlrl/worker"
)

// Start a worker with one's own Python module of methods and call one.
func ExampleStart() {
	ctx := context.Background()
	c, err := worker.Start(ctx, worker.Options{Imports: []string{"mypkg.handlers"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var res struct {
		Y    worker.Array `msgpack:"y"`
		Norm float64      `msgpack:"norm"`
	}
	x := worker.Float32Array([]float32{1, 2, 3, 4}, 2, 2)
	if err := c.Call(ctx, "mypkg.scale", map[string]any{"x": x, "by": 3.0}, &res); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Norm)
}
