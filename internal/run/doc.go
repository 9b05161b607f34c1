// Package run is everything a training run leaves on disk, laid out so a
// person can follow, keep, resume and compare it:
//
//	runs/<name>/
//	    config.yaml      the full resolved configuration (--config reads it back)
//	    metrics.jsonl    one JSON object per episode and per update
//	    checkpoint.ckpt  the latest checkpoint (versioned, checksummed container)
//	    worker.log       the Python worker's stderr, when a worker ran
//	    plots/           PNGs drawn at the end of the run (xlrl plot redraws them)
//	    tb/              TensorBoard event files (tensorboard --logdir runs)
//
// Every whole file is written atomically (temp file in the same directory,
// fsync, rename, fsync of the directory), so a crash or Ctrl-C leaves either
// the old file or the new one, never half of one. metrics.jsonl is the one
// file that grows by appends; its reader ignores a partially written last line
// and its writer cuts such a line off before appending.
package run
