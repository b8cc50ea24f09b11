package model

import (
	"fmt"
	"sort"
)

// HoursPerMonth is the average month used for monthly cost: 365·24/12.
const HoursPerMonth = 730

// PodShape is the resource request of one group of identical pods.
type PodShape struct {
	// Name identifies the group in the result (a service name).
	Name string
	// CPU in cores and Memory in bytes, per pod.
	CPU, Memory float64
	// Count is the number of pods.
	Count int
}

// NodeShape is one node type that pods can be packed onto.
type NodeShape struct {
	Name string
	// CPU in cores and Memory in bytes allocatable to pods.
	CPU, Memory float64
	// PricePerHour of one node.
	PricePerHour float64
	// MaxNodes caps how many nodes of this type may exist; 0 means no cap.
	MaxNodes int
}

// Packing is the result of packing pods onto nodes.
type Packing struct {
	// NodeType is the chosen node type; Nodes how many of it.
	NodeType string `json:"nodeType"`
	Nodes    int    `json:"nodes"`
	// CPU and Memory are the total requests packed, cores and bytes.
	CPU    float64 `json:"cpu"`
	Memory float64 `json:"memory"`
	// CostPerHour and CostPerMonth are Nodes × price.
	CostPerHour  float64 `json:"costPerHour"`
	CostPerMonth float64 `json:"costPerMonth"`
}

// Pack places every pod on nodes of one type by first-fit decreasing
// (pods sorted by their larger share of a node, each put on the first node
// with room), for each node type in turn, and returns the cheapest packing
// (fewest nodes on a tie, then the first type listed). Node types a pod
// cannot fit on, or whose MaxNodes is too small, are skipped; when none is
// left, Pack says which pod fits nowhere.
func Pack(pods []PodShape, nodes []NodeShape) (Packing, error) {
	if len(nodes) == 0 {
		return Packing{}, fmt.Errorf("no node types to pack onto")
	}
	var best Packing
	found := false
	var reasons []string
	for _, nt := range nodes {
		p, err := packOne(pods, nt)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if !found || p.CostPerHour < best.CostPerHour || (p.CostPerHour == best.CostPerHour && p.Nodes < best.Nodes) {
			best, found = p, true
		}
	}
	if !found {
		return Packing{}, fmt.Errorf("no node type can hold these pods: %v", reasons)
	}
	return best, nil
}

func packOne(pods []PodShape, nt NodeShape) (Packing, error) {
	type item struct{ cpu, mem, size float64 }
	var items []item
	p := Packing{NodeType: nt.Name}
	for _, ps := range pods {
		if ps.Count <= 0 {
			continue
		}
		if ps.CPU > nt.CPU || ps.Memory > nt.Memory {
			return Packing{}, fmt.Errorf("%s: a %s pod (%.3g cores, %.3g GiB) is larger than a node (%.3g cores, %.3g GiB)",
				nt.Name, ps.Name, ps.CPU, ps.Memory/(1<<30), nt.CPU, nt.Memory/(1<<30))
		}
		size := max(ps.CPU/nt.CPU, ps.Memory/nt.Memory)
		for range ps.Count {
			items = append(items, item{ps.CPU, ps.Memory, size})
		}
		p.CPU += ps.CPU * float64(ps.Count)
		p.Memory += ps.Memory * float64(ps.Count)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].size > items[j].size })
	type room struct{ cpu, mem float64 }
	var open []room
	const eps = 1e-9
	for _, it := range items {
		placed := false
		for i := range open {
			if open[i].cpu+eps >= it.cpu && open[i].mem+eps*nt.Memory >= it.mem {
				open[i].cpu -= it.cpu
				open[i].mem -= it.mem
				placed = true
				break
			}
		}
		if !placed {
			if nt.MaxNodes > 0 && len(open) == nt.MaxNodes {
				return Packing{}, fmt.Errorf("%s: needs more than its maxNodes %d", nt.Name, nt.MaxNodes)
			}
			open = append(open, room{nt.CPU - it.cpu, nt.Memory - it.mem})
		}
	}
	p.Nodes = len(open)
	p.CostPerHour = float64(p.Nodes) * nt.PricePerHour
	p.CostPerMonth = p.CostPerHour * HoursPerMonth
	return p, nil
}
