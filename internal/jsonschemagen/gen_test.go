package jsonschemagen

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	jsv "github.com/santhosh-tekuri/jsonschema/v6"
)

type inner struct {
	Deep int `json:"deep"`
}

// Base is embedded.
type Base struct {
	inner
	ID   string `json:"id"`
	Name string `json:"name"` // shadowed by Outer.Name
}

type Outer struct {
	Base
	Name   string            `json:"name"`
	Tags   []string          `json:"tags"`
	Opt    *float64          `json:"opt,omitempty"`
	Ptr    *inner            `json:"ptr"`
	Labels map[string]int    `json:"labels,omitempty"`
	When   time.Time         `json:"when"`
	Quoted int64             `json:"quoted,string"`
	Raw    []byte            `json:"raw,omitempty"`
	Skip   int               `json:"-"`
	Any    any               `json:"any,omitempty"`
	Nested map[string][]bool `json:"nested,omitempty"`
	hidden int
}

type marshals struct{}

func (marshals) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

// TestGenerate_FollowsEncodingJSON: what encoding/json writes of real
// values validates, what it cannot write does not.
func TestGenerate_FollowsEncodingJSON(t *testing.T) {
	b, err := Generate(&Outer{}, Options{ID: "https://example.test/outer.json"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsv.NewCompiler()
	if err := c.AddResource("https://example.test/outer.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("https://example.test/outer.json")
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	f := 1.5
	for _, v := range []Outer{{}, {Name: "n", Tags: []string{"a"}, Opt: &f, Ptr: &inner{3}, Labels: map[string]int{"a": 1}, Raw: []byte{1, 2}, Any: []int{1}, Nested: map[string][]bool{"k": nil}}} {
		v.Deep = 7
		js, _ := json.Marshal(v)
		inst, _ := jsv.UnmarshalJSON(bytes.NewReader(js))
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s: %v", js, err)
		}
	}
	for _, bad := range []string{
		`{"deep":1,"id":"","name":"","tags":null,"ptr":null,"when":"2026-01-01T00:00:00Z","quoted":"1","hidden":1}`, // unknown field
		`{"deep":1,"id":"","name":"","tags":null,"ptr":null,"when":"2026-01-01T00:00:00Z"}`,                         // quoted missing
		`{"deep":1,"id":"","name":"","tags":null,"ptr":null,"when":"2026-01-01T00:00:00Z","quoted":1}`,              // ,string not quoted
		`{"deep":"1","id":"","name":"","tags":null,"ptr":null,"when":"2026-01-01T00:00:00Z","quoted":"1"}`,          // wrong type, flattened field
		`{"deep":1,"id":"","name":"","tags":[1],"ptr":null,"when":"2026-01-01T00:00:00Z","quoted":"1"}`,             // wrong item type
	} {
		inst, _ := jsv.UnmarshalJSON(strings.NewReader(bad))
		if err := s.Validate(inst); err == nil {
			t.Errorf("%s validates", bad)
		}
	}
	if _, err := Generate(struct{ M marshals }{}, Options{}); err == nil || !strings.Contains(err.Error(), "marshals itself") {
		t.Errorf("a json.Marshaler without Custom: %v", err)
	}
	if _, err := Generate(struct{ M marshals }{}, Options{Custom: map[string]Schema{typeName(reflect.TypeFor[marshals]()): {"type": "string"}}}); err != nil {
		t.Error(err)
	}
	if _, err := Generate(struct{ C chan int }{}, Options{}); err == nil {
		t.Error("a channel has a schema")
	}
}
