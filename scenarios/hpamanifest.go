package scenarios

import (
	"errors"
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// MaxHPAManifestBytes bounds an HPA manifest file (a few hundred HPAs).
const MaxHPAManifestBytes = 4 << 20

// LoadHPAManifests reads HorizontalPodAutoscaler manifests (autoscaling/v2,
// one or more YAML documents separated by ---) as a user would paste them
// from `kubectl get hpa -o yaml`, strictly, and validates each spec with the
// API server's rules. Errors name the file, the line and the field.
func LoadHPAManifests(path string) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
	_, data, err := ReadFile("HPA manifest", path, nil, MaxHPAManifestBytes)
	if err != nil {
		return nil, err
	}
	return ParseHPAManifests(path, data)
}

// ParseHPAManifests is LoadHPAManifests on data already read.
func ParseHPAManifests(file string, data []byte) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
	var out []*autoscalingv2.HorizontalPodAutoscaler
	var errs FieldErrors
	for _, doc := range splitDocuments(string(data)) {
		if strings.TrimSpace(stripComments(doc.text)) == "" {
			continue
		}
		var h autoscalingv2.HorizontalPodAutoscaler
		ix, err := strictyaml.Decode(file, []byte(doc.text), &h)
		if err != nil {
			var fes FieldErrors
			var fe *FieldError
			switch {
			case errors.As(err, &fes):
				errs = append(errs, shift(fes, doc.line)...)
			case errors.As(err, &fe):
				errs = append(errs, shift(FieldErrors{fe}, doc.line)...)
			default:
				return nil, err
			}
			continue
		}
		var verrs FieldErrors
		if h.APIVersion != "autoscaling/v2" {
			verrs = append(verrs, fieldErrorf("apiVersion", "must be autoscaling/v2, got %q (convert older HPAs with kubectl convert)", h.APIVersion))
		}
		if h.Kind != "HorizontalPodAutoscaler" {
			verrs = append(verrs, fieldErrorf("kind", "must be HorizontalPodAutoscaler, got %q", h.Kind))
		}
		verrs = append(verrs, ValidateHPASpec(&h.Spec, "spec")...)
		if len(verrs) > 0 {
			located := ix.Locate(verrs)
			for _, e := range located {
				e.File = file
			}
			errs = append(errs, shift(located, doc.line)...)
			continue
		}
		out = append(out, &h)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no HorizontalPodAutoscaler in the file", file)
	}
	return out, nil
}

type document struct {
	text string
	line int // line of the document's first line in the file, minus 1
}

// splitDocuments splits a YAML stream at "---" lines, remembering where
// each document starts.
func splitDocuments(s string) []document {
	var docs []document
	lines := strings.SplitAfter(s, "\n")
	start := 0
	for i, l := range lines {
		if strings.TrimRight(l, " \t\r\n") == "---" {
			docs = append(docs, document{text: strings.Join(lines[start:i], ""), line: start})
			start = i + 1
		}
	}
	return append(docs, document{text: strings.Join(lines[start:], ""), line: start})
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l)
		}
	}
	return b.String()
}

func shift(es FieldErrors, lines int) FieldErrors {
	for _, e := range es {
		if e.Line > 0 {
			e.Line += lines
		}
	}
	return es
}
