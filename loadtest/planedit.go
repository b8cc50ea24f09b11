package loadtest

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/scenarios"
)

// Service-time shapes a calibration can write: the plan takes either a
// p95 or a coefficient of variation next to the mean, not both.
const (
	ShapeCV  = "cv"
	ShapeP95 = "p95"
)

// ApplyCalibration writes cal into the plan file's bytes and returns the new
// bytes: services[cal.Service].serviceTime.mean and .cv (or .p95, by
// shape), and cpu.perRequest and cpu.idle when the calibration has them
// (cpu.observedPerPod, which perRequest replaces, is removed). The YAML is
// edited as a node tree, so comments, key order and the rest of the plan
// stay; the result is parsed and validated as a plan before it is returned.
//
// note, when not empty, becomes the line comment of every value written
// (replacing a comment such as "# assumed" that no longer holds).
func ApplyCalibration(file string, data []byte, cal *Calibration, shape, note string) ([]byte, error) {
	if shape != ShapeCV && shape != ShapeP95 {
		return nil, fmt.Errorf("service-time shape must be %q or %q, got %q", ShapeCV, ShapeP95, shape)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a single YAML mapping (a CapacityPlan)", file)
	}
	services := mapValue(doc.Content[0], "services")
	if services == nil || services.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: no services list", file)
	}
	var svc *yaml.Node
	for _, item := range services.Content {
		if item.Kind == yaml.MappingNode {
			if name := mapValue(item, "name"); name != nil && name.Value == cal.Service {
				svc = item
			}
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("%s: no service named %q", file, cal.Service)
	}

	setScalar := func(m *yaml.Node, key, value, tag string) { setScalarNote(m, key, value, tag, note) }
	st := ensureMap(svc, "serviceTime")
	setScalar(st, "mean", DurationText(cal.MeanService), "!!str")
	if shape == ShapeCV {
		setScalar(st, "cv", strconv.FormatFloat(roundSig(cal.CV, 3), 'g', -1, 64), "!!float")
		deleteKey(st, "p95")
	} else {
		setScalar(st, "p95", DurationText(cal.P95Service), "!!str")
		deleteKey(st, "cv")
	}
	if cal.CPUPerRequest != nil {
		cpu := ensureMap(svc, "cpu")
		setScalar(cpu, "perRequest", DurationText(*cal.CPUPerRequest), "!!str")
		deleteKey(cpu, "observedPerPod")
		if cal.IdleCoresPerPod != nil {
			setScalar(cpu, "idle", fmt.Sprintf("%dm", int64(*cal.IdleCoresPerPod*1000+0.5)), "!!str")
		}
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("%s: encode: %w", file, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	if _, err := scenarios.Parse(file, out); err != nil {
		return nil, fmt.Errorf("the calibrated plan does not validate: %w", err)
	}
	return out, nil
}

func roundSig(x float64, digits int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', digits, 64), 64)
	return v
}

// mapValue returns the value node of key in mapping m, nil when absent.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// ensureMap returns the mapping under key, creating it (block style) when
// absent or null.
func ensureMap(m *yaml.Node, key string) *yaml.Node {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	} else if v != nil {
		*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		return v
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, k, v)
	return v
}

// setScalarNote sets key to value in place (keeping the key's own
// comments) or appends it; a non-empty note becomes the value's line
// comment.
func setScalarNote(m *yaml.Node, key, value, tag, note string) {
	v := mapValue(m, key)
	if v == nil {
		v = &yaml.Node{}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	v.Kind, v.Tag, v.Value, v.Style, v.Content = yaml.ScalarNode, tag, value, 0, nil
	if note != "" {
		v.LineComment = "# " + note
	}
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
