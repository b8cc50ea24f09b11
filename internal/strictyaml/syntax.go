package strictyaml

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// syntaxError turns a parser error into a *FieldError with a position.
//
// The YAML parser reports at most a line, and often the line where the
// enclosing construct began rather than the offending one. The position is
// found instead as the point where data stops parsing: the first line whose
// prefix no longer parses, then the last character of that line up to
// which it still does.
func syntaxError(file string, data []byte, err error) *FieldError {
	full := err.Error()
	msg := normalizeYAMLError(full)
	e := &FieldError{File: file, Msg: "invalid YAML: " + msg + syntaxHint(msg)}
	if m := yamlLineRE.FindStringSubmatch(full); m != nil {
		e.Line, _ = strconv.Atoi(m[1]) // in case locating fails
	}
	line, col, r := locateYAMLSyntaxError(data, full)
	if line > 0 {
		e.Line, e.Column = line, col
		if r == '\t' && !strings.Contains(msg, "tab") {
			e.Msg += " (a tab: indent with spaces)"
		}
	}
	return e
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// normalizeYAMLError strips the "yaml: line N: " prefix.
func normalizeYAMLError(msg string) string {
	if m := yamlLineRE.FindStringIndex(msg); m != nil {
		return msg[m[1]:]
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// sameYAMLError compares parser errors, line included, without their quoted
// parts (anchor names, which grow with a prefix).
func sameYAMLError(a, b string) bool {
	return yamlQuotedRE.ReplaceAllString(a, "''") == yamlQuotedRE.ReplaceAllString(b, "''")
}

var yamlQuotedRE = regexp.MustCompile(`'[^']*'`)

func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		return ` (a value containing ": " must be quoted; otherwise check the indentation)`
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-' indicator"):
		return " (check the indentation)"
	case strings.Contains(msg, "tab character"):
		return " (indent with spaces, not tabs)"
	case strings.Contains(msg, "unexpected end of stream"), strings.Contains(msg, "did not find expected ',' or"):
		return " (a quote or bracket opened here is not closed)"
	}
	return ""
}

// locateYAMLSyntaxError returns the 1-based line and column (in characters,
// as the parser counts them) of a syntax error in data whose parse failed
// with full, and the character there; or 0, 0, 0.
//
// The line is the first whose prefix no longer parses, found by bisection
// (starting near the parser's own line). A prefix that ends inside a
// multi-line flow collection or quoted string fails too, though the text
// may be fine; such a prefix fails differently from the whole document (the
// parser names another line), so then the next lines are tried for one that
// parses again, and the search resumes after it. Within the line, the column
// is one past the longest prefix that parses, searched from the end of the
// line (galloping, then bisection), which skips the same kind of false stop:
// "a: [b, c] }" fails at the brace, not at the bracket. The work is bounded
// to a few dozen parses of data.
func locateYAMLSyntaxError(data []byte, full string) (line, col int, r rune) {
	const maxLookahead = 32         // lines tried after a line that fails differently
	budget := 16*len(data) + 64<<10 // bytes the probes may parse
	// fails reports whether the first n bytes fail to parse, and how. Out
	// of budget, it claims they fail in some other way.
	fails := func(n int) (bool, string) {
		if budget <= 0 {
			return true, ""
		}
		budget -= n
		if _, err := ParseDocuments(data[:n]); err != nil {
			return true, err.Error()
		}
		return false, ""
	}
	var starts []int // starts[i] is the offset of line i+1
	for off := 0; off < len(data); {
		starts = append(starts, off)
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	nlines := len(starts)
	if nlines == 0 {
		return 0, 0, 0
	}
	end := func(l int) int { // end of the first l lines
		if l >= nlines {
			return len(data)
		}
		return starts[l]
	}
	// bisect returns the first line in (lo, hi] whose prefix fails, given
	// that the first lo lines parse and the first hi do not.
	bisect := func(lo, hi int) int {
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if bad, _ := fails(end(mid)); bad {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi
	}
	lo, hi := 0, nlines
	// The parser's line is that of the enclosing construct, or the one
	// before: the error is rarely earlier. Gallop forward from it.
	if m := yamlLineRE.FindStringSubmatch(full); m != nil {
		if hint, _ := strconv.Atoi(m[1]); hint > 1 && hint <= nlines {
			if bad, _ := fails(end(hint - 1)); bad {
				hi = hint - 1
			} else {
				lo = hint - 1
				for step := 1; lo+step < hi; step *= 2 {
					if bad, _ := fails(end(hint - 1 + step)); bad {
						hi = hint - 1 + step
						break
					}
					lo = hint - 1 + step
				}
			}
		}
	}
	line = bisect(lo, hi)
	for budget > 0 {
		if _, msg := fails(end(line)); sameYAMLError(msg, full) {
			break
		}
		next := 0
		for l := line + 1; l < nlines && l <= line+maxLookahead; l++ {
			if bad, _ := fails(end(l)); !bad {
				next = l
				break
			}
		}
		if next == 0 {
			break
		}
		line = bisect(next, nlines)
	}

	start := starts[line-1]
	text := bytes.TrimRight(data[start:end(line)], "\r\n")
	var cuts []int // cuts[i] is the byte length of the first i characters
	for off := 0; ; {
		cuts = append(cuts, off)
		if off >= len(text) {
			break
		}
		_, size := utf8.DecodeRune(text[off:])
		off += size
	}
	nchars := len(cuts) - 1
	prefixFails := func(c int) bool {
		bad, _ := fails(start + cuts[c])
		return bad
	}
	if !prefixFails(nchars) {
		return line, nchars + 1, '\n' // only the line break breaks it
	}
	// Gallop back from the end to a prefix that parses (the empty one is
	// assumed to), then bisect between it and the last failing one.
	good, bad := 0, nchars
	for step := 1; nchars-step > 0; step *= 2 {
		if c := nchars - step; prefixFails(c) {
			bad = c
		} else {
			good = c
			break
		}
	}
	for bad-good > 1 {
		mid := (good + bad) / 2
		if prefixFails(mid) {
			bad = mid
		} else {
			good = mid
		}
	}
	col = max(bad, 1)
	if col <= nchars {
		r, _ = utf8.DecodeRune(text[cuts[col-1]:])
	}
	return line, col, r
}
