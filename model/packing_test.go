package model

import (
	"strings"
	"testing"
)

func TestPack(t *testing.T) {
	const gi = 1 << 30
	small := NodeShape{Name: "small", CPU: 4, Memory: 16 * gi, PricePerHour: 0.2}
	big := NodeShape{Name: "big", CPU: 8, Memory: 32 * gi, PricePerHour: 0.45}
	tests := []struct {
		name      string
		pods      []PodShape
		nodes     []NodeShape
		wantType  string
		wantNodes int
	}{
		// 6 × 0.5 core + 3 × 3 cores: FFD puts one 3-core pod per node and
		// the small ones in the gaps: 3 nodes of 4 cores.
		{"first fit decreasing fills gaps", []PodShape{{Name: "a", CPU: 0.5, Memory: gi, Count: 6}, {Name: "b", CPU: 3, Memory: gi, Count: 3}},
			[]NodeShape{small}, "small", 3},
		{"cheapest type wins", []PodShape{{Name: "a", CPU: 1, Memory: gi, Count: 8}}, []NodeShape{big, small}, "small", 2},
		{"memory bound", []PodShape{{Name: "a", CPU: 0.1, Memory: 6 * gi, Count: 5}}, []NodeShape{small}, "small", 3},
		{"a pod too big for one type uses the other", []PodShape{{Name: "a", CPU: 6, Memory: gi, Count: 1}}, []NodeShape{small, big}, "big", 1},
		{"no pods, no nodes", nil, []NodeShape{small}, "small", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pack(tt.pods, tt.nodes)
			if err != nil {
				t.Fatal(err)
			}
			if got.NodeType != tt.wantType || got.Nodes != tt.wantNodes {
				t.Errorf("Pack = %d × %s, want %d × %s", got.Nodes, got.NodeType, tt.wantNodes, tt.wantType)
			}
			if got.CostPerMonth != got.CostPerHour*HoursPerMonth {
				t.Errorf("monthly cost %g is not %d × hourly %g", got.CostPerMonth, HoursPerMonth, got.CostPerHour)
			}
		})
	}
}

func TestPack_Errors(t *testing.T) {
	small := NodeShape{Name: "small", CPU: 4, Memory: 16 << 30, MaxNodes: 2}
	_, err := Pack([]PodShape{{Name: "huge", CPU: 5, Memory: 1 << 30, Count: 1}}, []NodeShape{small})
	if err == nil || !strings.Contains(err.Error(), "a huge pod (5 cores, 1 GiB) is larger than a node (4 cores, 16 GiB)") {
		t.Errorf("error = %v", err)
	}
	_, err = Pack([]PodShape{{Name: "a", CPU: 3, Memory: 1 << 30, Count: 3}}, []NodeShape{small})
	if err == nil || !strings.Contains(err.Error(), "small: needs more than its maxNodes 2") {
		t.Errorf("error = %v", err)
	}
	if _, err := Pack(nil, nil); err == nil {
		t.Error("Pack with no node types succeeded")
	}
}
