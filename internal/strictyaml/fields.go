package strictyaml

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// yamlTypeInfo is what decoding needs to know about a Go type, computed once.
type yamlTypeInfo struct {
	jsonUnmarshaler bool
	textUnmarshaler bool
	fields          *yamlFields // for structs
}

var yamlTypeCache sync.Map // reflect.Type -> *yamlTypeInfo

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func yamlTypeInfoOf(t reflect.Type) *yamlTypeInfo {
	if info, ok := yamlTypeCache.Load(t); ok {
		return info.(*yamlTypeInfo)
	}
	pt := reflect.PointerTo(t)
	info := &yamlTypeInfo{
		jsonUnmarshaler: pt.Implements(jsonUnmarshalerType),
		textUnmarshaler: pt.Implements(textUnmarshalerType),
	}
	if t.Kind() == reflect.Struct && !info.jsonUnmarshaler && !info.textUnmarshaler {
		info.fields = yamlStructFields(t)
	}
	actual, _ := yamlTypeCache.LoadOrStore(t, info)
	return actual.(*yamlTypeInfo)
}

// yamlFields are the keys a struct accepts.
type yamlFields struct {
	list   []yamlField // in declaration order
	byName map[string]*yamlField
}

type yamlField struct {
	name   string
	index  []int
	tagged bool
}

// yamlStructFields lists the fields of struct type t under their JSON names
// with encoding/json's rules: unexported and `json:"-"` fields are skipped,
// anonymous structs are flattened (and so are fields tagged
// `json:",inline"`, the Kubernetes convention), and when names collide the
// shallowest field wins, or the tagged one among equally shallow fields, or
// none.
func yamlStructFields(t reflect.Type) *yamlFields {
	type level struct {
		typ   reflect.Type
		index []int
	}
	var all []yamlField
	visited := map[reflect.Type]bool{}
	next := []level{{typ: t}}
	for len(next) > 0 {
		current := next
		next = nil
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := 0; i < l.typ.NumField(); i++ {
				sf := l.typ.Field(i)
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				ft := sf.Type
				if ft.Kind() == reflect.Pointer && ft.Name() == "" {
					ft = ft.Elem()
				}
				inline := sf.Anonymous || slices.Contains(strings.Split(opts, ","), "inline")
				if sf.Anonymous && !sf.IsExported() && (ft.Kind() != reflect.Struct || sf.Type.Kind() == reflect.Pointer) {
					continue // encoding/json cannot set these either
				}
				if !sf.Anonymous && !sf.IsExported() {
					continue
				}
				index := append(slices.Clone(l.index), i)
				if name == "" && inline && ft.Kind() == reflect.Struct && !decodesItself(ft) {
					next = append(next, level{typ: ft, index: index})
					continue
				}
				if !sf.IsExported() {
					continue
				}
				tagged := name != ""
				if !tagged {
					name = sf.Name
				}
				all = append(all, yamlField{name: name, index: index, tagged: tagged})
			}
		}
	}
	fs := &yamlFields{byName: make(map[string]*yamlField, len(all))}
	for _, f := range all {
		dominant, ok := dominantYAMLField(all, f.name)
		if !ok || !slices.Equal(dominant.index, f.index) {
			continue
		}
		fs.list = append(fs.list, f)
	}
	slices.SortFunc(fs.list, func(a, b yamlField) int { return slices.Compare(a.index, b.index) })
	for i := range fs.list {
		fs.byName[fs.list[i].name] = &fs.list[i]
	}
	return fs
}

// decodesItself reports whether type t has its own UnmarshalJSON or
// UnmarshalText; an embedded struct that does is not flattened.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

func dominantYAMLField(all []yamlField, name string) (yamlField, bool) {
	var best []yamlField
	for _, f := range all {
		if f.name != name {
			continue
		}
		switch {
		case len(best) == 0 || len(f.index) < len(best[0].index):
			best = append(best[:0], f)
		case len(f.index) == len(best[0].index):
			best = append(best, f)
		}
	}
	if len(best) == 1 {
		return best[0], true
	}
	var tagged []yamlField
	for _, f := range best {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return yamlField{}, false
}

// unknown describes an unknown key: the closest field name when one is
// close, else the allowed names when there are few.
func (fs *yamlFields) unknown(key string) string {
	msg := fmt.Sprintf("unknown field %q", key)
	names := make([]string, len(fs.list))
	for i, f := range fs.list {
		names[i] = f.name
	}
	if best, ok := Closest(key, names); ok {
		return msg + fmt.Sprintf("; did you mean %q?", best)
	}
	switch {
	case len(fs.list) == 0:
		return msg + "; this mapping takes no fields"
	case len(fs.list) <= 12:
		return msg + "; allowed fields are " + strings.Join(names, ", ")
	}
	return msg
}

// Closest returns the name among names closest to key, ignoring case, when
// it is close enough to be what the writer meant: within 1 edit for keys of
// up to 5 runes, 2 up to 10, 3 beyond. The decoder's "did you mean" and
// `headroom explain` use it.
func Closest(key string, names []string) (string, bool) {
	best, bestDist := "", math.MaxInt
	lk := strings.ToLower(key)
	for _, name := range names {
		if dist := editDistanceYAML(lk, strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	limit := 1
	switch n := utf8.RuneCountInString(key); {
	case n > 10:
		limit = 3
	case n > 5:
		limit = 2
	}
	return best, best != "" && bestDist <= limit
}

// editDistanceYAML is the optimal string alignment distance between a and
// b: insertions, deletions, substitutions and transpositions of adjacent
// runes each cost 1, so "tpye" is 1 from "type".
func editDistanceYAML(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt // not worth suggesting
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
