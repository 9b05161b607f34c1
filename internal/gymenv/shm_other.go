//go:build !linux

package gymenv

import "errors"

// mapRegion is Linux-only: elsewhere the arrays travel in the messages.
func mapRegion(shmLayout) (*shmRegion, string, func(), error) {
	return nil, "", nil, errors.New("shared memory for env.step is implemented on Linux only")
}
