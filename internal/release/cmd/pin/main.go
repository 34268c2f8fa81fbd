// Command pin rewrites the actions for a release: action.yml's runs.image
// points at the image the release pushed, and composite/action.yml, made
// anew from action.yml, downloads the release's binaries and pins each to
// the SHA-256 in the release's SHA256SUMS:
//
//	go run ./internal/release/cmd/pin -image ghcr.io/OWNER/token-gate -digest sha256:... -version vX.Y.Z -sums dist/SHA256SUMS action.yml composite/action.yml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/token-gate/token-gate/internal/release"
)

func main() {
	image := flag.String("image", "", "the image name, without tag or digest")
	digest := flag.String("digest", "", "the image digest, sha256:...")
	version := flag.String("version", "", "the release, vMAJOR.MINOR.PATCH")
	sums := flag.String("sums", "", "the release's SHA256SUMS, one line for each binary")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: pin -image NAME -digest sha256:... -version vX.Y.Z -sums SHA256SUMS action.yml composite/action.yml")
		os.Exit(2)
	}
	if err := pin(*image, *digest, *version, *sums, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "pin:", err)
		os.Exit(1)
	}
}

func pin(image, digest, version, sumsPath, actionPath, compositePath string) error {
	if sumsPath == "" {
		return fmt.Errorf("-sums is required: the composite pins each binary's SHA-256")
	}
	sumsFile, err := os.ReadFile(sumsPath)
	if err != nil {
		return err
	}
	digests, err := release.ParseSums(sumsFile)
	if err != nil {
		return fmt.Errorf("%s: %w", sumsPath, err)
	}
	action, err := os.ReadFile(actionPath)
	if err != nil {
		return err
	}
	// Both are made before either is written: a bad flag changes nothing.
	composite, err := release.Composite(action, version, digests)
	if err != nil {
		return err
	}
	pinned, err := release.Pin(action, image, digest)
	if err != nil {
		return err
	}
	if err := os.WriteFile(actionPath, pinned, 0o644); err != nil {
		return err
	}
	return os.WriteFile(compositePath, composite, 0o644)
}
