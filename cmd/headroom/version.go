package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v0.1.0".
var version = ""

type versionInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func currentVersion() versionInfo {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return versionInfo{Version: v, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

func init() { registerCommand("other", newVersionCmd) }

func newVersionCmd(streams ioStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the headroom version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := currentVersion()
			switch output {
			case "", "table":
				fmt.Fprintf(streams.Out, "headroom %s (%s, %s)\n", v.Version, v.GoVersion, v.Platform)
			case "json":
				return printJSON(streams.Out, v)
			default:
				return usageErrorf("--output must be table or json, got %q", output)
			}
			return nil
		},
	}
	bindFormat(cmd, &output, []string{"table", "json"}, "", "")
	return cmd
}
