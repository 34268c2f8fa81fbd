// Package release owns the one edit a release makes to the action: pointing
// action.yml's runs.image at the image that release built and pushed, by
// digest, so a job that uses a released token-gate pulls it instead of
// building the Dockerfile (docs/facts.md, "How the runner starts the
// container"). Nothing else in the file changes.
package release

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

var (
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	imagePattern  = regexp.MustCompile(`^[a-z0-9.-]+(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$`)
)

// Pin returns actionYML with runs.image set to docker://IMAGE@DIGEST. The
// image is a name without tag or digest (ghcr.io/OWNER/token-gate); the
// digest is sha256:<64 hex>. Only the image line changes, whatever it held
// before (Dockerfile, or an earlier pin).
func Pin(actionYML []byte, image, digest string) ([]byte, error) {
	if !imagePattern.MatchString(image) {
		return nil, fmt.Errorf("image %q is not a lowercase REGISTRY/OWNER/NAME without tag or digest", image)
	}
	if !digestPattern.MatchString(digest) {
		return nil, fmt.Errorf("digest %q is not sha256: and 64 lowercase hex digits", digest)
	}
	lines := bytes.SplitAfter(actionYML, []byte("\n"))
	inRuns, done := false, false
	for i, line := range lines {
		text := strings.TrimRight(string(line), "\r\n")
		switch {
		case text == "runs:":
			inRuns = true
		case inRuns && text != "" && !strings.HasPrefix(text, " "):
			inRuns = false
		case inRuns && strings.HasPrefix(strings.TrimSpace(text), "image:") && strings.HasPrefix(text, "  ") && !strings.HasPrefix(text, "   "):
			if done {
				return nil, fmt.Errorf("runs has two image lines")
			}
			ending := string(line[len(text):])
			lines[i] = []byte("  image: docker://" + image + "@" + digest + ending)
			done = true
		}
	}
	if !done {
		return nil, fmt.Errorf("no runs.image line found in action.yml")
	}
	return bytes.Join(lines, nil), nil
}
