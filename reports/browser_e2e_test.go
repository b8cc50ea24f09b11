//go:build e2e

package reports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestReportRendersInChromium opens report.html in headless Chromium (the
// Debian package, installed by hack/e2e/suites/10-report.sh) and checks that
// every image decoded, nothing was logged to the console, and the page
// prints to PDF. HEADROOM_E2E_REPORT names a report.html written by the CLI;
// without it the test writes the NOA report itself.
func TestReportRendersInChromium(t *testing.T) {
	path := os.Getenv("HEADROOM_E2E_REPORT")
	wantImages := -1
	if path == "" {
		_, rep := noa(t)
		_, figs, pngs, err := RenderFigures(rep)
		if err != nil {
			t.Fatal(err)
		}
		r := *rep
		r.Figures = figs
		path = filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(path, HTML(&r, pngs), 0o644); err != nil {
			t.Fatal(err)
		}
		wantImages = len(figs)
	} else if n, err := strconv.Atoi(os.Getenv("HEADROOM_E2E_IMAGES")); err == nil {
		wantImages = n
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser: no timeout on it (it would stop the
	// browser), a deadline on everything after.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	listenErr := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			note("console.%s with %d argument(s)", e.Type, len(e.Args))
		case runtime.EventConsoleAPICalled:
			note("console.%s with %d argument(s)", e.Type, len(e.Args))
		case *runtime.EventExceptionThrown:
			note("exception: %s", e.ExceptionDetails.Text)
		case runtime.EventExceptionThrown:
			note("exception: %s", e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			note("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
		case log.EventEntryAdded:
			note("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
		}
	})
	if listenErr != nil {
		t.Fatalf("start chromium: %v", listenErr)
	}
	enable := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{})
		return err
	})
	// First a page with a console message and a broken image, to show the
	// checks below can fail.
	bad := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><title>bad</title><img alt="broken" src="data:image/png;base64,AAAA"><script>console.error("boom")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, enable, chromedp.Navigate("file://"+bad), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	badImgs, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`Promise.all(Array.from(document.images).map(i => i.decode().then(() => true, () => false)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	caught := len(problems)
	problems = nil
	mu.Unlock()
	if caught == 0 || len(badImgs) != 1 || badImgs[0] {
		t.Fatalf("the checks missed a console error (%d messages) or a broken image (%v)", caught, badImgs)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	type img struct {
		Alt   string `json:"alt"`
		OK    bool   `json:"ok"`
		Width int    `json:"width"`
	}
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[[]img](`Promise.all(Array.from(document.images).map(i => i.decode().then(() => true, () => false)))
			.then(() => Array.from(document.images).map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (page.PrintToPDFResult, error) {
		yes := true
		return cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &yes})
	})
	if err != nil {
		t.Fatal(err)
	}
	pdf := printed.Data
	if !strings.HasPrefix(title, "Capacity review") {
		t.Errorf("title %q", title)
	}
	if len(imgs) == 0 {
		t.Error("the report has no images")
	}
	if wantImages >= 0 && len(imgs) != wantImages {
		t.Errorf("%d images on the page, %d figures rendered", len(imgs), wantImages)
	}
	for _, im := range imgs {
		if !im.OK {
			t.Errorf("image %q did not render", im.Alt)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported %s", p)
	}
	if len(pdf) < 10_000 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("printing to PDF gave %d bytes", len(pdf))
	}
	t.Logf("%d images rendered, %d-byte PDF, no console message", len(imgs), len(pdf))
}
