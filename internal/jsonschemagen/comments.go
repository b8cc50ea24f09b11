package jsonschemagen

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// ReadComments reads the doc comments of the types and struct fields of
// the packages pkgs (import paths under module, whose root directory is
// dir) for Options.Comments: "pkgpath.Type" and "pkgpath.Type.Field" to
// the comment's text, its lines joined.
func ReadComments(dir, module string, pkgs ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pkgs {
		pdir := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, module), "/")))
		fset := token.NewFileSet()
		ents, err := os.ReadDir(pdir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(pdir, n), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, s := range gd.Specs {
					ts := s.(*ast.TypeSpec)
					cg := ts.Doc
					if cg == nil && len(gd.Specs) == 1 {
						cg = gd.Doc
					}
					if t := text(cg); t != "" {
						out[p+"."+ts.Name.Name] = t
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						t := text(fl.Doc)
						if t == "" {
							t = text(fl.Comment)
						}
						if t == "" {
							continue
						}
						for _, name := range fl.Names {
							out[p+"."+ts.Name.Name+"."+name.Name] = t
						}
					}
				}
			}
		}
	}
	return out, nil
}

// text is a comment group as one paragraph of plain text.
func text(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var p doc.Package
	t := strings.TrimSpace(string(p.Printer().Text(p.Parser().Parse(cg.Text()))))
	return strings.Join(strings.Fields(t), " ")
}
