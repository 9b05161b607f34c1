package replay

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// craftedHeader is a replay file whose header claims a buffer of the given
// shape, followed by only a few bytes of contents.
func craftedHeader(capacity, dim, size, next uint64) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.LittleEndian, []uint64{capacity, dim, size, next})
	b.Write(make([]byte, 64))
	return b.Bytes()
}

// A header that claims more than the file holds is refused before anything
// of that size is allocated (it used to panic with "makeslice: len out of
// range" or exhaust memory).
func TestLoadRefusesAHeaderLargerThanTheData(t *testing.T) {
	for name, data := range map[string][]byte{
		"capacity 2^31-1":           craftedHeader(1<<31-1, 4, 0, 0),
		"dimension 2^20":            craftedHeader(1<<20, 1<<20, 0, 0),
		"capacity x dimension wrap": craftedHeader(1<<31-1, 1<<20, 0, 0),
		"one transition missing":    craftedHeader(2, 1, 0, 0)[:len(magic)+32+4*2*2+4*2+4],
	} {
		_, err := Load(bytes.NewReader(data))
		if err == nil || !strings.Contains(err.Error(), "replay: loading") {
			t.Errorf("%s: err = %v, want a loading error", name, err)
		}
	}
}
