package verify

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/yamlmap"

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
// (cpu.observedPerPod, which perRequest replaces, is removed).
//
// The edit is made on the file's text where it can be: the changed values
// are replaced in their lines, new keys get lines of their own, removed
// keys lose their lines and the comment above them, and everything else
// (comments, alignment, blank lines) stays byte for byte. The splice is
// checked against the same edit made on the YAML node tree; when they
// differ, or the layout is one the splice does not handle (flow mappings,
// multi-line values), the node tree is re-encoded instead, which keeps
// comments and key order but not alignment or blank lines. Either way the
// result is parsed and validated as a plan before it is returned.
//
// note, when not empty, becomes the line comment of every value written
// (replacing a comment such as "# assumed" that no longer holds).
func ApplyCalibration(file string, data []byte, cal *Calibration, shape, note string) ([]byte, error) {
	if shape != ShapeCV && shape != ShapeP95 {
		return nil, fmt.Errorf("service-time shape must be %q or %q, got %q", ShapeCV, ShapeP95, shape)
	}
	var changes []planChange
	set := func(m, key, value string) { changes = append(changes, planChange{m, key, value, false}) }
	del := func(m, key string) { changes = append(changes, planChange{m, key, "", true}) }
	set("serviceTime", "mean", DurationText(cal.MeanService))
	if shape == ShapeCV {
		set("serviceTime", "cv", strconv.FormatFloat(roundSig(cal.CV, 3), 'g', -1, 64))
		del("serviceTime", "p95")
	} else {
		set("serviceTime", "p95", DurationText(cal.P95Service))
		del("serviceTime", "cv")
	}
	if cal.CPUPerRequest != nil {
		set("cpu", "perRequest", DurationText(*cal.CPUPerRequest))
		del("cpu", "observedPerPod")
		if cal.IdleCoresPerPod != nil {
			set("cpu", "idle", fmt.Sprintf("%dm", int64(*cal.IdleCoresPerPod*1000+0.5)))
		}
	}

	doc, svc, err := findService(file, data, cal.Service)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		m := yamlmap.Ensure(svc, c.mapping)
		if c.del {
			yamlmap.Delete(m, c.key)
		} else {
			setScalarNote(m, c.key, c.value, scalarTag(c.value), note)
		}
	}
	treeOut, err := encodeYAML(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", file, err)
	}
	out := treeOut
	if _, orig, err := findService(file, data, cal.Service); err == nil {
		if spliced, ok := splice(data, orig, changes, note); ok {
			if sdoc, _, err := findService(file, spliced, cal.Service); err == nil {
				if b, err := encodeYAML(sdoc); err == nil && bytes.Equal(b, treeOut) {
					out = spliced
				}
			}
		}
	}
	if _, err := scenarios.Parse(file, out); err != nil {
		return nil, fmt.Errorf("the calibrated plan does not validate: %w", err)
	}
	return out, nil
}

// planChange sets (or deletes) key of the mapping named mapping under the
// service.
type planChange struct {
	mapping, key, value string
	del                 bool
}

func findService(file string, data []byte, name string) (*yaml.Node, *yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: not a single YAML mapping (a CapacityPlan)", file)
	}
	services := yamlmap.Value(doc.Content[0], "services")
	if services == nil || services.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("%s: no services list", file)
	}
	var svc *yaml.Node
	for _, item := range services.Content {
		if item.Kind == yaml.MappingNode {
			if n := yamlmap.Value(item, "name"); n != nil && n.Value == name {
				svc = item
			}
		}
	}
	if svc == nil {
		return nil, nil, fmt.Errorf("%s: no service named %q", file, name)
	}
	return &doc, svc, nil
}

func encodeYAML(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func scalarTag(v string) string {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return "!!int"
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return "!!float"
	}
	return "!!str"
}

// splice makes the changes on the text of data, false when the layout is
// not one it handles: every mapping touched must be a block mapping of the
// service, and every value touched a scalar on its key's line.
func splice(data []byte, svc *yaml.Node, changes []planChange, note string) ([]byte, bool) {
	lines := strings.Split(string(data), "\n")
	// Edits refer to the original line numbers: replaced lines, deleted
	// lines and lines inserted after a line, applied in one pass at the end.
	replaced := map[int]string{}
	deleted := map[int]bool{}
	after := map[int][]string{}
	comment := ""
	if note != "" {
		comment = "# " + note
	}
	for _, c := range changes {
		m := yamlmap.Value(svc, c.mapping)
		if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
			return nil, false
		}
		k, v := yamlmap.Entry(m, c.key)
		switch {
		case c.del && k == nil:
			continue
		case c.del:
			if v.Kind != yaml.ScalarNode || v.Line != k.Line {
				return nil, false
			}
			from := k.Line - 1
			if k.HeadComment != "" {
				from -= strings.Count(k.HeadComment, "\n") + 1
			}
			if from < 0 {
				return nil, false
			}
			for l := from; l < k.Line-1; l++ {
				if !strings.HasPrefix(strings.TrimSpace(lines[l]), "#") {
					return nil, false
				}
			}
			for l := from; l < k.Line; l++ {
				deleted[l] = true
			}
		case k != nil:
			if v.Kind != yaml.ScalarNode || v.Line != k.Line || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.FlowStyle) != 0 {
				return nil, false
			}
			l := v.Line - 1
			line := []rune(lines[l])
			col := v.Column - 1
			raw := []rune(v.Value)
			if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
				q := '"'
				if v.Style&yaml.SingleQuotedStyle != 0 {
					q = '\''
				}
				raw = append(append([]rune{q}, raw...), q)
			}
			if col < 0 || col+len(raw) > len(line) || string(line[col:col+len(raw)]) != string(raw) {
				return nil, false
			}
			rest := string(line[col+len(raw):])
			trimmed := strings.TrimLeft(rest, " \t")
			if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
				return nil, false
			}
			newLine := string(line[:col]) + c.value
			switch {
			case comment == "":
				newLine += rest
			case trimmed == "":
				newLine += " " + comment
			default:
				commentCol := col + len(raw) + len(rest) - len(trimmed)
				pad := max(1, commentCol-len([]rune(newLine)))
				newLine += strings.Repeat(" ", pad) + comment
			}
			replaced[l] = newLine
		default:
			first := m.Content[0]
			last := m.Content[len(m.Content)-1]
			lk := m.Content[len(m.Content)-2]
			if last.Kind != yaml.ScalarNode || last.Line != lk.Line {
				return nil, false
			}
			l := last.Line - 1
			text := strings.Repeat(" ", first.Column-1) + c.key + ": " + c.value
			if comment != "" {
				text += " " + comment
			}
			after[l] = append(after[l], text)
		}
	}
	var out []string
	for i, line := range lines {
		if r, ok := replaced[i]; ok {
			line = r
		}
		if !deleted[i] {
			out = append(out, line)
		}
		out = append(out, after[i]...)
	}
	return []byte(strings.Join(out, "\n")), true
}

func roundSig(x float64, digits int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', digits, 64), 64)
	return v
}

// setScalarNote sets key to value in place (keeping the key's own
// comments) or appends it; a non-empty note becomes the value's line
// comment.
func setScalarNote(m *yaml.Node, key, value, tag, note string) {
	v := yamlmap.Value(m, key)
	if v == nil {
		v = &yaml.Node{}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	v.Kind, v.Tag, v.Value, v.Style, v.Content = yaml.ScalarNode, tag, value, 0, nil
	if note != "" {
		v.LineComment = "# " + note
	}
}
