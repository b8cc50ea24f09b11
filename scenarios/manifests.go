package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// MaxManifestBytes bounds one workload manifest file.
const MaxManifestBytes = 16 << 20

// Manifest is one object read from a manifest file: exactly one of
// Deployment, StatefulSet and HPA is set. File and Line locate the
// document's kind key, for messages.
type Manifest struct {
	File string
	Line int
	// Kind and Name are the object's kind and metadata.name.
	Kind, Name string

	Deployment  *appsv1.Deployment
	StatefulSet *appsv1.StatefulSet
	HPA         *autoscalingv2.HorizontalPodAutoscaler
}

// Pos is "file:line" of the object.
func (m Manifest) Pos() string { return fmt.Sprintf("%s:%d", m.File, m.Line) }

// ParseManifests reads the apps/v1 Deployments and StatefulSets and the
// autoscaling/v2 HorizontalPodAutoscalers of a multi-document YAML file, as
// `kubectl get -o yaml` prints them or as they are kept in a repository,
// strictly (unknown fields are errors, with file:line:column), and
// validates each HPA spec with the API server's rules. Objects of any
// other kind are not errors: skipped lists them, with file:line and kind,
// for the caller to report.
func ParseManifests(file string, data []byte) (objs []Manifest, skipped []string, err error) {
	var errs FieldErrors
	for _, doc := range splitDocuments(string(data)) {
		if strings.TrimSpace(stripComments(doc.text)) == "" {
			continue
		}
		apiVersion, kind, name, line, ok := typeMeta([]byte(doc.text))
		if !ok {
			// Not a mapping, or a syntax error: let the strict decoder say so.
			var v map[string]any
			_, derr := strictyaml.Decode(file, []byte(doc.text), &v)
			if derr == nil {
				derr = FieldErrors{{File: file, Line: 1, Msg: "expected a Kubernetes object with apiVersion and kind"}}
			}
			errs = append(errs, located(derr, doc.line)...)
			continue
		}
		m := Manifest{File: file, Line: line + doc.line, Kind: kind, Name: name}
		var target any
		var wantAPI string
		switch kind {
		case "Deployment":
			m.Deployment = &appsv1.Deployment{}
			target, wantAPI = m.Deployment, "apps/v1"
		case "StatefulSet":
			m.StatefulSet = &appsv1.StatefulSet{}
			target, wantAPI = m.StatefulSet, "apps/v1"
		case "HorizontalPodAutoscaler":
			m.HPA = &autoscalingv2.HorizontalPodAutoscaler{}
			target, wantAPI = m.HPA, "autoscaling/v2"
		case "List":
			errs = append(errs, &FieldError{File: file, Line: m.Line, Path: "kind",
				Msg: "is List (what kubectl get prints for several objects); give one object per YAML document, separated by ---"})
			continue
		default:
			skipped = append(skipped, fmt.Sprintf("%s: %s %s (%s) is not a Deployment, StatefulSet or HorizontalPodAutoscaler; skipped", m.Pos(), kind, name, apiVersion))
			continue
		}
		ix, derr := strictyaml.Decode(file, []byte(doc.text), target)
		if derr != nil {
			errs = append(errs, located(derr, doc.line)...)
			continue
		}
		var verrs FieldErrors
		if apiVersion != wantAPI {
			hint := ""
			if kind == "HorizontalPodAutoscaler" {
				hint = " (convert older HPAs with kubectl convert)"
			}
			verrs = append(verrs, fieldErrorf("apiVersion", "a %s must be %s, got %q%s", kind, wantAPI, apiVersion, hint))
		}
		if name == "" {
			verrs = append(verrs, fieldErrorf("metadata.name", "is required"))
		}
		if m.HPA != nil {
			verrs = append(verrs, ValidateHPASpec(&m.HPA.Spec, "spec")...)
		}
		if len(verrs) > 0 {
			located := ix.Locate(verrs)
			for _, e := range located {
				e.File = file
			}
			errs = append(errs, shift(located, doc.line)...)
			continue
		}
		objs = append(objs, m)
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return objs, skipped, nil
}

// LoadManifests is ParseManifests on the file at path ("-" is stdin).
func LoadManifests(path string) ([]Manifest, []string, error) {
	name, data, err := ReadFile("manifest", path, nil, MaxManifestBytes)
	if err != nil {
		return nil, nil, err
	}
	return ParseManifests(name, data)
}

// located shifts the decoder's errors by the lines before the document.
func located(err error, lines int) FieldErrors {
	var fes FieldErrors
	var fe *FieldError
	switch {
	case errors.As(err, &fes):
		return shift(fes, lines)
	case errors.As(err, &fe):
		return shift(FieldErrors{fe}, lines)
	}
	return FieldErrors{{Msg: err.Error()}}
}

// typeMeta reads apiVersion, kind and metadata.name of a document without
// judging the rest, and the line of its kind key (or of the document).
func typeMeta(data []byte) (apiVersion, kind, name string, line int, ok bool) {
	docs, err := strictyaml.ParseDocuments(data)
	if err != nil {
		return "", "", "", 0, false
	}
	for _, d := range docs {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := d.Content[0]
		line = root.Line
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			switch k.Value {
			case "apiVersion":
				apiVersion = v.Value
			case "kind":
				kind, line = v.Value, k.Line
			case "metadata":
				for j := 0; j+1 < len(v.Content); j += 2 {
					if v.Content[j].Value == "name" {
						name = v.Content[j+1].Value
					}
				}
			}
		}
		return apiVersion, kind, name, line, kind != ""
	}
	return "", "", "", 0, false
}
