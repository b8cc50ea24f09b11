package reports

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/headroom-dev/headroom/internal/genplan"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// readTree reads every file under dir but the manifest, by slash path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == ".headroom-manifest" {
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWriteIsRender: streaming the review to its directory (Write) gives
// byte for byte the files of Render, figures included.
func TestWriteIsRender(t *testing.T) {
	if testing.Short() {
		t.Skip("draws every figure of the example twice")
	}
	rep := withSeries(t)
	opts := PatchOptions{Generator: "headroom test"}
	rendered, err := Render(rep, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "report")
	w, err := Write(context.Background(), dir, rep, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	if len(got) != len(rendered.Files) || w.Files != len(rendered.Files) || w.Figures != rendered.Figures || w.Patches != rendered.Patches {
		t.Fatalf("Write wrote %d files (said %+v), Render %d (%d figures, %d patches)", len(got), w, len(rendered.Files), rendered.Figures, rendered.Patches)
	}
	for _, f := range rendered.Files {
		if !bytes.Equal(got[f.Path], f.Data) {
			t.Errorf("%s differs between Write (%d bytes) and Render (%d bytes)", f.Path, len(got[f.Path]), len(f.Data))
		}
	}
	if rendered.Figures == 0 {
		t.Error("no figure drawn")
	}
}

// TestWriteCancelled: a cancelled write leaves the old directory as it
// was.
func TestWriteCancelled(t *testing.T) {
	_, rep := noa(t)
	dir := filepath.Join(t.TempDir(), "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := *rep
	r.Plots = record.PlotsNone
	if _, err := Write(ctx, dir, &r, PatchOptions{}); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	got := readTree(t, dir)
	if len(got) != 1 || string(got["notes.txt"]) != "mine" {
		t.Fatalf("the directory changed: %d files", len(got))
	}
}

var (
	gen50Once sync.Once
	gen50Rev  *record.Review
	gen50Err  error
)

// gen50 is the review `headroom report` makes of a generated plan of 50
// services over 5 scenarios (hack/genplan), figures of the services at
// risk, series downsampled: built once (it runs the recommender's search).
func gen50(b *testing.B) *record.Review {
	b.Helper()
	gen50Once.Do(func() {
		plan, err := scenarios.Parse("genplan-50x5.yaml", []byte(genplan.Generate(50, 5, 1)))
		if err != nil {
			gen50Err = err
			return
		}
		gen50Rev, gen50Err = review.Build(context.Background(), plan, review.Options{Mode: model.Queueing, Version: "bench",
			Series: record.SeriesDownsampled, Plots: record.PlotsAtRisk})
	})
	if gen50Err != nil {
		b.Fatal(gen50Err)
	}
	return gen50Rev
}

// BenchmarkReportWrite50 is the report writer alone (figures, patches,
// report.json/.md/.html to a directory) on the review of 50 generated
// services; building the review (simulations, the recommender's search)
// is not timed. It reports report.json's size.
func BenchmarkReportWrite50(b *testing.B) {
	rev := gen50(b)
	benchWrite(b, rev)
}

// BenchmarkReportWriteNOA is the same on the bundled example, every
// figure drawn.
func BenchmarkReportWriteNOA(b *testing.B) {
	_, rev := noa(b)
	benchWrite(b, rev)
}

func benchWrite(b *testing.B, rev *record.Review) {
	dir := filepath.Join(b.TempDir(), "report")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(context.Background(), dir, rev, PatchOptions{Generator: "headroom bench"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st, err := os.Stat(filepath.Join(dir, "report.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "json-bytes")
}
