// Package strictyaml decodes one YAML document into a Go value strictly and
// says where every problem is: file:line:column, the field path, and what
// was expected.
//
// It reads a document the way Kubernetes reads a manifest (sigs.k8s.io/yaml:
// YAML to JSON, then encoding/json): keys are matched against `json` struct
// tags, and types with an UnmarshalJSON method (resource.Quantity,
// intstr.IntOrString, metav1.Duration) receive their node as JSON. Unlike
// that path it rejects what Kubernetes' strict decoding rejects and reports
// it with a position: unknown fields (with "did you mean" when a field name
// is close), duplicate keys, wrong types, integers out of range, YAML tags
// outside the core schema, more than one document. Syntax errors are
// located by re-parsing prefixes of the input, since the parser's own line
// is often that of the enclosing construct. Limits bound the work any input
// can cause (alias expansion, nesting, error count).
//
// The files follow the decoder's parts:
//
//	decode.go   Decode, the walk over the node tree and the scalar checks
//	mapping.go  mappings, merge keys (<<), lists, interface{} values
//	json.go     re-encoding a node as JSON for UnmarshalJSON
//	scalar.go   the YAML 1.2 core schema's booleans, integers and floats
//	fields.go   a struct's keys under encoding/json's rules, "did you mean"
//	index.go    Index: field path -> position, to locate later validation errors
//	syntax.go   locating a syntax error
//	error.go    FieldError, FieldErrors
//
// # Usage
//
//	var v T
//	ix, err := strictyaml.Decode("grid.yaml", data, &v)
//	if err != nil {
//		return err // a *FieldError (syntax) or FieldErrors
//	}
//	if errs := validate(&v); len(errs) > 0 {
//		return ix.Locate(errs) // FieldErrors with paths get their positions
//	}
//
// scenarios decodes plans and HPA manifests with it (FieldError is
// scenarios.FieldError too); the sweep grid files and cluster's
// kustomization reader use it as well.
package strictyaml
