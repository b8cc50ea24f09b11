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
	plan := rep.Input
	if plan == nil {
		return nil, nil, nil, errors.New("plot: the review has no plan")
	}
	if rep.Plots == record.PlotsNone {
		return nil, nil, nil, nil
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
	figs, err := PlanFigures(&shown, results, rep.Curves)
	if err != nil {
		return nil, nil, nil, err
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
		f, err := CallGraphFigure(rep.CallGraph, names, trouble)
		if err != nil {
			return nil, nil, nil, err
		}
		figs = append([]Figure{f}, figs...)
	}
	var jobs []func() ([]Figure, error)
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
	prescaled := map[string]string{} // figure name → event
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
						prescaled[f.Name] = event
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
	more, err := runJobs(jobs)
	if err != nil {
		return nil, nil, nil, err
	}
	figs = append(figs, more...)

	var files []File
	var refs []record.FigureRef
	pngs := map[string][]byte{}
	for _, f := range figs {
		files = append(files, File{Path: f.Name + ".png", Data: f.PNG}, File{Path: f.Name + ".svg", Data: f.SVG})
		refs = append(refs, record.FigureRef{
			Name: f.Name, Kind: f.Kind, Title: f.Title, Caption: f.Caption, Service: f.Service, Scenario: f.Scenario,
			Event: prescaled[f.Name], PNG: "plots/" + f.Name + ".png", SVG: "plots/" + f.Name + ".svg",
		})
		pngs[f.Name] = f.PNG
	}
	return files, refs, pngs, nil
}
