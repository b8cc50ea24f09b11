package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// docPackages are the packages whose doc comments the reference reads, and
// for each the files that declare the plan's types (nil: every non-test
// file). Only types.go of the Kubernetes API packages: the rest is generated
// code.
var docPackages = map[string][]string{
	"github.com/headroom-dev/headroom/scenarios": nil,
	"k8s.io/api/autoscaling/v2":                  {"types.go"},
	"k8s.io/api/core/v1":                         {"types.go"},
	"k8s.io/apimachinery/pkg/apis/meta/v1":       {"types.go"},
}

// typeDoc is a struct type's doc comment and its fields' by Go field name.
type typeDoc struct {
	doc    string
	fields map[string]string
}

// docs maps "importpath.TypeName" to the type's comments.
type docs map[string]*typeDoc

// loadDocs parses the doc comments of docPackages, located with go list
// from root so that the module's versions are the ones read.
func loadDocs(root string) (docs, error) {
	args := []string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}"}
	for p := range docPackages {
		args = append(args, p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	d := docs{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("go list: unexpected line %q", line)
		}
		if err := d.parseDir(path, dir, docPackages[path]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d docs) parseDir(importPath, dir string, only []string) error {
	names := only
	if names == nil {
		matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				names = append(names, filepath.Base(m))
			}
		}
	}
	fset := token.NewFileSet()
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				cg := ts.Doc
				if cg == nil && len(gd.Specs) == 1 {
					cg = gd.Doc
				}
				td := &typeDoc{doc: cg.Text(), fields: map[string]string{}}
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, fl := range st.Fields.List {
						text := fl.Doc.Text()
						if text == "" {
							text = fl.Comment.Text()
						}
						for _, n := range fl.Names {
							td.fields[n.Name] = text
						}
					}
				}
				d[importPath+"."+ts.Name.Name] = td
			}
		}
	}
	return nil
}

// comment is a doc comment split into its description and facts.
type comment struct {
	text     string // the description, one paragraph
	required bool
	optional bool // the Kubernetes "+optional" marker
	def      string
	rng      string
	example  string
	values   []string
}

var (
	reRequired = regexp.MustCompile(`(?:^|\s)Required\.(?:\s|$)`)
	reDefault  = regexp.MustCompile(`(?:^|\s)Default: (.+?)\.(?:\s|$)`)
	reRange    = regexp.MustCompile(`(?:^|\s)Range: (.+?)\.(?:\s|$)`)
	reExample  = regexp.MustCompile("(?:^|\\s)Example: `([^`]*)`\\.?(?:\\s|$)")
	reOneOf    = regexp.MustCompile("(?:^|\\s)One of: ((?:`[^`]+`(?:, | or )?)+)\\.?(?:\\s|$)")
	reBacktick = regexp.MustCompile("`([^`]+)`")
)

// parseComment reads a doc comment. The facts are sentences of the form
//
//	Required.
//	Default: <text>.
//	Range: <interval or text>.
//	Example: `<value>`.
//	One of: `a`, `b` or `c`.
//
// and are cut from the description. Kubernetes' marker lines (+optional,
// +required, +listType=atomic, ...) are read for optional/required and
// dropped.
func parseComment(raw string) comment {
	var c comment
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "+optional":
			c.optional = true
		case t == "+required":
			c.required = true
		case strings.HasPrefix(t, "+"), strings.HasPrefix(t, "---"):
		default:
			lines = append(lines, t)
		}
	}
	text := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
	cut := func(re *regexp.Regexp) []string {
		m := re.FindStringSubmatchIndex(text)
		if m == nil {
			return nil
		}
		groups := make([]string, len(m)/2)
		for i := range groups {
			if m[2*i] >= 0 {
				groups[i] = text[m[2*i]:m[2*i+1]]
			}
		}
		text = strings.TrimSpace(text[:m[0]] + " " + text[m[1]:])
		return groups
	}
	if cut(reRequired) != nil {
		c.required = true
	}
	if g := cut(reDefault); g != nil {
		c.def = g[1]
	}
	if g := cut(reRange); g != nil {
		c.rng = g[1]
	}
	if g := cut(reExample); g != nil {
		c.example = g[1]
	}
	if g := cut(reOneOf); g != nil {
		for _, m := range reBacktick.FindAllStringSubmatch(g[1], -1) {
			c.values = append(c.values, m[1])
		}
	}
	c.text = strings.Join(strings.Fields(text), " ")
	return c
}
