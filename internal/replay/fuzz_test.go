package replay

import (
	"bytes"
	"testing"
)

// FuzzLoad: any bytes load to a consistent buffer or an error; a header
// never makes Load allocate more than the data holds.
func FuzzLoad(f *testing.F) {
	b, _ := New(3, 2)
	b.Add([]float64{1, 2}, 1, 0.5, []float64{3, 4}, false)
	var buf bytes.Buffer
	b.Save(&buf)
	f.Add(buf.Bytes())
	f.Add(craftedHeader(1<<31-1, 1<<20, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		if b.Len() > b.Cap() || b.next >= b.cap || len(b.obs) != b.cap*b.dim {
			t.Fatalf("inconsistent buffer: len %d cap %d next %d", b.Len(), b.Cap(), b.next)
		}
	})
}
