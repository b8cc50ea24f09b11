package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileMatchesMakeImage keeps the Dockerfile, which cannot be
// built here (no container daemon), describing the image `make image`
// builds and the tests run: the same go build flags as build.sh, the binary
// at the same path as the entrypoint, the same user. It guards against
// drift only; it does not show that the Dockerfile builds.
func TestDockerfileMatchesMakeImage(t *testing.T) {
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	goBuild := regexp.MustCompile(`(?:go|\$GO) build (-trimpath -ldflags "-s -w -X main\.version=\$\{?VERSION\}?") -o \S+ \./cmd/headroom`)
	d, s := goBuild.FindStringSubmatch(string(df)), goBuild.FindStringSubmatch(string(sh))
	braces := strings.NewReplacer("{", "", "}", "")
	if d == nil || s == nil || braces.Replace(d[1]) != braces.Replace(s[1]) {
		t.Errorf("go build lines differ or are missing:\nDockerfile: %q\nbuild.sh:   %q", d, s)
	}
	for _, want := range []string{
		"CGO_ENABLED=0 GOOS=$TARGETOS",
		"COPY --from=build /out/headroom " + binaryPath + "\n",
		"USER " + user + "\n",
		`ENTRYPOINT ["` + binaryPath + `"]`,
		"WORKDIR " + home + "\n",
		"FROM gcr.io/distroless/static:nonroot\n",
	} {
		if !strings.Contains(string(df), want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if !strings.Contains(string(sh), "CGO_ENABLED=0 GOOS=linux") {
		t.Errorf("build.sh does not build with CGO_ENABLED=0 GOOS=linux")
	}
}
