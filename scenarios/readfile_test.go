package scenarios

import (
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	if name, data, err := ReadFile("plan", "-", strings.NewReader("abc"), 3); err != nil || name != "<stdin>" || string(data) != "abc" {
		t.Errorf("stdin of the limit: %q %q %v", name, data, err)
	}
	if _, _, err := ReadFile("plan", "-", strings.NewReader("abcd"), 3); err == nil || !strings.Contains(err.Error(), "larger than 3 bytes") {
		t.Errorf("stdin over the limit: %v", err)
	}
	if _, _, err := ReadFile("grid", "-", nil, 3); err == nil || !strings.Contains(err.Error(), "read grid: only one input can come from standard input") {
		t.Errorf("a second input from stdin: %v", err)
	}
	if _, _, err := ReadFile("plan", "/nonexistent/plan.yaml", nil, 3); err == nil || !strings.Contains(err.Error(), "read plan: open /nonexistent/plan.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}
