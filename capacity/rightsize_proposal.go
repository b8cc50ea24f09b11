package capacity

// RightsizeProposal is, for one service, the recommender's proposal that
// `headroom rightsize --out-dir` writes as patches, next to the usage
// peaks it took from the right-sizing estimators as its input.
type RightsizeProposal struct {
	Service string `json:"service"`
	// Met: the proposal holds the SLO in every scenario; when not,
	// Binding names what stops it.
	Met     bool   `json:"met"`
	Binding string `json:"binding,omitempty"`
	// UsageFloor are the observed peaks (the memory one with the
	// estimator's margin) below which the proposal's CPU limit and memory
	// request do not go.
	UsageFloor *UsagePeak `json:"usageFloor,omitempty"`
	// Current and Chosen are today's HPA setting and the proposal's, each
	// with its burns, SLO minutes and cost per scenario; absent for a
	// service the recommender does not simulate (no HPA, or fixed size).
	Current *Point `json:"current,omitempty"`
	Chosen  *Point `json:"chosen,omitempty"`
	// Recommendation is the change the patches carry, with its reasons.
	Recommendation Recommendation `json:"recommendation"`
}

// NewRightsizeProposals summarises the recommender's proposals for a
// right-sizing report: the proposal of each service, the usage floor it
// was given, and today's and the chosen point without the rest of the
// search.
func NewRightsizeProposals(props Proposals, usage map[string]UsagePeak) []RightsizeProposal {
	out := make([]RightsizeProposal, 0, len(props))
	for i := range props {
		p := &props[i]
		r := RightsizeProposal{Service: p.Service, Met: p.Met, Binding: p.Binding, Recommendation: p.Recommendation}
		if u, ok := usage[p.Service]; ok {
			r.UsageFloor = &u
		}
		if len(p.Current.Outcomes) > 0 {
			cur, ch := p.Current, p.Chosen
			r.Current, r.Chosen = &cur, &ch
		}
		out = append(out, r)
	}
	return out
}
