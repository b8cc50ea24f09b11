package planfile

import (
	"bytes"
	"strconv"
	"time"
)

// Calibration is what a calibration writes into one service: the measured
// service time and, when CPU was watched, CPU per request and idle CPU.
type Calibration struct {
	Service string
	Mean    time.Duration
	// CV, when set, is written as serviceTime.cv and a p95 removed;
	// otherwise P95 is written and a cv removed (a plan takes one of them).
	CV  *float64
	P95 time.Duration
	// Distribution, when set, is written as serviceTime.distribution.
	Distribution string
	// CPUPerRequest, when set, is written as cpu.perRequest and
	// cpu.observedPerPod, which it replaces, removed; IdleMillicores, when
	// set too, as cpu.idle ("45m").
	CPUPerRequest  *time.Duration
	IdleMillicores *int64
	// Note, when not empty, becomes the line comment of every value
	// written (replacing a comment such as "# assumed" that no longer holds).
	Note string
}

// ApplyCalibration writes c into the plan file data and returns the new
// bytes.
//
// The edit is made on the file's text where it can be: the changed values
// are replaced in their lines, new keys get lines of their own, removed
// keys lose their lines and the comment above them, and everything else
// (comments, alignment, blank lines) stays byte for byte. The splice is
// checked against the same edit made on the YAML node tree; when they
// differ, or the layout is one the splice does not handle (flow mappings,
// multi-line values), the node tree is re-encoded instead, which keeps
// comments and key order but not alignment or blank lines. The caller
// validates the result (scenarios.Parse).
func ApplyCalibration(name string, data []byte, c Calibration) ([]byte, error) {
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	svc, err := f.service(c.Service)
	if err != nil {
		return nil, err
	}
	changes := c.changes(empiricalServiceTime(svc))
	for _, ch := range changes {
		m := ensure(svc, ch.mapping)
		if ch.del {
			remove(m, ch.key)
		} else {
			setScalar(m, ch.key, ch.value, scalarTag(ch.value), c.Note)
		}
	}
	treeOut, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	// The splice works on the original tree's positions, so parse again.
	if g, err := Parse(name, data); err == nil {
		if orig, err := g.service(c.Service); err == nil {
			if spliced, ok := splice(data, orig, changes, c.Note); ok && sameTree(name, spliced, c.Service, treeOut) {
				return spliced, nil
			}
		}
	}
	return treeOut, nil
}

// sameTree reports whether spliced, parsed and re-encoded, is want.
func sameTree(name string, spliced []byte, service string, want []byte) bool {
	g, err := Parse(name, spliced)
	if err != nil {
		return false
	}
	if _, err := g.service(service); err != nil {
		return false
	}
	b, err := encode(&g.doc)
	return err == nil && bytes.Equal(b, want)
}

// change sets (or deletes) key of the mapping named mapping under the
// service.
type change struct {
	mapping, key, value string
	del                 bool
}

// changes lists c's edits in the order they are made.
func (c Calibration) changes(empirical bool) []change {
	var out []change
	put := func(m, key, value string) { out = append(out, change{m, key, value, false}) }
	del := func(m, key string) { out = append(out, change{m, key, "", true}) }
	put("serviceTime", "mean", c.Mean.String())
	if c.CV != nil {
		put("serviceTime", "cv", strconv.FormatFloat(*c.CV, 'g', -1, 64))
		del("serviceTime", "p95")
	} else {
		put("serviceTime", "p95", c.P95.String())
		del("serviceTime", "cv")
	}
	if c.Distribution != "" {
		put("serviceTime", "distribution", c.Distribution)
	}
	if empirical {
		// The fitted mean and p95 (or cv) replace a measured histogram.
		del("serviceTime", "histogram")
		if c.Distribution == "" {
			del("serviceTime", "distribution")
		}
	}
	if c.CPUPerRequest != nil {
		put("cpu", "perRequest", c.CPUPerRequest.String())
		del("cpu", "observedPerPod")
		if c.IdleMillicores != nil {
			put("cpu", "idle", millicores(*c.IdleMillicores))
		}
	}
	return out
}

// scalarTag is the tag of a value written as text: an integer, a float or
// a string.
func scalarTag(v string) string {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return "!!float"
	}
	return "!!str"
}
