package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/xlrl/xlrl/internal/ckpt"
)

// Checkpoint is a checkpoint in memory (package ckpt's container).
type Checkpoint = ckpt.Checkpoint

// ErrBadCheckpoint is wrapped by every error about a checkpoint that cannot
// be used (ckpt.ErrBadCheckpoint).
var ErrBadCheckpoint = ckpt.ErrBadCheckpoint

// NewCheckpoint starts an empty checkpoint of the given kind.
func NewCheckpoint(kind string) *Checkpoint { return ckpt.NewCheckpoint(kind) }

// WriteCheckpoint writes c to path atomically.
func WriteCheckpoint(path string, c *Checkpoint) error {
	data, err := c.MarshalBinary()
	if err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return WriteFileAtomic(path, data, 0o644)
}

// ReadCheckpoint reads and verifies the checkpoint at path. wantKind, when
// not empty, must match the kind it was written with.
func ReadCheckpoint(path, wantKind string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no checkpoint at %s: %w", path, err)
		}
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	c, err := ckpt.UnmarshalCheckpoint(path, data)
	if err != nil {
		return nil, err
	}
	if wantKind != "" && c.Kind != wantKind {
		return nil, fmt.Errorf("%w: %s holds a %q checkpoint, this needs %q", ErrBadCheckpoint, path, c.Kind, wantKind)
	}
	return c, nil
}
