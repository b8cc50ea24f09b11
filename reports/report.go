package reports

import (
	"errors"

	"github.com/headroom-dev/headroom/review/record"
)

// Rendered is a rendered review: the files of its directory and how many
// of them are figures and patches.
type Rendered struct {
	// Files are report.json, report.md and report.html, then plots/… and
	// patches/…, relative to the review's directory.
	Files []File
	// Figures counts the figures drawn (each a PNG and an SVG); Patches
	// the files under patches/.
	Figures, Patches int
}

// Render renders a review whole: its figures (those the review shows),
// its patches directory, and report.json, report.md and report.html,
// which name both. It changes nothing in rev.
func Render(rev *record.Review, opts PatchOptions) (*Rendered, error) {
	if rev.Input == nil {
		return nil, errors.New("render: the review has no plan")
	}
	plotFiles, figs, pngs, err := RenderFigures(rev)
	if err != nil {
		return nil, err
	}
	patchFiles, refs, err := RenderPatches(rev.Input, rev, opts)
	if err != nil {
		return nil, err
	}
	r := *rev
	r.Figures, r.Patches = figs, refs
	js, err := JSON(&r)
	if err != nil {
		return nil, err
	}
	out := &Rendered{Figures: len(figs), Patches: len(patchFiles)}
	out.Files = []File{
		{Path: "report.json", Data: js},
		{Path: "report.md", Data: Markdown(&r)},
		{Path: "report.html", Data: HTML(&r, pngs)},
	}
	for _, f := range plotFiles {
		f.Path = "plots/" + f.Path
		out.Files = append(out.Files, f)
	}
	for _, f := range patchFiles {
		f.Path = "patches/" + f.Path
		out.Files = append(out.Files, f)
	}
	return out, nil
}
