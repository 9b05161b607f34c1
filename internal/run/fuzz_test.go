package run

import (
	"bytes"
	"testing"
)

// FuzzDecodeMetrics: any bytes give records or an error naming a line.
func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte(`{"kind":"episode","step":1,"return":1.5}` + "\n" + `{"kind":"update","step":2,"loss":null}` + "\n"))
	f.Add([]byte(`{"kind":"episode","step":1`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := DecodeMetrics("fuzz", bytes.NewReader(data))
		if err == nil {
			for _, r := range recs {
				if r.Kind == "" {
					t.Fatal("a record without a kind")
				}
			}
		}
	})
}
