package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// commentText makes s safe as the text of a "# …" line in YAML or sh: every
// character that could end the line (YAML 1.2 §5.4 line breaks, and NEL,
// U+2028 and U+2029, which YAML 1.1 readers also break on), every other
// control character and every byte that is not UTF-8 (a YAML stream must be
// Unicode, §5.2) is written as a Go-style escape. Printable text is
// unchanged.
func commentText(s string) string {
	if !strings.ContainsFunc(s, unsafeInComment) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeInComment(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func unsafeInComment(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff'
}

// shellQuote quotes s as one sh word (POSIX sh, "Quoting" §2.2): bare when
// it holds only characters no shell treats specially, else in single
// quotes, each ' written as '\”.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// meta is an object's metadata; a namespace only when the plan names one
// (without it, kubectl and headroom apply use the current namespace).
func meta(name, namespace string, labels map[string]any) map[string]any {
	m := map[string]any{"name": name}
	if namespace != "" {
		m["namespace"] = namespace
	}
	if labels != nil {
		m["labels"] = labels
	}
	return m
}

// namespaceArgs are kubectl's -n NS, or nothing without a namespace (in a
// CronJob's pod kubectl then uses the pod's own namespace, the CronJob's).
func namespaceArgs(ns string) []string {
	if ns == "" {
		return nil
	}
	return []string{"-n", ns}
}

// nsName is namespace/name, or name alone.
func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// checkFileName accepts a patch file's path only when it lies where the
// writer puts files (the top, or under one of the component directories,
// manifests/, or prescale/<window>/raise|restore/ for --prescale-with git) and every element is
// a plain file name: letters, digits, '.', '-' and '_', not "." or "..", at
// most 255 bytes. The plan's names are DNS labels by the time they get
// here; this is the writer not trusting it.
func checkFileName(p string) error {
	els := strings.Split(p, "/")
	where := len(els) == 1 || (len(els) == 2 && patchDirs[els[0]]) ||
		(len(els) == 4 && els[0] == "prescale" && (els[2] == "raise" || els[2] == "restore"))
	for _, el := range els {
		ok := where && el != "" && el != "." && el != ".." && len(el) <= 255 && !strings.ContainsFunc(el, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
		})
		if !ok {
			q := p
			if len(q) > 80 {
				q = fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(q[:80], ""), len(p))
			}
			return fmt.Errorf("patch file %q: a name of the plan (service, workload, scenario, event or namespace) cannot name a file; names must be DNS labels", q)
		}
	}
	return nil
}

// spaced writes the JSON text js to b with a space after each ':' and ','
// between tokens (the runbook's spacing), leaving strings as the encoder
// wrote them: it re-emits tokens, so text inside a string is never touched.
func spaced(b *strings.Builder, js []byte) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	type level struct {
		object bool
		n      int // tokens written at this level
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			b.WriteRune(rune(d))
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				b.WriteString(": ")
			case top.n > 0:
				b.WriteString(", ")
			}
			top.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			b.WriteRune(rune(v))
			stack = append(stack, level{object: v == '{'})
		case string:
			q, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b.Write(q)
		case json.Number:
			b.WriteString(v.String())
		case bool:
			fmt.Fprint(b, v)
		case nil:
			b.WriteString("null")
		}
	}
}

// checkNames refuses a name that JSON and YAML cannot carry: invalid UTF-8
// (the encoders would replace it, and a patch would name another object or
// container than the plan's) or a control character JSON leaves unescaped
// (DEL, C1) or U+FEFF, which a YAML stream may not hold (YAML 1.2 §5.1).
// Other control characters (a newline) are escaped by the encoders and in
// comments; the name then names no file (checkFileName).
func checkNames(plan *scenarios.Plan, rep *record.Review) error {
	check := func(what, s string) error {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xfeff }) {
			return fmt.Errorf("%s %s is not UTF-8 or holds a control character", what, strconv.QuoteToASCII(cutName(s)))
		}
		return nil
	}
	for i := range plan.Services {
		s := &plan.Services[i]
		for _, f := range []struct{ what, v string }{
			{"service", s.Name}, {"namespace", s.Namespace}, {"workload", s.WorkloadRef.Name},
			{"workload kind", s.WorkloadRef.Kind}, {"HPA name", s.HPAName}, {"container", s.Container},
		} {
			if err := check(f.what, f.v); err != nil {
				return err
			}
		}
	}
	for _, ev := range rep.Events {
		if err := check("event", ev.Event.Name); err != nil {
			return err
		}
		for _, ps := range ev.PreScales {
			for _, v := range []string{ps.Service, ps.Namespace, ps.TargetKind, ps.TargetName} {
				if err := check("event "+ev.Event.Name+" pre-scale", v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cutName shortens a name for an error message.
func cutName(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}
