package worker

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// arrayExt is the msgpack ext type that carries arrays (pyworker/protocol.py).
const arrayExt int8 = 1

// DType is an array's element type. The codes are shared with pyworker/protocol.py.
type DType uint8

// The element types that travel. Append only: the numbers are on the wire.
const (
	Float32 DType = 1
	Float64 DType = 2
	Int32   DType = 3
	Int64   DType = 4
	Uint8   DType = 5
	Bool    DType = 6
)

var dtypeNames = map[DType]string{Float32: "float32", Float64: "float64", Int32: "int32", Int64: "int64", Uint8: "uint8", Bool: "bool"}
var dtypeSizes = map[DType]int{Float32: 4, Float64: 8, Int32: 4, Int64: 8, Uint8: 1, Bool: 1}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Array is an n-dimensional array as it travels: little-endian bytes in C
// order with their element type and shape.
type Array struct {
	DType DType
	Shape []int
	Data  []byte
}

// Len is the number of elements the shape holds, or -1 when that number
// does not fit in an int (a shape no array can have).
func (a Array) Len() int {
	n, ok := a.Elements()
	if !ok {
		return -1
	}
	return n
}

// Elements is the number of elements the shape holds, computed without
// overflow: ok is false for a negative dimension or a product beyond MaxInt.
func (a Array) Elements() (n int, ok bool) {
	n = 1
	for _, d := range a.Shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Validate checks that the dtype is known and that the shape and the byte
// length agree, with overflow-safe arithmetic.
func (a Array) Validate() error {
	size, ok := dtypeSizes[a.DType]
	if !ok {
		return fmt.Errorf("array has unknown dtype code %d", a.DType)
	}
	for _, d := range a.Shape {
		if d < 0 {
			return fmt.Errorf("array shape %v has a negative dimension", a.Shape)
		}
	}
	n, ok := a.Elements()
	if !ok || n > math.MaxInt/size {
		return fmt.Errorf("array shape %v is too large: its element count overflows", a.Shape)
	}
	if want := n * size; want != len(a.Data) {
		return fmt.Errorf("array of dtype %s and shape %v needs %d bytes, has %d", a.DType, a.Shape, want, len(a.Data))
	}
	return nil
}

// Batch splits the shape into its first dimension and the shape of one item,
// for results that are a batch of items (samples, rows): a 0-d array is an
// error rather than a shape to index.
func (a Array) Batch() (n int, item []int, err error) {
	if len(a.Shape) == 0 {
		return 0, nil, fmt.Errorf("array is 0-d (a scalar of dtype %s), a batch needs at least one dimension", a.DType)
	}
	return a.Shape[0], a.Shape[1:], nil
}

// The machine is little-endian on every platform xlrl supports (amd64,
// arm64), so slices are reinterpreted as bytes without conversion; init
// refuses a big-endian build rather than send wrong data.
func init() {
	var x uint16 = 1
	if *(*byte)(unsafe.Pointer(&x)) != 1 {
		panic("worker: arrays travel little-endian; this machine is big-endian")
	}
}

func asBytes[T any](v []T) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(zero)))
}

func fromBytes[T any](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) == 0 {
		return []T{}
	}
	out := make([]T, len(b)/size)
	copy(asBytes(out), b)
	return out
}

func newArray[T any](dt DType, v []T, shape []int) Array {
	if len(shape) == 0 {
		shape = []int{len(v)}
	}
	a := Array{DType: dt, Shape: shape, Data: asBytes(v)}
	if err := a.Validate(); err != nil {
		panic("worker: " + err.Error())
	}
	return a
}

// Float32Array wraps v (no copy) with the given shape; no shape means 1-D.
// It panics if the shape does not hold len(v) elements.
func Float32Array(v []float32, shape ...int) Array { return newArray(Float32, v, shape) }

// Float64Array is Float32Array for float64.
func Float64Array(v []float64, shape ...int) Array { return newArray(Float64, v, shape) }

// Int32Array is Float32Array for int32.
func Int32Array(v []int32, shape ...int) Array { return newArray(Int32, v, shape) }

// Int64Array is Float32Array for int64.
func Int64Array(v []int64, shape ...int) Array { return newArray(Int64, v, shape) }

// Uint8Array is Float32Array for uint8.
func Uint8Array(v []uint8, shape ...int) Array { return newArray(Uint8, v, shape) }

// BoolArray is Float32Array for bool.
func BoolArray(v []bool, shape ...int) Array { return newArray(Bool, v, shape) }

func values[T any](a Array, want DType) ([]T, error) {
	if a.DType != want {
		return nil, fmt.Errorf("array has dtype %s, want %s", a.DType, want)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return fromBytes[T](a.Data), nil
}

// Float32s returns a copy of the elements, or an error if the dtype is not float32.
func (a Array) Float32s() ([]float32, error) { return values[float32](a, Float32) }

// Float64s returns a copy of the elements, or an error if the dtype is not float64.
func (a Array) Float64s() ([]float64, error) { return values[float64](a, Float64) }

// Int32s returns a copy of the elements, or an error if the dtype is not int32.
func (a Array) Int32s() ([]int32, error) { return values[int32](a, Int32) }

// Int64s returns a copy of the elements, or an error if the dtype is not int64.
func (a Array) Int64s() ([]int64, error) { return values[int64](a, Int64) }

// Uint8s returns a copy of the elements, or an error if the dtype is not uint8.
func (a Array) Uint8s() ([]uint8, error) { return values[uint8](a, Uint8) }

// Bools returns a copy of the elements, or an error if the dtype is not bool.
func (a Array) Bools() ([]bool, error) { return values[bool](a, Bool) }

// EncodeMsgpack writes the array as ext type 1 without copying its data.
func (a Array) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := a.Validate(); err != nil {
		return err
	}
	header := make([]byte, 2+8*len(a.Shape))
	header[0], header[1] = byte(a.DType), byte(len(a.Shape))
	for i, d := range a.Shape {
		binary.LittleEndian.PutUint64(header[2+8*i:], uint64(d))
	}
	if err := enc.EncodeExtHeader(arrayExt, len(header)+len(a.Data)); err != nil {
		return err
	}
	if _, err := enc.Writer().Write(header); err != nil {
		return err
	}
	_, err := enc.Writer().Write(a.Data)
	return err
}

// decodeArrayExt reads the payload of an array ext whose header was read. It
// always consumes exactly extLen bytes, so a bad payload fails the value and
// leaves the stream in step.
func decodeArrayExt(d *msgpack.Decoder, a *Array, extLen int) error {
	payload := make([]byte, extLen)
	if err := d.ReadFull(payload); err != nil {
		return err
	}
	if extLen < 2 {
		return fmt.Errorf("array ext of %d bytes has no header", extLen)
	}
	ndim := int(payload[1])
	offset := 2 + 8*ndim
	if extLen < offset {
		return fmt.Errorf("array ext header says ndim=%d but the ext has %d bytes", ndim, extLen)
	}
	shape := make([]int, ndim)
	for i := range shape {
		v := binary.LittleEndian.Uint64(payload[2+8*i:])
		if v > math.MaxInt32 {
			return fmt.Errorf("array ext has an implausible dimension %d", v)
		}
		shape[i] = int(v)
	}
	*a = Array{DType: DType(payload[0]), Shape: shape, Data: payload[offset:]}
	return a.Validate()
}

func init() {
	msgpack.RegisterExtDecoder(arrayExt, Array{}, func(d *msgpack.Decoder, v reflect.Value, extLen int) error {
		return decodeArrayExt(d, v.Addr().Interface().(*Array), extLen)
	})
}
