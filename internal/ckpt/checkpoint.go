package ckpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"

	"github.com/xlrl/xlrl/internal/atomicfile"
)

// A checkpoint file is a versioned container of named sections (weights,
// optimizer state, replay buffer, RNG states, schedule positions, ...):
//
//	"XLRLCKPT"                 8 bytes, magic
//	format version             uint32
//	kind                       uint16 length + bytes (e.g. "dqn")
//	section count              uint32
//	per section:  name         uint16 length + bytes
//	              data         uint64 length + bytes
//	CRC-32C of all the above   uint32
//	"XLCKEND."                 8 bytes, end marker
//
// All integers are little-endian. The end marker tells a truncated file from
// a corrupted one; the checksum catches any flipped byte.

// Version is the container format this build writes and reads.
const Version = 1

var (
	ckptMagic  = []byte("XLRLCKPT")
	ckptEnd    = []byte("XLCKEND.")
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// ErrBad is wrapped by every error about a checkpoint that cannot
// be used: not a checkpoint, truncated, corrupted, another format version or
// another kind.
var ErrBad = errors.New("unusable checkpoint")

// Checkpoint is the in-memory form of a checkpoint file.
type Checkpoint struct {
	Kind     string
	sections map[string][]byte
}

// New starts an empty checkpoint of the given kind; the kind says
// what wrote it ("dqn", "q-learning", ...) so that loading it into another
// agent is refused.
func New(kind string) *Checkpoint {
	return &Checkpoint{Kind: kind, sections: map[string][]byte{}}
}

// Put stores a section, replacing one of the same name.
func (c *Checkpoint) Put(name string, data []byte) { c.sections[name] = data }

// PutJSON stores v as JSON: for small structured state such as counters and
// schedule positions.
func (c *Checkpoint) PutJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint section %q: %w", name, err)
	}
	c.Put(name, b)
	return nil
}

// PutFloat64s stores a vector of float64 exactly (weights, Q-tables).
func (c *Checkpoint) PutFloat64s(name string, v []float64) {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	c.Put(name, b)
}

// PutFloat32s stores a vector of float32 exactly (network weights).
func (c *Checkpoint) PutFloat32s(name string, v []float32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	c.Put(name, b)
}

// Float32s decodes a section stored with PutFloat32s; want is the expected
// length (-1: any).
func (c *Checkpoint) Float32s(name string, want int) ([]float32, error) {
	b, err := c.Get(name)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 || (want >= 0 && len(b)/4 != want) {
		return nil, fmt.Errorf("%w: section %q holds %d bytes, this configuration needs %d float32s "+
			"(was the checkpoint written with another network or environment?)", ErrBad, name, len(b), want)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Sections lists the section names in sorted order.
func (c *Checkpoint) Sections() []string {
	names := make([]string, 0, len(c.sections))
	for n := range c.sections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns a section, or an error naming it when it is missing.
func (c *Checkpoint) Get(name string) ([]byte, error) {
	b, ok := c.sections[name]
	if !ok {
		return nil, fmt.Errorf("%w: the %s checkpoint has no section %q (it has: %v)",
			ErrBad, c.Kind, name, c.Sections())
	}
	return b, nil
}

// GetJSON decodes a section stored with PutJSON.
func (c *Checkpoint) GetJSON(name string, v any) error {
	b, err := c.Get(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: section %q: %v", ErrBad, name, err)
	}
	return nil
}

// Float64s decodes a section stored with PutFloat64s. want is the expected
// length (-1: any), so that weights of another network shape are refused.
func (c *Checkpoint) Float64s(name string, want int) ([]float64, error) {
	b, err := c.Get(name)
	if err != nil {
		return nil, err
	}
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%w: section %q is %d bytes, not a whole number of float64s", ErrBad, name, len(b))
	}
	if want >= 0 && len(b)/8 != want {
		return nil, fmt.Errorf("%w: section %q holds %d values, this configuration needs %d "+
			"(was the checkpoint written with another network or environment?)", ErrBad, name, len(b)/8, want)
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}

// MarshalBinary encodes the checkpoint in the container format.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	if len(c.Kind) > math.MaxUint16 {
		return nil, errors.New("checkpoint kind is too long")
	}
	var b bytes.Buffer
	b.Write(ckptMagic)
	binary.Write(&b, binary.LittleEndian, uint32(Version))
	writeString16(&b, c.Kind)
	names := c.Sections()
	binary.Write(&b, binary.LittleEndian, uint32(len(names)))
	for _, n := range names {
		if len(n) > math.MaxUint16 {
			return nil, fmt.Errorf("checkpoint section name %.20q... is too long", n)
		}
		writeString16(&b, n)
		binary.Write(&b, binary.LittleEndian, uint64(len(c.sections[n])))
		b.Write(c.sections[n])
	}
	binary.Write(&b, binary.LittleEndian, crcOf(b.Bytes()))
	b.Write(ckptEnd)
	return b.Bytes(), nil
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func writeString16(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint16(len(s)))
	b.WriteString(s)
}

// UnmarshalCheckpoint decodes and verifies a checkpoint; name is used in
// error messages.
func Unmarshal(name string, data []byte) (*Checkpoint, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBad, name, fmt.Sprintf(format, args...))
	}
	if len(data) < len(ckptMagic) || !bytes.Equal(data[:len(ckptMagic)], ckptMagic) {
		return nil, bad("not an xlrl checkpoint (no XLRLCKPT header)")
	}
	minLen := len(ckptMagic) + 4 + 2 + 4 + 4 + len(ckptEnd)
	if len(data) < minLen || !bytes.Equal(data[len(data)-len(ckptEnd):], ckptEnd) {
		return nil, bad("truncated (%d bytes, no end marker): the write was interrupted; "+
			"use an earlier checkpoint or start the run again", len(data))
	}
	body := data[:len(data)-len(ckptEnd)-4]
	sum := binary.LittleEndian.Uint32(data[len(body):])
	if crcOf(body) != sum {
		return nil, bad("corrupted (checksum mismatch): the file was damaged after it was written")
	}
	r := bytes.NewReader(body[len(ckptMagic):])
	var version uint32
	binary.Read(r, binary.LittleEndian, &version)
	if version != Version {
		return nil, bad("format version %d, this xlrl reads version %d: use the xlrl release that wrote it",
			version, Version)
	}
	kind, err := readString16(r)
	if err != nil {
		return nil, bad("header: %v", err)
	}
	c := New(kind)
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, bad("header: %v", err)
	}
	for i := uint32(0); i < n; i++ {
		sec, err := readString16(r)
		if err != nil {
			return nil, bad("section %d: %v", i, err)
		}
		var size uint64
		if err := binary.Read(r, binary.LittleEndian, &size); err != nil {
			return nil, bad("section %q: %v", sec, err)
		}
		if size > uint64(r.Len()) {
			return nil, bad("section %q claims %d bytes, %d are left", sec, size, r.Len())
		}
		buf := make([]byte, size)
		io.ReadFull(r, buf)
		c.Put(sec, buf)
	}
	if r.Len() != 0 {
		return nil, bad("%d unexpected bytes after the last section", r.Len())
	}
	return c, nil
}

func readString16(r *bytes.Reader) (string, error) {
	var n uint16
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", err
	}
	if int(n) > r.Len() {
		return "", fmt.Errorf("name of %d bytes, %d are left", n, r.Len())
	}
	b := make([]byte, n)
	io.ReadFull(r, b)
	return string(b), nil
}

// Write writes c to path atomically.
func Write(path string, c *Checkpoint) error {
	data, err := c.MarshalBinary()
	if err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// Read reads and verifies the checkpoint at path. wantKind, when
// not empty, must match the kind it was written with.
func Read(path, wantKind string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no checkpoint at %s: %w", path, err)
		}
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	c, err := Unmarshal(path, data)
	if err != nil {
		return nil, err
	}
	if wantKind != "" && c.Kind != wantKind {
		return nil, fmt.Errorf("%w: %s holds a %q checkpoint, this needs %q", ErrBad, path, c.Kind, wantKind)
	}
	return c, nil
}

// EnvIdentity says which environment a checkpoint was trained on: its id and
// every setting that changes its dynamics. A checkpoint resumed, or
// evaluated, on another environment is refused.
type EnvIdentity struct {
	ID       string            `json:"id"`
	Map      string            `json:"map,omitempty"`      // FrozenLake's map, as given
	Slippery *bool             `json:"slippery,omitempty"` // nil: the environment's default
	Options  map[string]string `json:"options,omitempty"`  // any other setting, by name
}

func (e EnvIdentity) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// envSection is the section that holds the EnvIdentity.
const envSection = "environment"

// PutEnv records the environment the checkpoint's state was trained on.
func (c *Checkpoint) PutEnv(id EnvIdentity) error { return c.PutJSON(envSection, id) }

// CheckEnv refuses a checkpoint trained on another environment than want,
// naming both, and one that does not say (written before xlrl recorded it).
func (c *Checkpoint) CheckEnv(want EnvIdentity) error {
	if _, ok := c.sections[envSection]; !ok {
		return fmt.Errorf("%w: the checkpoint does not record its environment (an older xlrl wrote it); "+
			"start the run again", ErrBad)
	}
	var got EnvIdentity
	if err := c.GetJSON(envSection, &got); err != nil {
		return err
	}
	if got.String() != want.String() {
		return fmt.Errorf("%w: the checkpoint was trained on the environment %s, this run has %s",
			ErrBad, got, want)
	}
	return nil
}
