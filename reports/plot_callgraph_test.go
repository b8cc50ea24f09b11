package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/review/record"
)

func TestCallGraphFigure(t *testing.T) {
	edges := []record.CallEdge{
		{Caller: "web", Callee: "api", PerRequest: 1, Mode: "sync"},
		{Caller: "api", Callee: "db", PerRequest: 2, Mode: "sync"},
		{Caller: "web", Callee: "db", PerRequest: 0.5, Mode: "async"},
	}
	f, err := CallGraphFigure(edges, []string{"web", "api", "db", "lonely"}, map[string][]string{"db": {"growth"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != FigureCallGraph || len(f.PNG) == 0 || !bytes.Contains(f.SVG, []byte("trouble starts: growth")) {
		t.Errorf("figure %s kind %s, %d PNG bytes; SVG without the trouble mark", f.Name, f.Kind, len(f.PNG))
	}
	if !strings.Contains(f.Caption, "2 synchronous") || !strings.Contains(f.Caption, "1 asynchronous") {
		t.Errorf("caption %q", f.Caption)
	}
	pos, cols, err := callLayout(edges, []string{"web", "api", "db"})
	if err != nil {
		t.Fatal(err)
	}
	// db is two calls deep (web → api → db), though web calls it too.
	if pos["web"].X != 0 || pos["api"].X != 1 || pos["db"].X != 2 || len(cols) != 3 {
		t.Errorf("layout %v, columns %v", pos, cols)
	}
	if _, err := CallGraphFigure(edges, []string{"web", "api"}, nil); err == nil {
		t.Error("a call to a service the review does not have drew")
	}
	cycle := append(edges, record.CallEdge{Caller: "db", Callee: "web", PerRequest: 1, Mode: "sync"})
	if _, err := CallGraphFigure(cycle, []string{"web", "api", "db"}, nil); err == nil {
		t.Error("a cycle drew")
	}
	if _, err := CallGraphFigure(nil, nil, nil); err == nil {
		t.Error("no calls drew")
	}
}
