package hdrcodec

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestDecode_RoundTrip decodes what hdrhistogram-go encodes, for several
// ranges and precisions, and gets the same counts back.
func TestDecode_RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		lo, hi int64
		sf     int
	}{{1, 3_600_000_000, 3}, {1, 2, 1}, {1000, 1 << 40, 2}, {1, math.MaxInt64, 3}, {7, 1 << 20, 4}} {
		h := hdrhistogram.New(tc.lo, tc.hi, tc.sf)
		for range 5000 {
			v := tc.lo + rng.Int64N(min(tc.hi-tc.lo, 1<<30))
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(enc)
		if err != nil {
			t.Fatalf("lo=%d hi=%d sf=%d: %v", tc.lo, tc.hi, tc.sf, err)
		}
		if !got.Equals(h) {
			t.Errorf("lo=%d hi=%d sf=%d: decoded histogram differs (total %d, want %d)", tc.lo, tc.hi, tc.sf, got.TotalCount(), h.TotalCount())
		}
	}
}

// TestCountsLen holds countsLen to the length hdrhistogram.New allocates.
func TestCountsLen(t *testing.T) {
	l := Limits{MaxEncodedBytes: 1 << 20, MaxCounts: math.MaxInt32}
	for sf := int64(1); sf <= 5; sf++ {
		for _, lo := range []int64{1, 2, 3, 1000, 1 << 20, 1 << 30} {
			for _, hi := range []int64{2 * lo, 10 * lo, lo << 10, 3_600_000_000_000, math.MaxInt64} {
				if hi < 2*lo {
					continue
				}
				n, err := l.countsLen(shape{SignificantFigures: sf, Lowest: lo, Highest: hi})
				if err != nil {
					continue
				}
				if want := len(hdrhistogram.New(lo, hi, int(sf)).Export().Counts); n != want {
					t.Errorf("countsLen(sf=%d, %d..%d) = %d, want %d", sf, lo, hi, n, want)
				}
			}
		}
	}
}

// encode builds a V2 compressed encoding from its fields, so that tests
// can write what hdrhistogram-go would never produce.
func encode(sf int32, lo, hi int64, payloadLen int32, payload []byte) []byte {
	var inner bytes.Buffer
	for _, v := range []any{int32(encodingCookieBase | 0x10), payloadLen, int32(0), sf, lo, hi, float64(1)} {
		_ = binary.Write(&inner, binary.BigEndian, v)
	}
	inner.Write(payload)
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(inner.Bytes())
	w.Close()
	var out bytes.Buffer
	_ = binary.Write(&out, binary.BigEndian, int32(compressedCookieBase|0x10))
	_ = binary.Write(&out, binary.BigEndian, int32(z.Len()))
	out.Write(z.Bytes())
	return []byte(base64.StdEncoding.EncodeToString(out.Bytes()))
}

// TestDecode_Hostile: inputs that panic, hang or exhaust memory in
// hdrhistogram-go's Decode give an error here.
func TestDecode_Hostile(t *testing.T) {
	ones := bytes.Repeat([]byte{2}, 100) // 100 counts of 1
	bomb := make([]byte, 64<<20)         // 64 MiB of zeros inflate from ~64 kB
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"more counts than the range", encode(1, 1, 2, 100, ones), "more counts than the"},
		{"lowest 2^60 (the library loops)", encode(3, 1<<60, math.MaxInt64, 0, nil), "too large for 3 significant figures"},
		{"lowest 0", encode(3, 0, 1000, 0, nil), "lowest trackable value must be at least 1"},
		{"highest below twice lowest", encode(3, 10, 15, 0, nil), "at least twice the lowest"},
		{"significant figures 9", encode(9, 1, 1000, 0, nil), "significant figures must be 1 to 5"},
		{"zlib bomb", encode(3, 1, 3_600_000_000, int32(len(bomb)), bomb), "payload of 67108864 bytes for 23552 buckets"},
		{"payload shorter than declared", encode(3, 1, 1000, 50, ones[:10]), "50 bytes declared"},
		{"payload longer than declared", encode(3, 1, 1000, 5, ones[:10]), "longer than the 5 bytes declared"},
		{"empty run past the end", encode(1, 1, 2, 1, []byte{0x7f}), "empty buckets run past"},
		{"truncated varint", encode(3, 1, 1000, 1, []byte{0x80}), "truncated count"},
		{"a run of -MinInt64 empty buckets", encode(3, 1, 1000, 9, bytes.Repeat([]byte{0xff}, 9)), "empty buckets run past"},
		{"bad zlib checksum", badChecksum(encode(3, 1, 1000, 1, []byte{2})), "compressed payload: zlib: invalid checksum"},
		{"huge range", encode(5, 1, math.MaxInt64, 0, nil), "above the limit"},
		{"not base64", []byte("!!!"), "not base64"},
		{"short", []byte(base64.StdEncoding.EncodeToString([]byte{1, 2, 3})), "shorter than the 8-byte header"},
		{"wrong cookie", []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))), "not HdrHistogram's V2 compressed encoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzDecode: no input panics or hangs, and whatever decodes re-encodes to
// a histogram that decodes equal.
func FuzzDecode(f *testing.F) {
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for _, v := range []int64{1, 50, 1000, 123456, 3_000_000} {
		_ = h.RecordValue(v)
	}
	enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	f.Add(enc)
	f.Add(encode(1, 1, 2, 100, bytes.Repeat([]byte{2}, 100)))
	f.Add(encode(3, 1<<60, math.MaxInt64, 0, nil))
	f.Add(encode(3, 1, 1000, 3, []byte{2, 0x7f, 4}))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Limits{MaxEncodedBytes: 1 << 16, MaxCounts: 1 << 16}.Decode(in)
		if err != nil {
			return
		}
		again, err := got.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := Decode(again)
		if err != nil || !back.Equals(got) {
			t.Fatalf("re-encoded histogram decodes to %v, %v", back, err)
		}
	})
}

// badChecksum flips the last byte of an encoding's zlib stream (its
// Adler-32 checksum).
func badChecksum(enc []byte) []byte {
	raw, err := base64.StdEncoding.DecodeString(string(enc))
	if err != nil {
		panic(err)
	}
	raw[len(raw)-1] ^= 0xff
	return []byte(base64.StdEncoding.EncodeToString(raw))
}
