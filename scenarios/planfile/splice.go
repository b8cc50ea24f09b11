package planfile

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// splice makes the changes on the text of data, false when the layout is
// not one it handles: every mapping touched must be a block mapping of the
// service, and every value touched a scalar on its key's line.
func splice(data []byte, svc *yaml.Node, changes []change, note string) ([]byte, bool) {
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
		m := value(svc, c.mapping)
		if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
			return nil, false
		}
		k, v := entry(m, c.key)
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
