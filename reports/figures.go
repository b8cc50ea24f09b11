package reports

import (
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// RenderFigures draws every plot of the report: the simulations of each
// scenario with today's settings, each service's capacity curve, today's
// against the proposed HPA where there is a proposal, and each event with
// its pre-scale. It returns the files to write under plots/, their
// references for the documents, and each PNG by name for report.html.
func (rep *Report) RenderFigures(plan *scenarios.Plan) ([]File, []FigureRef, map[string][]byte, error) {
	var results []*sim.Result
	for _, sc := range plan.Scenarios {
		if r := rep.Run(sc.Name, false); r != nil {
			results = append(results, r)
		}
	}
	figs, err := PlanFigures(plan, results)
	if err != nil {
		return nil, nil, nil, err
	}
	var jobs []func() ([]Figure, error)
	for _, cur := range results {
		prop := rep.Run(cur.Scenario, true)
		if prop == nil {
			continue
		}
		sc := plan.Scenario(cur.Scenario)
		for i := range cur.Services {
			name := cur.Services[i].Service
			spec, ok := rep.proposed[name]
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
		run := rep.Run(ev.Event.Scenario+"+prescale", false)
		sc := plan.Scenario(ev.Event.Scenario)
		if run == nil || sc == nil {
			continue
		}
		renamed := *sc
		renamed.Name = sc.Name + "-prescale"
		for _, ps := range ev.PreScales {
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
	more, err := runJobs(jobs)
	if err != nil {
		return nil, nil, nil, err
	}
	figs = append(figs, more...)

	var files []File
	var refs []FigureRef
	pngs := map[string][]byte{}
	for _, f := range figs {
		files = append(files, File{Path: f.Name + ".png", Data: f.PNG}, File{Path: f.Name + ".svg", Data: f.SVG})
		refs = append(refs, FigureRef{
			Name: f.Name, Kind: f.Kind, Title: f.Title, Caption: f.Caption, Service: f.Service, Scenario: f.Scenario,
			Event: prescaled[f.Name], PNG: "plots/" + f.Name + ".png", SVG: "plots/" + f.Name + ".svg",
		})
		pngs[f.Name] = f.PNG
	}
	return files, refs, pngs, nil
}
