package cluster

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// KustomizationFile is the file ReadPatchDir looks for first.
const KustomizationFile = "kustomization.yaml"

// kustomizationNames are the names kustomize accepts, in its order.
var kustomizationNames = []string{KustomizationFile, "kustomization.yml", "Kustomization"}

// MaxManifestBytes bounds each file ReadPatchDir reads.
const MaxManifestBytes = 16 << 20

// Op is what Apply does with an object.
type Op int

const (
	// OpApply creates or updates the object by server-side apply.
	OpApply Op = iota
	// OpPatch patches an existing object: a strategic-merge patch for the
	// built-in kinds, a JSON merge patch for custom resources (which have
	// no strategic-merge metadata; kubectl patch does the same).
	OpPatch
)

func (o Op) String() string {
	if o == OpPatch {
		return "patch"
	}
	return "apply"
}

// Object is one YAML document of a patches directory.
type Object struct {
	// File is the path inside the directory, Line the line its document
	// starts on.
	File string
	Line int
	Op   Op
	Obj  *unstructured.Unstructured
}

// Where returns "file:line".
func (o *Object) Where() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

// PatchSet is a patches directory in the order Apply sends it: the
// resources (namespaces, CRDs, service accounts and RBAC first, as kustomize
// orders them, the rest in file order), then the patches in file order.
type PatchSet struct {
	Objects []Object
}

// kustomization is the subset of kustomize.config.k8s.io/v1beta1
// Kustomization that `headroom report` writes. Every other field is refused
// by the strict decoder: silently ignoring a namePrefix or a namespace
// would apply something other than `kubectl apply -k` would.
type kustomization struct {
	APIVersion            string           `json:"apiVersion,omitempty"`
	Kind                  string           `json:"kind,omitempty"`
	Resources             []string         `json:"resources,omitempty"`
	Patches               []kustomizePatch `json:"patches,omitempty"`
	PatchesStrategicMerge []string         `json:"patchesStrategicMerge,omitempty"`
	// Components are directories (inside the patches directory) holding
	// a kustomization of kind Component, as headroom report writes one
	// per piece (hpa/, requests/, vpa/, prescale/).
	Components []string `json:"components,omitempty"`
}

// maxComponentDepth bounds how deep components may include components.
const maxComponentDepth = 8

type kustomizePatch struct {
	Path    string         `json:"path,omitempty"`
	Patch   string         `json:"patch,omitempty"`
	Target  map[string]any `json:"target,omitempty"`
	Options map[string]any `json:"options,omitempty"`
}

// ReadPatchDir reads the patches directory dir of fsys (reports/doc.go):
// with a kustomization.yaml, its resources are objects to server-side apply
// and its patches strategic-merge patches on the objects they name, and
// each of its components (a subdirectory with a kustomization of kind
// Component) adds its own; without one, every .yaml or .yml document under
// dir is an object to apply. Paths must stay inside dir (callers pass an
// os.Root's FS, which refuses symlinks out of it too). Errors carry
// file:line.
func ReadPatchDir(fsys fs.FS, dir string) (*PatchSet, error) {
	r := &dirReader{fsys: fsys, root: dir, seen: map[string]bool{}}
	kpath, err := r.read("", 0)
	if err != nil {
		return nil, err
	}
	if kpath == "" {
		return readAllManifests(fsys, dir)
	}
	sortResources(r.resources)
	set := &PatchSet{Objects: append(r.resources, r.patches...)}
	if err := checkDuplicates(set.Objects); err != nil {
		return nil, err
	}
	if len(set.Objects) == 0 {
		return nil, fmt.Errorf("%s: names no resources and no patches; nothing to apply", kpath)
	}
	return set, nil
}

// dirReader reads a kustomization and the components it includes.
type dirReader struct {
	fsys               fs.FS
	root               string
	seen               map[string]bool
	resources, patches []Object
}

// read reads the kustomization of sub (relative to the root; "" is the
// root) and, depth first, its components. It returns the kustomization's
// path, or "" when the root has none.
func (r *dirReader) read(sub string, depth int) (string, error) {
	dir := path.Join(r.root, sub)
	var kpath, kname string
	var data []byte
	for _, name := range kustomizationNames {
		p := path.Join(dir, name)
		b, err := readFile(r.fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		kpath, kname, data = p, name, b
		break
	}
	if kpath == "" {
		if sub == "" {
			return "", nil
		}
		return "", fmt.Errorf("component %s: no %s in it", sub, KustomizationFile)
	}
	shown := path.Join(sub, kname)
	k, err := parseKustomization(shown, data)
	if err != nil {
		return "", err
	}
	if sub != "" && k.Kind != "Component" {
		return "", fmt.Errorf("%s: kind %q, but a directory under components: must hold a Component", shown, k.Kind)
	}
	var errs []error
	add := func(dst *[]Object, rel string, op Op, field string) {
		objs, err := readManifestFile(r.fsys, dir, sub, shown, rel, op, field)
		if err != nil {
			errs = append(errs, err)
			return
		}
		*dst = append(*dst, objs...)
	}
	for i, res := range k.Resources {
		add(&r.resources, res, OpApply, fmt.Sprintf("resources[%d]", i))
	}
	for i, p := range k.Patches {
		field := fmt.Sprintf("patches[%d]", i)
		if p.Patch != "" {
			objs, err := parseManifests(shown+" "+field+".patch", 1, []byte(p.Patch), OpPatch)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r.patches = append(r.patches, objs...)
			continue
		}
		add(&r.patches, p.Path, OpPatch, field+".path")
	}
	for i, p := range k.PatchesStrategicMerge {
		add(&r.patches, p, OpPatch, fmt.Sprintf("patchesStrategicMerge[%d]", i))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	for i, c := range k.Components {
		field := fmt.Sprintf("%s: components[%d]", shown, i)
		csub := path.Clean(path.Join(sub, c))
		switch {
		case !fs.ValidPath(csub) || csub == ".":
			return "", fmt.Errorf("%s: %q leaves the patches directory", field, c)
		case depth+1 > maxComponentDepth:
			return "", fmt.Errorf("%s: components nest deeper than %d", field, maxComponentDepth)
		case r.seen[csub]:
			return "", fmt.Errorf("%s: %s is included twice (or includes itself)", field, csub)
		}
		r.seen[csub] = true
		if _, err := r.read(csub, depth+1); err != nil {
			return "", err
		}
	}
	return kpath, nil
}

// parseKustomization decodes a kustomization strictly and checks the
// fields headroom apply supports.
func parseKustomization(file string, data []byte) (*kustomization, error) {
	var k kustomization
	ix, err := strictyaml.Decode(file, data, &k)
	if err != nil {
		var fes strictyaml.FieldErrors
		if errors.As(err, &fes) && slices.ContainsFunc(fes, func(e *strictyaml.FieldError) bool { return strings.Contains(e.Msg, "unknown field") }) {
			return nil, fmt.Errorf("%w\nheadroom apply reads resources, patches (path or patch), patchesStrategicMerge and components only; use kubectl apply -k for the rest", err)
		}
		return nil, err
	}
	var fes strictyaml.FieldErrors
	bad := func(path, format string, args ...any) {
		fes = append(fes, &strictyaml.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if k.APIVersion != "" && k.APIVersion != "kustomize.config.k8s.io/v1beta1" && k.APIVersion != "kustomize.config.k8s.io/v1alpha1" {
		bad("apiVersion", "must be kustomize.config.k8s.io/v1beta1 or v1alpha1, got %q", k.APIVersion)
	}
	// headroom report writes a Component (for an overlay's components:
	// list); its patches and resources apply the same way here, against
	// the objects already in the cluster.
	if k.Kind != "" && k.Kind != "Kustomization" && k.Kind != "Component" {
		bad("kind", "must be Kustomization or Component, got %q", k.Kind)
	}
	for i, r := range k.Resources {
		checkRelPath(bad, fmt.Sprintf("resources[%d]", i), r)
	}
	for i, p := range k.Patches {
		field := fmt.Sprintf("patches[%d]", i)
		switch {
		case p.Target != nil:
			bad(field+".target", "headroom apply patches the object each patch names; remove target (or use kubectl apply -k)")
		case p.Options != nil:
			bad(field+".options", "patch options are not supported by headroom apply")
		case p.Path != "" && p.Patch != "":
			bad(field, "give path or patch, not both")
		case p.Path == "" && p.Patch == "":
			bad(field, "needs a path (a file of strategic-merge patches) or an inline patch")
		case p.Path != "":
			checkRelPath(bad, field+".path", p.Path)
		}
	}
	for i, p := range k.PatchesStrategicMerge {
		checkRelPath(bad, fmt.Sprintf("patchesStrategicMerge[%d]", i), p)
	}
	for i, c := range k.Components {
		checkRelPath(bad, fmt.Sprintf("components[%d]", i), c)
	}
	if len(fes) > 0 {
		fes = ix.Locate(fes)
		for _, e := range fes {
			e.File = file
		}
		return nil, fes
	}
	return &k, nil
}

func checkRelPath(bad func(path, format string, args ...any), field, p string) {
	switch {
	case p == "":
		bad(field, "is empty; give a file path relative to the kustomization")
	case strings.Contains(p, "://") || strings.HasPrefix(p, "github.com/"):
		bad(field, "%q is remote; headroom apply reads local files only", p)
	case path.IsAbs(p) || !fs.ValidPath(path.Clean(p)) || path.Clean(p) == ".":
		bad(field, "%q must be a relative path inside the patches directory", p)
	}
}

// readFile reads one file of at most MaxManifestBytes.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory; headroom apply reads files only (kustomize bases are not supported)", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("read %s: larger than %d MiB", name, MaxManifestBytes>>20)
	}
	return data, nil
}

// readManifestFile reads rel, relative to the kustomization in dir; sub is
// dir relative to the patches directory, which file names are shown from.
func readManifestFile(fsys fs.FS, dir, sub, kname, rel string, op Op, field string) ([]Object, error) {
	data, err := readFile(fsys, path.Join(dir, path.Clean(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s: %s does not exist", kname, field, rel)
		}
		return nil, fmt.Errorf("%s: %s: %w", kname, field, err)
	}
	return parseManifests(path.Join(sub, path.Clean(rel)), 1, data, op)
}

// readAllManifests reads every .yaml/.yml file under dir, in path order.
func readAllManifests(fsys fs.FS, dir string) (*PatchSet, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(files)
	set := &PatchSet{}
	var errs []error
	for _, f := range files {
		data, err := readFile(fsys, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(f, dir), "/")
		objs, err := parseManifests(rel, 1, data, OpApply)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.Objects = append(set.Objects, objs...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(set.Objects) == 0 {
		return nil, fmt.Errorf("%s: no %s and no YAML objects; nothing to apply", dir, KustomizationFile)
	}
	sortResources(set.Objects)
	if err := checkDuplicates(set.Objects); err != nil {
		return nil, err
	}
	return set, nil
}

// yamlLine finds "line N" in a YAML library error to shift it to the file.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseManifests splits data into YAML documents and decodes each into an
// object; firstLine is the file line data starts on. Empty documents and
// comment-only documents are skipped.
func parseManifests(file string, firstLine int, data []byte, op Op) ([]Object, error) {
	var out []Object
	var errs []error
	for _, doc := range splitYAML(string(data)) {
		if isBlankYAML(doc.text) {
			continue
		}
		line := firstLine + doc.line + leadingBlankLines(doc.text)
		js, err := yaml.YAMLToJSONStrict([]byte(doc.text))
		if err != nil {
			msg := yamlLine.ReplaceAllStringFunc(err.Error(), func(m string) string {
				n, _ := strconv.Atoi(m[len("line "):])
				return "line " + strconv.Itoa(n+firstLine+doc.line-1)
			})
			errs = append(errs, fmt.Errorf("%s:%d: %s", file, line, msg))
			continue
		}
		if string(js) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: not a Kubernetes object: %v", file, line, err))
			continue
		}
		if u.IsList() {
			errs = append(errs, fmt.Errorf("%s:%d: %s is a list; write its items as separate YAML documents", file, line, u.GetKind()))
			continue
		}
		var missing []string
		if u.GetAPIVersion() == "" {
			missing = append(missing, "apiVersion")
		}
		if u.GetName() == "" {
			missing = append(missing, "metadata.name")
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s:%d: %s %s: needs %s", file, line, u.GetKind(), u.GetName(), strings.Join(missing, " and ")))
			continue
		}
		if u.GetGenerateName() != "" {
			errs = append(errs, fmt.Errorf("%s:%d: metadata.generateName cannot be applied; give metadata.name only", file, line))
			continue
		}
		out = append(out, Object{File: file, Line: line, Op: op, Obj: u})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

type yamlDoc struct {
	text string
	line int // lines before the document in its file
}

// splitYAML splits a YAML stream at "---" lines (with an optional comment
// after the marker), remembering where each document starts.
func splitYAML(s string) []yamlDoc {
	var docs []yamlDoc
	lines := strings.SplitAfter(s, "\n")
	start := 0
	for i, l := range lines {
		t := strings.TrimRight(l, " \t\r\n")
		if t == "---" || strings.HasPrefix(t, "--- #") {
			docs = append(docs, yamlDoc{text: strings.Join(lines[start:i], ""), line: start})
			start = i + 1
		}
	}
	return append(docs, yamlDoc{text: strings.Join(lines[start:], ""), line: start})
}

// leadingBlankLines counts the blank and comment lines before the first
// line of content, so that an object is located at its first field.
func leadingBlankLines(s string) int {
	for i, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return i
		}
	}
	return 0
}

func isBlankYAML(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") && t != "..." {
			return false
		}
	}
	return true
}

// kindOrder is kustomize's order for the kinds others depend on.
var kindOrder = map[string]int{
	"Namespace": 0, "CustomResourceDefinition": 1, "ServiceAccount": 2,
	"Role": 3, "ClusterRole": 4, "RoleBinding": 5, "ClusterRoleBinding": 6,
	"ConfigMap": 7, "Secret": 8,
}

func sortResources(objs []Object) {
	rank := func(o Object) int {
		if r, ok := kindOrder[o.Obj.GetKind()]; ok {
			return r
		}
		return len(kindOrder)
	}
	sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i]) < rank(objs[j]) })
}

// checkDuplicates refuses two objects of the same operation that name the
// same object: which one wins would depend on the order.
func checkDuplicates(objs []Object) error {
	seen := map[string]*Object{}
	var errs []error
	for i := range objs {
		o := &objs[i]
		gvk := o.Obj.GroupVersionKind()
		key := fmt.Sprintf("%s|%s|%s|%s|%s", o.Op, gvk.Group, gvk.Kind, o.Obj.GetNamespace(), o.Obj.GetName())
		if prev, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("%s: %s %s is also at %s; give each object once", o.Where(), gvk.Kind, o.Obj.GetName(), prev.Where()))
			continue
		}
		seen[key] = o
	}
	return errors.Join(errs...)
}
