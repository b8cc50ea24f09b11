package strictyaml

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAMLBool reads a !!bool scalar (true, True, TRUE, false, False,
// FALSE: YAML 1.2, so "yes" and "on" are strings).
func parseYAMLBool(n *yaml.Node, tag string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || tag != yamlBoolTag {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// parseYAMLInt reads a !!int scalar the way the YAML parser resolves it:
// an optional sign, decimal, 0x, 0o, 0b or legacy 0-prefixed octal digits,
// underscores ignored. It returns the sign and magnitude.
func parseYAMLInt(n *yaml.Node, tag string) (neg bool, mag uint64, ok bool) {
	if n.Kind != yaml.ScalarNode || tag != yamlIntTag {
		return false, 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" || s[0] == '-' || s[0] == '+' {
		return false, 0, false
	}
	mag, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return false, 0, false
	}
	return neg, mag, true
}

// parseYAMLFloat reads a !!float or !!int scalar as a float64; NaN and the
// infinities (.nan, .inf, -.inf) are returned for the caller to reject.
func parseYAMLFloat(n *yaml.Node, tag string) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch tag {
	case yamlIntTag:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			return 0, false
		}
		f := float64(mag)
		if neg {
			f = -f
		}
		return f, true
	case yamlFloatTag:
		switch n.Value {
		case ".nan", ".NaN", ".NAN":
			return math.NaN(), true
		case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
			return math.Inf(1), true
		case "-.inf", "-.Inf", "-.INF":
			return math.Inf(-1), true
		}
		s := strings.ReplaceAll(n.Value, "_", "")
		if !yamlFloatRE.MatchString(s) {
			return 0, false // rejects Go-only forms such as "0x1p-2" or "Inf"
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

var yamlFloatRE = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
