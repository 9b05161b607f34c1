package export

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// npyHeader is the NPY 1.0 header for an array of dtype descr and shape,
// padded so that the data starts on a 64-byte boundary.
func npyHeader(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	return b.Bytes()
}

// writeNPYFloat32 writes a float32 array in C order.
func writeNPYFloat32(w io.Writer, v []float32, shape []int) error {
	b := npyHeader("<f4", shape)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	_, err := w.Write(b)
	return err
}

// writeNPYFloat64 writes a float64 array in C order.
func writeNPYFloat64(w io.Writer, v []float64, shape []int) error {
	b := npyHeader("<f8", shape)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	_, err := w.Write(b)
	return err
}

// writeNPYString writes a 0-d unicode array (numpy's '<U' dtype, UTF-32LE),
// which np.load reads without pickle.
func writeNPYString(w io.Writer, s string) error {
	n := utf8.RuneCountInString(s)
	b := npyHeader(fmt.Sprintf("<U%d", max(n, 1)), nil)
	for _, r := range s {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	if n == 0 {
		b = append(b, 0, 0, 0, 0)
	}
	_, err := w.Write(b)
	return err
}

// npz writes entries into a zip archive, as numpy.savez does.
type npz struct {
	zw *zip.Writer
}

func (z *npz) add(name string, write func(io.Writer) error) error {
	f, err := z.zw.Create(name + ".npy")
	if err != nil {
		return err
	}
	return write(f)
}
