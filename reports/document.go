package reports

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/headroom-dev/headroom/review/record"
)

// A document is the report's content as a list of blocks, rendered once to
// Markdown and once to HTML, so the two never disagree.
type document struct{ blocks []block }

type block interface{ isBlock() }

type heading struct {
	level int
	text  string
	id    string
}

// para is a paragraph; strong makes it bold.
type para struct {
	text   string
	strong bool
}

type table struct {
	head []string
	rows [][]string
	// right marks right-aligned (numeric) columns.
	right []bool
	// class styles a row in HTML by its first cell ("high", "medium").
	rowClass []string
}

type bullets struct{ items []string }

type image struct{ ref record.FigureRef }

type code struct {
	lang, text string
}

func (heading) isBlock() {}
func (para) isBlock()    {}
func (table) isBlock()   {}
func (bullets) isBlock() {}
func (image) isBlock()   {}
func (code) isBlock()    {}

func (d *document) h(level int, id, format string, args ...any) {
	d.blocks = append(d.blocks, heading{level, fmt.Sprintf(format, args...), id})
}
func (d *document) p(format string, args ...any) {
	d.blocks = append(d.blocks, para{text: fmt.Sprintf(format, args...)})
}
func (d *document) strong(format string, args ...any) {
	d.blocks = append(d.blocks, para{text: fmt.Sprintf(format, args...), strong: true})
}
func (d *document) list(items []string) {
	if len(items) > 0 {
		d.blocks = append(d.blocks, bullets{items})
	}
}
func (d *document) add(b block) { d.blocks = append(d.blocks, b) }

// markdown renders GitHub-flavoured Markdown; images link to plots/.
func (d *document) markdown() []byte {
	var b bytes.Buffer
	for i, blk := range d.blocks {
		if i > 0 {
			b.WriteString("\n")
		}
		switch x := blk.(type) {
		case heading:
			fmt.Fprintf(&b, "%s %s\n", strings.Repeat("#", x.level), x.text)
		case para:
			if x.strong {
				fmt.Fprintf(&b, "**%s**\n", mdEscape(x.text))
			} else {
				fmt.Fprintf(&b, "%s\n", mdEscape(x.text))
			}
		case bullets:
			for _, it := range x.items {
				fmt.Fprintf(&b, "- %s\n", mdEscape(it))
			}
		case table:
			b.WriteString("|")
			for _, h := range x.head {
				fmt.Fprintf(&b, " %s |", mdCell(h))
			}
			b.WriteString("\n|")
			for i := range x.head {
				if i < len(x.right) && x.right[i] {
					b.WriteString("---:|")
				} else {
					b.WriteString("---|")
				}
			}
			b.WriteString("\n")
			for _, row := range x.rows {
				b.WriteString("|")
				for _, c := range row {
					fmt.Fprintf(&b, " %s |", mdCell(c))
				}
				b.WriteString("\n")
			}
		case image:
			fmt.Fprintf(&b, "![%s](%s)\n", mdEscape(x.ref.Title), x.ref.PNG)
			if x.ref.Caption != "" {
				fmt.Fprintf(&b, "\n_%s_\n", mdEscape(x.ref.Caption))
			}
		case code:
			fmt.Fprintf(&b, "```%s\n%s\n```\n", x.lang, strings.TrimRight(x.text, "\n"))
		}
	}
	return b.Bytes()
}

// mdEscape keeps text literal in Markdown where it could be read as markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "`", "\\`")
	return r.Replace(s)
}

func mdCell(s string) string { return strings.ReplaceAll(mdEscape(s), "|", `\|`) }

// htmlPage renders one self-contained page: styles inline, images as data
// URIs from figs (by name), print-friendly.
func (d *document) htmlPage(title string, figs map[string][]byte) []byte {
	var b bytes.Buffer
	_ = d.writeHTMLPage(&b, title, func(name string) ([]byte, error) { return figs[name], nil })
	return b.Bytes()
}

// writeHTMLPage writes the page of htmlPage to w, reading each figure's
// PNG when it gets to it (nil for none: the image links to plots/).
func (d *document) writeHTMLPage(w io.Writer, title string, png func(name string) ([]byte, error)) error {
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", html.EscapeString(title), pageCSS)
	// A table of contents from the level-2 headings.
	var toc []heading
	for _, blk := range d.blocks {
		if h, ok := blk.(heading); ok && h.level == 2 && h.id != "" {
			toc = append(toc, h)
		}
	}
	for i, blk := range d.blocks {
		switch x := blk.(type) {
		case heading:
			id := ""
			if x.id != "" {
				id = fmt.Sprintf(" id=\"%s\"", html.EscapeString(x.id))
			}
			fmt.Fprintf(b, "<h%d%s>%s</h%d>\n", x.level, id, html.EscapeString(x.text), x.level)
			if i == 0 && len(toc) > 0 {
				b.WriteString("<nav class=\"toc\"><ul>\n")
				for _, h := range toc {
					fmt.Fprintf(b, "<li><a href=\"#%s\">%s</a></li>\n", html.EscapeString(h.id), html.EscapeString(h.text))
				}
				b.WriteString("</ul></nav>\n")
			}
		case para:
			if x.strong {
				fmt.Fprintf(b, "<p class=\"verdict\"><strong>%s</strong></p>\n", html.EscapeString(x.text))
			} else {
				fmt.Fprintf(b, "<p>%s</p>\n", html.EscapeString(x.text))
			}
		case bullets:
			b.WriteString("<ul>\n")
			for _, it := range x.items {
				fmt.Fprintf(b, "<li>%s</li>\n", html.EscapeString(it))
			}
			b.WriteString("</ul>\n")
		case table:
			b.WriteString("<table>\n<thead><tr>")
			for i, h := range x.head {
				fmt.Fprintf(b, "<th%s>%s</th>", alignAttr(x.right, i), html.EscapeString(h))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for r, row := range x.rows {
				cls := ""
				if r < len(x.rowClass) && x.rowClass[r] != "" {
					cls = fmt.Sprintf(" class=\"%s\"", html.EscapeString(x.rowClass[r]))
				}
				fmt.Fprintf(b, "<tr%s>", cls)
				for i, c := range row {
					fmt.Fprintf(b, "<td%s>%s</td>", alignAttr(x.right, i), html.EscapeString(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		case image:
			data, err := png(x.ref.Name)
			if err != nil {
				return fmt.Errorf("report.html: figure %s: %w", x.ref.Name, err)
			}
			b.WriteString("<figure>\n<img src=\"")
			if data != nil {
				b.WriteString("data:image/png;base64,")
				enc := base64.NewEncoder(base64.StdEncoding, b)
				enc.Write(data)
				enc.Close()
			} else {
				b.WriteString(x.ref.PNG)
			}
			fmt.Fprintf(b, "\" alt=\"%s\">\n", html.EscapeString(x.ref.Title))
			if x.ref.Caption != "" {
				fmt.Fprintf(b, "<figcaption>%s</figcaption>\n", html.EscapeString(x.ref.Caption))
			}
			b.WriteString("</figure>\n")
		case code:
			fmt.Fprintf(b, "<pre><code>%s</code></pre>\n", html.EscapeString(x.text))
		}
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.Flush()
}

func alignAttr(right []bool, i int) string {
	if i < len(right) && right[i] {
		return " class=\"num\""
	}
	return ""
}

const pageCSS = `
:root { --fg: #1b1b1b; --muted: #5a5a5a; --rule: #d0d0d0; --high: #fbe3d6; --medium: #fdf3d0; --ok: #e3f1e8; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.45rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem; margin-top: 2.4rem; }
h3 { font-size: 1.15rem; margin-top: 1.8rem; }
h4 { font-size: 1rem; margin-top: 1.2rem; color: var(--muted); }
p.verdict { font-size: 1.1rem; background: #eef3fb; border-left: 4px solid #0072b2; padding: .6rem .9rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; width: 100%; }
th, td { border: 1px solid var(--rule); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.high td { background: var(--high); }
tr.medium td { background: var(--medium); }
tr.safe td { background: var(--ok); }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: .85rem; }
pre { background: #f6f6f6; padding: .7rem; overflow-x: auto; font-size: .82rem; }
nav.toc ul { columns: 2; padding-left: 1.2rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { page-break-before: always; break-before: page; }
  h2:first-of-type { page-break-before: avoid; break-before: avoid; }
  table, tr { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`
