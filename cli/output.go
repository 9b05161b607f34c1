package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// printJSON writes v as one JSON object on one line: the machine-readable
// result that every command with --json ends its stdout with.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the JSON result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// usageError is a mistake in the command line; the message says how to fix it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
