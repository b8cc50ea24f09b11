package reports

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/headroom-dev/headroom/internal/atomicfile"

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

// Written says what Write wrote.
type Written struct {
	// Files counts the files written (report.json, .md, .html, plots and
	// patches); Figures the figures drawn (each a PNG and an SVG); Patches
	// the files under patches/.
	Files, Figures, Patches int
}

// Write renders a review into dir as Render does, and writes it as one
// set as WriteDir does, but streams: each figure is written as soon as it
// is drawn and then dropped, report.json is encoded straight into its
// file (WriteJSON), and report.html reads each PNG back from the set when
// it embeds it. It holds no more than a few figures at a time, whatever
// the number of services. On an error, or a cancelled ctx, dir is
// untouched.
func Write(ctx context.Context, dir string, rev *record.Review, opts PatchOptions) (*Written, error) {
	if rev.Input == nil {
		return nil, errors.New("render: the review has no plan")
	}
	set, err := atomicfile.BeginDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer set.Abort()
	out := &Written{}
	figs, err := streamFigures(rev, func(f Figure) error {
		if err := set.Write("plots/"+f.Name+".png", f.PNG, 0); err != nil {
			return err
		}
		return set.Write("plots/"+f.Name+".svg", f.SVG, 0)
	})
	if err != nil {
		return nil, err
	}
	patchFiles, refs, err := RenderPatches(rev.Input, rev, opts)
	if err != nil {
		return nil, err
	}
	for _, f := range patchFiles {
		if err := set.Write("patches/"+f.Path, f.Data, os.FileMode(f.Mode)); err != nil {
			return nil, err
		}
	}
	r := *rev
	r.Figures, r.Patches = figs, refs
	if err := set.WriteFunc("report.json", 0, func(w io.Writer) error { return WriteJSON(w, &r) }); err != nil {
		return nil, err
	}
	if err := set.Write("report.md", Markdown(&r), 0); err != nil {
		return nil, err
	}
	if err := set.WriteFunc("report.html", 0, func(w io.Writer) error {
		return layout(&r).writeHTMLPage(w, "Capacity review: "+r.Plan, func(name string) ([]byte, error) {
			return set.ReadFile("plots/" + name + ".png")
		})
	}); err != nil {
		return nil, err
	}
	if err := set.Commit(); err != nil {
		return nil, err
	}
	out.Figures, out.Patches = len(figs), len(patchFiles)
	out.Files = 3 + 2*len(figs) + len(patchFiles)
	return out, nil
}
