package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
)

// The fakes the install script runs against: github.com and the host its
// downloads redirect to, on the fake internet (internal/fake), and gh.
// Each handler only reads what newRelease set before the servers started,
// and what it records goes through a mutex: handlers run concurrently, and
// tests run in parallel and in any order (-shuffle).

const (
	testVersion = "v9.9.9"
	testRepo    = "token-gate/token-gate"
	// assetHost is where github.com sends release downloads since 2025
	// (docs/facts.md, "Release downloads": packit/ai-workflows#634,
	// chainguard-dev/edu#3290; objects.githubusercontent.com before).
	assetHost = "release-assets.githubusercontent.com"
)

// The binary the fake release serves, built once for this machine.
var built = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "token-gate-composite")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "token-gate")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-X github.com/token-gate/token-gate/internal/version.Version="+testVersion, "-o", out, "../..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, msg)
	}
	return os.ReadFile(out)
})

// hostPlatform is this machine as the runner names it, and the release's
// file for it.
func hostPlatform(t *testing.T) (osName, arch, file string) {
	t.Helper()
	osName = map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	arch = map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if osName == "" || arch == "" || runtime.GOOS == "windows" {
		t.Skipf("the install script is tested on Linux and macOS; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return osName, arch, "token-gate-" + runtime.GOOS + "-" + runtime.GOARCH
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// digestsFor pins file to its bytes, and every other target to a digest of
// bytes no test serves.
func digestsFor(file string, data []byte) Digests {
	d := Digests{}
	for _, t := range Targets {
		d[t] = digestOf([]byte("not served: " + t))
	}
	d[file] = digestOf(data)
	return d
}

// sumsText is SHA256SUMS as sha256sum writes it, for the files given.
func sumsText(files map[string][]byte) []byte {
	var b bytes.Buffer
	for _, name := range Targets {
		if data, ok := files[name]; ok {
			fmt.Fprintf(&b, "%s  %s\n", digestOf(data), name)
		}
	}
	return b.Bytes()
}

// release is how the fake answers a download.
type release struct {
	// assets are the release's files by name.
	assets map[string][]byte
	// direct: github.com answers 200 with the bytes. GitHub's docs say a
	// client must take a 200 as well as a 302 (docs/facts.md, "Release
	// downloads"); github.com answers 302 today.
	direct bool
	// missing is the status for a file the release does not have: not
	// documented; 404 unless a test says 403 (docs/facts.md, "Release
	// downloads").
	missing int
	// plainRedirect sends the 302 to http://, which the script must not
	// follow.
	plainRedirect bool
}

// releaseServer serves a release as github.com does, on the fake
// internet: https://github.com/OWNER/REPO/releases/download/TAG/NAME
// answers 302 Found with text/html and a Location on assetHost, a
// pre-signed URL, where the bytes are, as application/octet-stream
// (docs/facts.md, "Release downloads": DataDog/documentation#24206 quotes
// the headers; packit/ai-workflows#634 and chainguard-dev/edu#3290 name
// the host today).
type releaseServer struct {
	in  *fake.Internet
	rel release // read-only once the handlers run

	mu       sync.Mutex
	requests []recorded
}

// recorded is what a test asks of a request the fake received.
type recorded struct {
	host, path, authorization string
}

func newRelease(t *testing.T, rel release) *releaseServer {
	t.Helper()
	rel.assets = maps(rel.assets)
	if rel.missing == 0 {
		rel.missing = http.StatusNotFound
	}
	rs := &releaseServer{in: fake.NewInternet(t), rel: rel}
	prefix := "/" + testRepo + "/releases/download/" + testVersion + "/"
	rs.in.Serve("github.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.record(r)
		name, ok := strings.CutPrefix(r.URL.Path, prefix)
		data, exists := rs.rel.assets[name]
		switch {
		case !ok || !exists:
			// Not documented: 404, or the 403 a test asks for
			// (docs/facts.md, "Release downloads").
			w.WriteHeader(rs.rel.missing)
		case rs.rel.direct:
			// 200 with the bytes, which a client must take as well as a
			// 302 (GitHub docs, "REST API endpoints for release assets";
			// docs/facts.md, "Release downloads").
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(data)
		default:
			scheme := "https"
			if rs.rel.plainRedirect {
				scheme = "http"
			}
			// 302 Found, text/html, to a pre-signed URL on assetHost
			// whose query asks for application/octet-stream
			// (DataDog/documentation#24206; packit/ai-workflows#634 for
			// the host; docs/facts.md, "Release downloads"). The charset,
			// the path and se/sig are stand-ins no source quotes: the
			// script relies on nothing in them.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Location", scheme+"://"+assetHost+"/github-production-release-asset/4242/"+name+
				"?se=2026-01-01T00%3A05%3A00Z&sig=c2lnbmF0dXJl&response-content-type=application%2Foctet-stream")
			w.WriteHeader(http.StatusFound)
		}
	}))
	rs.in.Serve(assetHost, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.record(r)
		data, ok := rs.rel.assets[strings.TrimPrefix(r.URL.Path, "/github-production-release-asset/4242/")]
		if !ok || r.URL.Query().Get("sig") == "" {
			// docs/facts.md cites no source for the asset host's answer
			// to a URL it did not sign: 403 is this fake's choice, and
			// the script refuses any failing status (curl -f).
			w.WriteHeader(http.StatusForbidden)
			return
		}
		// The bytes, as the signed URL's response-content-type asks
		// (DataDog/documentation#24206; docs/facts.md, "Release
		// downloads").
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	}))
	return rs
}

// maps copies a map of files, so that no test changes what a handler reads.
func maps(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}

func (rs *releaseServer) record(r *http.Request) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.requests = append(rs.requests, recorded{r.Host, r.URL.Path, r.Header.Get("Authorization")})
}

// Requests lists what the release's hosts received so far.
func (rs *releaseServer) Requests() []recorded {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.Clone(rs.requests)
}

// ghFake is a gh on the script's PATH that answers as a real gh of its
// version does, from the recordings in testdata/gh (README.md there), and
// logs every call with the variables that choose its host and token.
type ghFake struct {
	version string // a directory of testdata/gh
	// verdict is the recording `attestation verify FILE` replays once gh
	// has accepted its flags and its host: attestation-verify-pass or
	// attestation-verify-404.
	verdict string
}

// ghCall is one logged call of the fake gh.
type ghCall struct {
	args []string
	env  map[string]string // "<unset>" for a variable that was not set
}

// ghLogged are the variables the fake logs.
var ghLogged = []string{"GH_HOST", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_CONFIG_DIR", "GH_DEBUG"}

// install writes the fake into dir as gh, logging to log.
func (g ghFake) install(t *testing.T, dir, log string) {
	t.Helper()
	rec, err := filepath.Abs(filepath.Join("testdata", "gh", g.version))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rec); err != nil {
		t.Fatalf("no recordings for gh %s: %v", g.version, err)
	}
	var env strings.Builder
	for _, v := range ghLogged {
		fmt.Fprintf(&env, `printf '\t%s=%%s' "${%s-<unset>}"; `, v, v)
	}
	script := `#!/bin/sh
rec='` + rec + `'
{ printf 'call'; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'
  printf 'env'; ` + env.String() + `printf '\n'; } >>'` + log + `'
# replay CALL [FILE]: a recording, with DIGEST and FILE filled in.
replay() {
	digest=""; [ -n "${2:-}" ] && digest="$(sha256sum <"$2" | cut -d' ' -f1)"
	[ -f "$rec/$1.stdout" ] && sed -e "s|DIGEST|$digest|g" -e "s|FILE|${2:-}|g" "$rec/$1.stdout"
	[ -f "$rec/$1.stderr" ] && sed -e "s|DIGEST|$digest|g" -e "s|FILE|${2:-}|g" "$rec/$1.stderr" >&2
	exit "$(cat "$rec/$1.code" 2>/dev/null || echo 0)"
}
if [ "$*" = "--version" ]; then replay version; fi
case "$*" in
"attestation verify "*" --help") replay attestation-verify-probe ;;
esac
if [ "$1 $2" = "attestation verify" ]; then
	# Refused before any request: no such command, or no such flag.
	[ -f "$rec/attestation-verify.stderr" ] && replay attestation-verify "$3"
	# gh refuses a GHES host before any request (cli/cli
	# pkg/cmd/attestation/auth/host.go); GH_HOST unset means github.com.
	case "${GH_HOST:-github.com}" in
	github.com | *.ghe.com) ;;
	*) replay attestation-verify-ghes "$3" ;;
	esac
	replay '` + g.verdict + `' "$3"
fi
echo "fake gh: no recording for: $*" >&2
exit 97
`
	if err := os.WriteFile(filepath.Join(dir, "gh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// ghCalls reads the fake's log.
func ghCalls(t *testing.T, log string) []ghCall {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var calls []ghCall
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		fields := strings.Split(line, "\t")
		switch fields[0] {
		case "call":
			calls = append(calls, ghCall{args: fields[1:], env: map[string]string{}})
		case "env":
			for _, kv := range fields[1:] {
				k, v, _ := strings.Cut(kv, "=")
				calls[len(calls)-1].env[k] = v
			}
		}
	}
	return calls
}

// tools is a PATH of the tools the script uses, and gh only when given:
// the script must behave with and without it.
func tools(t *testing.T, gh *ghFake, log string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"bash", "curl", "awk", "cut", "sha256sum", "shasum", "mkdir", "cp", "chmod", "mv", "rm", "mktemp", "cat", "env", "head", "sed"} {
		if p, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if gh != nil {
		gh.install(t, dir, log)
	}
	return dir
}
