package reports

import (
	"errors"

	"github.com/headroom-dev/headroom/review/record"
)

// RenderFigures draws every plot of a review: the simulations of each
// scenario with today's settings, each service's capacity curve, today's
// against the proposed HPA where there is a proposal, and each event with
// its pre-scale. It returns the files to write under plots/, their
// references for the documents, and each PNG by name for report.html.
//
// The review's Shows limits the per-service figures (rep.Plots); cluster
// figures are always drawn, unless it shows none at all.
func RenderFigures(rep *record.Review) ([]File, []record.FigureRef, map[string][]byte, error) {
	var files []File
	pngs := map[string][]byte{}
	refs, err := streamFigures(rep, func(f Figure) error {
		files = append(files, File{Path: f.Name + ".png", Data: f.PNG}, File{Path: f.Name + ".svg", Data: f.SVG})
		pngs[f.Name] = f.PNG
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return files, refs, pngs, nil
}

// streamFigures draws the figures of RenderFigures and hands each to emit
// as soon as it and those before it are drawn, in RenderFigures' order;
// it returns their references.
func streamFigures(rep *record.Review, emit func(Figure) error) ([]record.FigureRef, error) {
	plan := rep.Input
	if plan == nil {
		return nil, errors.New("plot: the review has no plan")
	}
	if rep.Plots == record.PlotsNone {
		return nil, nil
	}
	show := rep.Shows
	var results []*record.Run
	for _, sc := range plan.Scenarios {
		r := rep.Run(sc.Name, record.Current)
		if r == nil {
			continue
		}
		kept := *r
		kept.Services = nil
		for _, s := range r.Services {
			if show(s.Service, sc.Name) {
				kept.Services = append(kept.Services, s)
			}
		}
		results = append(results, &kept)
	}
	shown := *plan
	shown.Services = nil
	for _, s := range plan.Services {
		if show(s.Name, "") {
			shown.Services = append(shown.Services, s)
		}
	}
	jobs, err := planFigureJobs(&shown, results, rep.Curves)
	if err != nil {
		return nil, err
	}
	if len(rep.CallGraph) > 0 {
		var names []string
		for _, s := range rep.Services {
			names = append(names, s.Name)
		}
		trouble := map[string][]string{}
		for _, sc := range rep.Scenarios {
			if sc.TroubleStartsAt != "" {
				trouble[sc.TroubleStartsAt] = append(trouble[sc.TroubleStartsAt], sc.Name)
			}
		}
		graph := rep.CallGraph
		jobs = append([]func() ([]Figure, error){func() ([]Figure, error) {
			f, err := CallGraphFigure(graph, names, trouble)
			return []Figure{f}, err
		}}, jobs...)
	}
	for _, cur := range results {
		prop := rep.Run(cur.Scenario, record.Proposed)
		if prop == nil {
			continue
		}
		sc := plan.Scenario(cur.Scenario)
		for i := range cur.Services {
			name := cur.Services[i].Service
			if !show(name, cur.Scenario) {
				continue
			}
			spec, ok := rep.ProposedHPAs[name]
			p := prop.Service(name)
			if !ok || p == nil {
				continue
			}
			svc, c := plan.Service(name), &cur.Services[i]
			jobs = append(jobs, func() ([]Figure, error) {
				f, err := CompareFigure(svc, sc, spec, c, p)
				return []Figure{f}, err
			})
		}
	}
	for _, ev := range rep.Events {
		run := rep.Run(ev.Event.Scenario, record.PreScaled)
		sc := plan.Scenario(ev.Event.Scenario)
		if run == nil || sc == nil {
			continue
		}
		renamed := *sc
		renamed.Name = sc.Name + "-prescale"
		for _, ps := range ev.PreScales {
			if !show(ps.Service, ev.Event.Scenario) {
				continue
			}
			sr := run.Service(ps.Service)
			svc := plan.Service(ps.Service)
			if sr == nil || svc == nil {
				continue
			}
			event := ev.Event.Name
			jobs = append(jobs, func() ([]Figure, error) {
				fs, err := ServiceFigures(svc, &renamed, sr)
				var keep []Figure
				for _, f := range fs {
					if f.Kind == FigureTraffic || f.Kind == FigureLatency {
						f.Caption = "With the pre-scale for event " + event + ": " + f.Caption
						f.event = event
						keep = append(keep, f)
					}
				}
				return keep, err
			})
		}
	}
	if bt := rep.Backtest; bt != nil {
		for i := range bt.Services {
			s := &bt.Services[i]
			jobs = append(jobs, func() ([]Figure, error) {
				f, err := BacktestFigure(bt, s)
				return []Figure{f}, err
			})
		}
	}
	var refs []record.FigureRef
	err = streamJobs(jobs, func(f Figure) error {
		refs = append(refs, record.FigureRef{
			Name: f.Name, Kind: f.Kind, Title: f.Title, Caption: f.Caption, Service: f.Service, Scenario: f.Scenario,
			Event: f.event, PNG: "plots/" + f.Name + ".png", SVG: "plots/" + f.Name + ".svg",
		})
		return emit(f)
	})
	if err != nil {
		return nil, err
	}
	return refs, nil
}
