//go:build !linux

package nnbench

// threadCPU is 0 (unknown) outside Linux.
func threadCPU() int64 { return 0 }
