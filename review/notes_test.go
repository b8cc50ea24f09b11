package review

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestModelNotes_Routing: the routing note says "each pod is its own
// queue" for every service only when every service splits at random; the
// bundled example's workers take jobs from one shared queue, and the note
// says so, naming them. Its calls add the call-graph note.
func TestModelNotes_Routing(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(modelNotes(p), "\n")
	if strings.Contains(notes, routingRandom) {
		t.Errorf("the notes say every pod is its own queue though noa-workers is shared-queue:\n%s", notes)
	}
	for _, want := range []string{"shared-queue (noa-workers): one queue in front of every pod's worker slots", "random (noa-mcp, ", "perRequest"} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes lack %q:\n%s", want, notes)
		}
	}
	for i := range p.Services {
		p.Services[i].LoadBalancing = nil
		p.Services[i].Calls = nil
	}
	notes = strings.Join(modelNotes(p), "\n")
	if !strings.Contains(notes, routingRandom) || strings.Contains(notes, "perRequest") {
		t.Errorf("a plan splitting at random everywhere, without calls:\n%s", notes)
	}
}
