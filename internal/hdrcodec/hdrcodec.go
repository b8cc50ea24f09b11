// Package hdrcodec decodes HdrHistogram's V2 compressed encoding (the base64
// strings load-test result files carry) with every length and range checked
// before anything is allocated, so a hostile or corrupt file yields an error
// instead of a panic, an endless loop or gigabytes of memory.
//
// The format is HdrHistogram's "V2 compressed" encoding as specified by the
// reference implementation (HdrHistogram/HdrHistogram, AbstractHistogram
// encodeIntoCompressedByteBuffer) and implemented by
// github.com/HdrHistogram/hdrhistogram-go (hdr_encoding.go):
//
//	int32  compressed cookie (0x1c849304 | word size)   big-endian
//	int32  length of the zlib stream that follows
//	zlib(  int32  cookie (0x1c849303 | word size)
//	       int32  payload length
//	       int32  normalizing index offset
//	       int32  significant figures
//	       int64  lowest discernible value
//	       int64  highest trackable value
//	       float64 integer-to-double conversion ratio
//	       payload: counts as ZigZag LEB128 varints (at most 9 bytes each);
//	                a negative value n stands for -n empty buckets )
//
// hdrhistogram-go's own Decode trusts these fields: a payload with more
// counts than the declared range indexes out of range, a lowest value of
// 2^62 makes its bucket computation overflow and loop forever, and the zlib
// stream is inflated without a bound. Decode here checks them first and
// builds the histogram through hdrhistogram.Import.
package hdrcodec

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
)

const (
	compressedCookieBase = 0x1c849304
	encodingCookieBase   = 0x1c849303
	headerSize           = 40
)

// Limits bound what Decode accepts.
type Limits struct {
	// MaxEncodedBytes bounds the base64 text.
	MaxEncodedBytes int
	// MaxCounts bounds the histogram's bucket array (entries of 8 bytes),
	// which follows from its range and precision.
	MaxCounts int
}

// DefaultLimits accept any histogram of up to 4 Mi buckets (32 MiB; a
// microsecond histogram up to one hour at 3 significant figures has 23 552)
// and 16 MiB of text.
var DefaultLimits = Limits{MaxEncodedBytes: 16 << 20, MaxCounts: 4 << 20}

// shape is the decoded histogram's declared range and precision.
type shape struct {
	SignificantFigures int64
	Lowest, Highest    int64
}

// Decode decodes a base64 V2 compressed histogram within DefaultLimits.
func Decode(encoded []byte) (*hdrhistogram.Histogram, error) {
	return DefaultLimits.Decode(encoded)
}

// Decode decodes a base64 V2 compressed histogram within l.
func (l Limits) Decode(encoded []byte) (h *hdrhistogram.Histogram, err error) {
	// The last line of defence: whatever the checks below miss, a library
	// panic becomes an error.
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("corrupt histogram: %v", r)
		}
	}()
	if len(encoded) > l.MaxEncodedBytes {
		return nil, fmt.Errorf("encoded histogram is %d bytes, above the limit of %d", len(encoded), l.MaxEncodedBytes)
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(encoded)))
	n, err := base64.StdEncoding.Decode(raw, encoded)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	raw = raw[:n]
	if len(raw) < 8 {
		return nil, fmt.Errorf("%d bytes, shorter than the 8-byte header", len(raw))
	}
	if c := int32(binary.BigEndian.Uint32(raw)) &^ 0xf0; c != compressedCookieBase {
		return nil, fmt.Errorf("cookie %#x is not HdrHistogram's V2 compressed encoding (%#x)", c, compressedCookieBase)
	}
	zlen := int64(int32(binary.BigEndian.Uint32(raw[4:])))
	if zlen <= 0 || zlen > int64(len(raw)-8) {
		return nil, fmt.Errorf("declares %d compressed bytes, has %d", zlen, len(raw)-8)
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8 : 8+zlen]))
	if err != nil {
		return nil, fmt.Errorf("compressed payload: %w", err)
	}
	defer z.Close()

	var hdr [headerSize]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return nil, fmt.Errorf("compressed payload: header: %w", err)
	}
	h0, payloadLen, err := l.header(hdr[:])
	if err != nil {
		return nil, err
	}
	countsLen, err := l.countsLen(h0)
	if err != nil {
		return nil, err
	}
	// Each count takes at least one byte; a longer payload cannot be valid,
	// so the inflation stops there.
	if payloadLen > int64(countsLen)*9 {
		return nil, fmt.Errorf("payload of %d bytes for %d buckets", payloadLen, countsLen)
	}
	payload := make([]byte, payloadLen)
	if _, err := io.ReadFull(z, payload); err != nil {
		return nil, fmt.Errorf("compressed payload: %d bytes declared: %w", payloadLen, err)
	}
	// Reading on to the end checks the zlib checksum too.
	switch n, err := io.ReadFull(z, make([]byte, 1)); {
	case n != 0:
		return nil, fmt.Errorf("compressed payload: longer than the %d bytes declared", payloadLen)
	case err != io.EOF:
		return nil, fmt.Errorf("compressed payload: %w", err)
	}
	counts, err := decodeCounts(payload, countsLen)
	if err != nil {
		return nil, err
	}
	return hdrhistogram.Import(&hdrhistogram.Snapshot{
		LowestTrackableValue:  h0.Lowest,
		HighestTrackableValue: h0.Highest,
		SignificantFigures:    h0.SignificantFigures,
		Counts:                counts,
	}), nil
}

// header reads and checks the 40-byte inner header.
func (l Limits) header(b []byte) (shape, int64, error) {
	if c := int32(binary.BigEndian.Uint32(b)) &^ 0xf0; c != encodingCookieBase {
		return shape{}, 0, fmt.Errorf("inner cookie %#x is not HdrHistogram's V2 encoding (%#x)", c, encodingCookieBase)
	}
	payloadLen := int64(int32(binary.BigEndian.Uint32(b[4:])))
	if off := int32(binary.BigEndian.Uint32(b[8:])); off != 0 && off != 1 {
		return shape{}, 0, fmt.Errorf("normalizing index offset %d is not supported", off)
	}
	h := shape{
		SignificantFigures: int64(int32(binary.BigEndian.Uint32(b[12:]))),
		Lowest:             int64(binary.BigEndian.Uint64(b[16:])),
		Highest:            int64(binary.BigEndian.Uint64(b[24:])),
	}
	if ratio := math.Float64frombits(binary.BigEndian.Uint64(b[32:])); math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return shape{}, 0, fmt.Errorf("conversion ratio %g is not finite", ratio)
	}
	switch {
	case payloadLen < 0:
		return shape{}, 0, fmt.Errorf("negative payload length %d", payloadLen)
	case h.SignificantFigures < 1 || h.SignificantFigures > 5:
		return shape{}, 0, fmt.Errorf("significant figures must be 1 to 5, got %d", h.SignificantFigures)
	case h.Lowest < 1:
		return shape{}, 0, fmt.Errorf("lowest trackable value must be at least 1, got %d", h.Lowest)
	case h.Highest < 2 || h.Highest/2 < h.Lowest:
		return shape{}, 0, fmt.Errorf("highest trackable value %d must be at least twice the lowest %d", h.Highest, h.Lowest)
	}
	return h, payloadLen, nil
}

// countsLen is the length of the bucket array hdrhistogram.New allocates
// for h (hdr.go New), computed without allocating it and without the
// overflow that makes New loop when the lowest value is near 2^63.
func (l Limits) countsLen(h shape) (int, error) {
	subBucketCountMagnitude := int(math.Ceil(math.Log2(2 * math.Pow10(int(h.SignificantFigures)))))
	subBucketCount := int64(1) << subBucketCountMagnitude
	unitMagnitude := int(math.Floor(math.Log2(float64(h.Lowest))))
	if unitMagnitude+subBucketCountMagnitude > 61 {
		return 0, fmt.Errorf("lowest trackable value %d is too large for %d significant figures", h.Lowest, h.SignificantFigures)
	}
	smallestUntrackable := subBucketCount << unitMagnitude
	buckets := int64(1)
	for smallestUntrackable < h.Highest {
		if smallestUntrackable > math.MaxInt64/2 {
			buckets++
			break
		}
		smallestUntrackable <<= 1
		buckets++
	}
	n := (buckets + 1) * (subBucketCount / 2)
	if n > int64(l.MaxCounts) {
		return 0, fmt.Errorf("range %d..%d at %d significant figures needs %d buckets, above the limit of %d", h.Lowest, h.Highest, h.SignificantFigures, n, l.MaxCounts)
	}
	return int(n), nil
}

var errTruncated = errors.New("truncated count")

// decodeCounts expands the ZigZag LEB128 payload into exactly n counts.
func decodeCounts(payload []byte, n int) ([]int64, error) {
	counts := make([]int64, n)
	var total int64
	idx := 0
	for pos := 0; pos < len(payload); {
		v, w, err := zigzag(payload[pos:])
		if err != nil {
			return nil, fmt.Errorf("payload byte %d: %w", pos, err)
		}
		pos += w
		if v < 0 {
			if v == math.MinInt64 || -v > int64(n-idx) {
				return nil, fmt.Errorf("payload byte %d: %d empty buckets run past the %d the range has", pos-w, -v, n)
			}
			idx += int(-v)
			continue
		}
		if idx >= n {
			return nil, fmt.Errorf("payload byte %d: more counts than the %d buckets the declared range has", pos-w, n)
		}
		if v > math.MaxInt64-total {
			return nil, fmt.Errorf("payload byte %d: total count overflows", pos-w)
		}
		total += v
		counts[idx] = v
		idx++
	}
	return counts, nil
}

// zigzag reads one ZigZag-encoded LEB128 varint of at most 9 bytes (the
// ninth carries 8 bits), HdrHistogram's ZigZagEncoding.
func zigzag(b []byte) (int64, int, error) {
	var u uint64
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0, errTruncated
		}
		if i == 8 {
			u |= uint64(b[i]) << 56
			return int64(u>>1) ^ -int64(u&1), 9, nil
		}
		u |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return int64(u>>1) ^ -int64(u&1), i + 1, nil
		}
	}
	panic("unreachable")
}
