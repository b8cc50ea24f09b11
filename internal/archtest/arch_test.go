// Package archtest holds the project's architecture to its design: which
// package may import which, that only cluster talks to client-go, that no
// file outgrows a reader, and that comments cite sources inside or above
// the repository (a Kubernetes file, a paper, a documented format), not
// notes that are not part of it.
package archtest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/headroom-dev/headroom"

type pkg struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
	GoFiles      []string
	Deps         []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "e2e", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

// allowed lists, per package (and its subpackages unless listed on their
// own), the project packages it may import directly; internal/ packages are
// shared helpers any package may use.
var allowed = map[string][]string{
	"model":              {},
	"scenarios":          {"model"},
	"scenarios/planfile": {"model", "scenarios"},
	"sim":                {"model", "scenarios", "sim/hpa"},
	"sim/hpa":            {},
	"sim/ensemble":       {"model", "scenarios", "sim"},
	"capacity":           {"model", "scenarios", "sim", "sim/hpa", "sim/ensemble"},
	"review":             {"model", "scenarios", "sim", "sim/hpa", "sim/ensemble", "capacity", "review/record"},
	"review/record":      {"model", "scenarios"},
	"reports":            {"model", "scenarios", "review/record"},
	"prom":               {"model", "scenarios", "scenarios/planfile", "prom/internal/gen"},
	"cluster":            {"model", "scenarios", "scenarios/planfile"},
	"loadtest":           {"model", "scenarios", "scenarios/planfile", "sim", "sim/hpa", "loadtest", "loadtest/builtin", "loadtest/k6", "loadtest/verify", "loadtest/internal/mmcserver"},
	"hack/image":         {}, // the image builder packs a built binary; it imports nothing of the project
}

// rule finds the entry of allowed that governs package p.
func rule(p string) (string, bool) {
	for {
		if _, ok := allowed[p]; ok {
			return p, true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			return "", false
		}
		p = p[:i]
	}
}

func TestImports(t *testing.T) {
	for _, p := range list(t) {
		name := rel(p.ImportPath)
		r, ok := rule(name)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			d := rel(imp)
			if strings.HasPrefix(d, "internal/") || strings.Contains(d, "/internal/") || d == name || strings.HasPrefix(d, name+"/") || strings.HasPrefix(name, d+"/") {
				continue
			}
			if !slices.Contains(allowed[r], d) {
				t.Errorf("%s imports %s; the design allows %s to import only %v", name, d, r, allowed[r])
			}
		}
	}
}

func TestDependencies(t *testing.T) {
	for _, p := range list(t) {
		name := rel(p.ImportPath)
		for _, d := range p.Deps {
			switch {
			case name == "reports" || strings.HasPrefix(name, "reports/"):
				for _, banned := range []string{"sim", "capacity", "review", "cluster", "loadtest", "prom"} {
					if d == module+"/"+banned {
						t.Errorf("%s depends on %s: reports renders a review and computes nothing", name, banned)
					}
				}
			case name == "model" || strings.HasPrefix(name, "model/"):
				if strings.HasPrefix(d, module+"/") {
					t.Errorf("model depends on %s: model imports nothing of the project", rel(d))
				}
			}
		}
		// hack/ holds build-time tools (the reference generator parses Go
		// source); nothing else may depend on them.
		if !strings.HasPrefix(name, "hack/") {
			for _, d := range p.Deps {
				if strings.HasPrefix(d, module+"/hack/") {
					t.Errorf("%s depends on %s: hack/ tools stay out of the project's packages", name, rel(d))
				}
			}
		}
		if name == "cluster" || strings.HasPrefix(name, "cluster/") || strings.HasPrefix(name, "hack/") {
			continue
		}
		for _, imps := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, imp := range imps {
				if strings.HasPrefix(imp, "k8s.io/client-go") {
					t.Errorf("%s imports %s: only cluster talks to the API server", name, imp)
				}
			}
		}
	}
}

// maxLines bounds a non-test Go file.
const maxLines = 900

var notesCite = regexp.MustCompile(`(\.\./)?(shared|reference)/[a-z0-9/-]+\.md`)

func TestFiles(t *testing.T) {
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "report" || d.Name() == "testdata" && strings.Contains(path, "fuzz")) {
			return filepath.SkipDir
		}
		isGo := strings.HasSuffix(path, ".go")
		if d.IsDir() || !isGo && !strings.HasSuffix(path, ".md") && !strings.HasSuffix(path, ".yaml") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n := 0
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			n++
			if notesCite.MatchString(sc.Text()) && !strings.HasSuffix(path, "arch_test.go") {
				t.Errorf("%s:%d cites %s, a note outside the repository; cite the upstream source", path, n, notesCite.FindString(sc.Text()))
			}
		}
		if isGo && n > maxLines && !strings.HasSuffix(path, "_test.go") {
			t.Errorf("%s has %d lines, more than %d: split it by concern", path, n, maxLines)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
