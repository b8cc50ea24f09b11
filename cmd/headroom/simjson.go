package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/headroom-dev/headroom/sim"
)

// simJSON writes `simulate -o json` as it comes: the same bytes as
// printJSON(w, results) would write for the whole slice, one scenario at a
// time, each service encoded on its own and its series sample by sample,
// so that neither the indented document nor more than the scenarios in
// flight are held in memory. A 200-service week at one sample a minute is
// two million samples, a gigabyte and a half of JSON.
type simJSON struct {
	w   *bufio.Writer
	n   int // results written
	buf []byte
}

func newSimJSON(w io.Writer) *simJSON {
	return &simJSON{w: bufio.NewWriterSize(w, 1<<20)}
}

// The indentation printJSON's json.MarshalIndent(v, "", "  ") gives a
// []*sim.Result: a result's fields at depth 2, a service's at 4, a
// sample's at 6.
const (
	resultPrefix  = "  "
	servicePrefix = "      "
	samplePrefix  = "          "
)

// write adds one result.
func (e *simJSON) write(r *sim.Result) error {
	if e.n == 0 {
		e.w.WriteString("[\n" + resultPrefix)
	} else {
		e.w.WriteString(",\n" + resultPrefix)
	}
	e.n++
	head := *r
	head.Services = nil
	b, err := json.MarshalIndent(&head, resultPrefix, "  ")
	if err != nil {
		return err
	}
	before, after, err := splitNull(b, "\n"+resultPrefix+"  \"services\": ")
	if err != nil || r.Services == nil {
		e.w.Write(b)
		return err
	}
	e.w.Write(before)
	if len(r.Services) == 0 {
		e.w.WriteString("[]")
	} else {
		e.w.WriteString("[\n")
		for i := range r.Services {
			if i > 0 {
				e.w.WriteString(",\n")
			}
			e.w.WriteString(servicePrefix)
			if err := e.service(&r.Services[i]); err != nil {
				return err
			}
		}
		e.w.WriteString("\n" + resultPrefix + "  ]")
	}
	e.w.Write(after)
	return nil
}

// service writes one service of a result, its series sample by sample.
func (e *simJSON) service(s *sim.ServiceResult) error {
	head := *s
	head.Series = nil
	b, err := json.MarshalIndent(&head, servicePrefix, "  ")
	if err != nil {
		return err
	}
	before, after, err := splitNull(b, "\n"+servicePrefix+"  \"series\": ")
	if err != nil || s.Series == nil {
		e.w.Write(b)
		return err
	}
	e.w.Write(before)
	if len(s.Series) == 0 {
		e.w.WriteString("[]")
	} else {
		e.w.WriteString("[\n")
		for i := range s.Series {
			e.buf = e.buf[:0]
			if i > 0 {
				e.buf = append(e.buf, ",\n"...)
			}
			if e.buf, err = appendSample(e.buf, &s.Series[i], samplePrefix); err != nil {
				return err
			}
			e.w.Write(e.buf)
		}
		e.w.WriteString("\n" + servicePrefix + "  ]")
	}
	e.w.Write(after)
	return nil
}

// close ends the array and flushes.
func (e *simJSON) close() error {
	if e.n == 0 {
		e.w.WriteString("null\n") // printJSON of a nil slice
	} else {
		e.w.WriteString("\n]\n")
	}
	return e.w.Flush()
}

// splitNull cuts b around the null that key (a field's line up to its
// value) has in it: the field of the slice left out to be streamed. A
// string value cannot contain key, its quotes being escaped there.
func splitNull(b []byte, key string) (before, after []byte, err error) {
	i := bytes.Index(b, []byte(key+"null"))
	if i < 0 {
		return nil, nil, fmt.Errorf("encoding the simulation: no %q in the result's JSON", key)
	}
	i += len(key)
	return b[:i], b[i+len("null"):], nil
}

// appendSample appends s as json.MarshalIndent writes a sim.Sample at
// prefix (its fields one level deeper), field by field in the struct's
// order; TestSimJSON_SameBytesAsMarshalIndent holds it to MarshalIndent
// and to the struct's fields.
func appendSample(b []byte, s *sim.Sample, prefix string) ([]byte, error) {
	in := prefix + "  "
	var err error
	num := func(key string, v float64, last bool) {
		b = append(b, in...)
		b = append(b, key...)
		if b, err = appendJSONFloat(b, v, err); !last {
			b = append(b, ",\n"...)
		}
	}
	b = append(b, prefix...)
	b = append(b, "{\n"...)
	b = append(b, in...)
	b = append(b, `"tSeconds": `...)
	b = strconv.AppendFloat(b, s.T.Seconds(), 'f', -1, 64) // scenarios.Seconds.MarshalJSON
	b = append(b, ",\n"...)
	num(`"lambda": `, s.Lambda, false)
	b = append(b, in...)
	b = append(b, `"desired": `...)
	b = strconv.AppendInt(b, int64(s.Desired), 10)
	b = append(b, ",\n"...)
	b = append(b, in...)
	b = append(b, `"ready": `...)
	b = strconv.AppendInt(b, int64(s.Ready), 10)
	b = append(b, ",\n"...)
	b = append(b, in...)
	b = append(b, `"pending": `...)
	b = strconv.AppendInt(b, int64(s.Pending), 10)
	b = append(b, ",\n"...)
	num(`"cpuUtilization": `, s.CPUUtilisation, false)
	num(`"memoryUtilization": `, s.MemoryUtilisation, false)
	if len(s.HPAMetrics) > 0 { // omitempty
		b = append(b, in...)
		b = append(b, `"hpaMetrics": [`...)
		for i, v := range s.HPAMetrics {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = append(b, in...)
			b = append(b, "  "...)
			b, err = appendJSONFloat(b, v, err)
		}
		b = append(b, '\n')
		b = append(b, in...)
		b = append(b, "],\n"...)
	}
	num(`"p50": `, s.P50, false)
	num(`"p95": `, s.P95, false)
	num(`"p99": `, s.P99, false)
	num(`"queue": `, s.Queue, false)
	num(`"errors": `, s.Errors, false)
	num(`"errorRate": `, s.ErrorRate, false)
	num(`"slow": `, s.Slow, false)
	b = append(b, in...)
	b = append(b, `"sloViolated": `...)
	b = strconv.AppendBool(b, s.SLOViolated)
	b = append(b, '\n')
	b = append(b, prefix...)
	b = append(b, '}')
	return b, err
}

// appendJSONFloat appends v as encoding/json writes a float64: the
// shortest representation, in exponent form below 1e-6 and from 1e21 on
// with a one-digit negative exponent cleaned up (1e-07 → 1e-7). NaN and
// ±Inf, which encoding/json refuses, set err (if it is not set yet).
func appendJSONFloat(b []byte, v float64, err error) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if err == nil {
			err = &json.UnsupportedValueError{Str: strconv.FormatFloat(v, 'g', -1, 64)}
		}
		return append(b, '0'), err
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, v, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, err
}
