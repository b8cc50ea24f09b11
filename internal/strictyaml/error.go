package strictyaml

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one field of a document. Path is the field
// path ("services[noa-mcp].hpa.maxReplicas", see Index); File, Line and
// Column locate it in the source when the document was decoded from a file
// (Line 0 means unknown). Msg says what is wrong and, where it can, what is
// allowed.
//
// Decode returns these, and so may a caller's own validation of the decoded
// value: Index.Locate fills in the positions from the paths, so that both
// kinds of problem read the same (file:line:column: path: message).
type FieldError struct {
	File   string
	Line   int
	Column int
	Path   string
	Msg    string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldErrors is a list of problems found in one document, reported
// together so a user can fix them in one pass.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
