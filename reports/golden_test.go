package reports

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden and testdata/plots")

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update. Only commit a rewrite you have read and understood.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("%s differs from its golden file (-want +got); rerun with -update if the change is intended:\n%s", name, diff)
	}
}

// TestGoldenNOA pins report.md, report.json (without series) and every
// patch file of the bundled example.
func TestGoldenNOA(t *testing.T) {
	plan, rep := noa(t)
	files, refs, err := RenderPatches(plan, rep, PatchOptions{Generator: "headroom test"})
	if err != nil {
		t.Fatal(err)
	}
	r := *rep
	r.Patches = refs
	js, err := JSON(&r)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "noa/report.md", Markdown(&r))
	checkGolden(t, "noa/report.json", js)
	var names []string
	for _, f := range files {
		checkGolden(t, "noa/patches/"+f.Path, f.Data)
		names = append(names, f.Path)
	}
	checkGolden(t, "noa/patches.list", []byte(strings.Join(names, "\n")+"\n"))
}
