package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// imageRepository is where the project publishes the headroom image; `make
// image` builds it (README "Container image").
const imageRepository = "ghcr.io/headroom-dev/headroom"

// devImageTag is the tag a development build defaults to: no released image
// carries it, so such a build warns and wants --image.
const devImageTag = "dev"

// releaseVersion matches a released version: v1.2.3 or v1.2.3-rc.1. Not a
// `git describe` between tags (v1.2.3-4-gabcdef0), a dirty tree
// (v1.2.3-dirty, +dirty) or a Go pseudo-version
// (v0.0.0-20260101120000-abcdef123456): the pre-release part has no hyphen
// (Semantic Versioning 2.0.0 allows one; the project's tags do not use it).
var releaseVersion = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.]+)?$`)

// defaultImage is the headroom image this binary's cluster-side commands
// default to: the tag of its own version when it is a release, otherwise
// the dev tag (released reports false).
func defaultImage(v string) (image string, released bool) {
	if releaseVersion.MatchString(v) && !strings.HasSuffix(v, "-dirty") {
		return imageRepository + ":" + v, true
	}
	return imageRepository + ":" + devImageTag, false
}

// validImage checks an --image value as a registry would read it (an
// optional registry host, a lowercase repository path, a tag or a digest),
// with go-containerregistry's parser, and names the flag when it is not.
func validImage(flag, ref string) error {
	if strings.TrimSpace(ref) == "" {
		return usageErrorf("%s is empty: want an image reference such as %s:v1.0.0", flag, imageRepository)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return usageErrorf("%s %q is not an image reference (registry/repository:tag or @sha256:digest): %v", flag, ref, err)
	}
	// go-containerregistry checks the repository's characters only; a
	// registry also wants each path component to be alphanumerics joined
	// by single separators (distribution/reference, regexp.go,
	// pathComponent), so "a//b" or "-x" fail at the pull, after the Job ran.
	for _, c := range strings.Split(r.Context().RepositoryStr(), "/") {
		if !pathComponent.MatchString(c) {
			return usageErrorf("%s %q is not an image reference: the repository path component %q must be lowercase letters and digits joined by '.', '_', '__' or '-'", flag, ref, c)
		}
	}
	return nil
}

// pinnedImage is validImage for an image a cluster runs unattended (the
// pre-scale CronJobs' kubectl): it must also name a version tag or a
// digest, since an untagged image means :latest, which changes under you.
func pinnedImage(flag, ref string) error {
	if _, digest, ok := strings.Cut(ref, "@"); ok && !imageDigest.MatchString(digest) {
		return usageErrorf("%s %q: the digest must be sha256: and 64 hex digits", flag, ref)
	}
	if err := validImage(flag, ref); err != nil {
		return err
	}
	// validImage parsed it already; an untagged reference parses as :latest.
	if r, err := name.ParseReference(ref); err == nil && isLatest(r) {
		return usageErrorf("%s %q: pin a version tag or a digest, not latest", flag, ref)
	}
	return nil
}

func isLatest(r name.Reference) bool {
	t, ok := r.(name.Tag)
	return ok && t.TagStr() == "latest"
}

// imageDigest is the one digest algorithm registries serve today.
var imageDigest = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// pathComponent is a repository path component (distribution/reference,
// regexp.go: alphanumeric (separator alphanumeric)*, separator [_.]|__|[-]+).
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// warnDevImage tells the user of a development build that the default image
// is not a released one, unless --image was given.
func warnDevImage(w io.Writer, flagSet bool, image string) {
	if flagSet {
		return
	}
	if _, released := defaultImage(currentVersion().Version); released {
		return
	}
	fmt.Fprintf(w, "warning: this headroom is a development build (version %s), and no released image is tagged %q: "+
		"build one with `make image`, push it and pass --image, or use a released headroom\n", currentVersion().Version, image)
}
