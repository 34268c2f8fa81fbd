// Command pin rewrites action.yml for a release, pointing runs.image at the
// image the release pushed:
//
//	go run ./internal/release/cmd/pin -image ghcr.io/OWNER/token-gate -digest sha256:... action.yml
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
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pin -image NAME -digest sha256:... action.yml")
		os.Exit(2)
	}
	path := flag.Arg(0)
	data, err := os.ReadFile(path)
	if err == nil {
		data, err = release.Pin(data, *image, *digest)
	}
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pin:", err)
		os.Exit(1)
	}
}
