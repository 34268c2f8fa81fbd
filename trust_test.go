package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

// The trust items that are about what the program writes, held against the
// built binary: every byte it writes is scanned for every secret of the
// run, whole, escaped, encoded and in part (fake.Leaks).

// leakToken is obviously fake but distinct along its length, so that a piece
// of it left by a cut can be told from padding.
var leakToken = fake.Token("ghp_", "leakcheck0123456789")

// TestServerTextRedactedBeforeItIsCut runs the three places a server's text
// used to be cut before redaction, each with the token placed so that the old
// cut left about 20 of its characters.
func TestServerTextRedactedBeforeItIsCut(t *testing.T) {
	t.Parallel()
	good := fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")}
	tests := []struct {
		name  string
		setup func(gh *fake.GitHub, reg *fake.Registry)
		with  func(reg *fake.Registry) map[string]string
		says  string
	}{
		{
			// A page that is not GitHub's JSON, quoted by its first 60
			// characters: the token starts at the 41st.
			name: "GET /user answers 200 text/html quoting the token",
			setup: func(gh *fake.GitHub, _ *fake.Registry) {
				gh.Add(leakToken, good)
				gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
					a := fake.Recorded("captive-portal-200")
					a.Body = "<html><body>Your token is: ............." + leakToken
					a.Write(w)
					return true
				})
			},
			with: func(*fake.Registry) map[string]string { return map[string]string{"token": leakToken} },
			says: "Your token is: .............***",
		},
		{
			// A registry's HTML words, quoted by their first 160 characters.
			name: "the upload answers 403 text/html with 137 z and the token",
			setup: func(gh *fake.GitHub, reg *fake.Registry) {
				gh.Add(leakToken, good)
				reg.Accept(leakToken)
				reg.SetUploadAnswer(fake.Recorded("proxy-forbidden-403").WithBody("<p>" + strings.Repeat("z", 137) + leakToken))
			},
			with: func(reg *fake.Registry) map[string]string {
				return map[string]string{"token": leakToken, "packages": reg.Host + "/aibrix/runtime"}
			},
			says: strings.Repeat("z", 137) + "***",
		},
		{
			// A token service's refusal that is not the spec's JSON.
			name: "the token service answers 401 with 130 x and the token",
			setup: func(gh *fake.GitHub, reg *fake.Registry) {
				gh.Add(leakToken, good)
				reg.SetRefusalAnswer(fake.Recorded("registry-token-401").WithBody(strings.Repeat("x", 130) + leakToken))
			},
			with: func(reg *fake.Registry) map[string]string {
				return map[string]string{"token": leakToken, "packages": reg.Host + "/aibrix/runtime"}
			},
			says: "***",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh, reg := fake.NewGitHub(t), fake.NewRegistry(t)
			tc.setup(gh, reg)
			contexts := fake.Contexts(gh.URL)
			r := runProcess(t, tc.with(reg), contexts)
			if leaks := fake.StepLeaks(r, gh, reg, tc.with(reg), contexts); len(leaks) > 0 {
				t.Errorf("leaked: %v", leaks)
			}
			if !strings.Contains(r.Messages(), tc.says) {
				t.Errorf("no annotation quotes the server's words redacted (%q):\n%s", tc.says, r.Messages())
			}
			if r.Code != 1 {
				t.Errorf("exit %d, want 1", r.Code)
			}
		})
	}
}

// TestQuotedPasswordRedacted: a password holding " and \ echoed by a token
// service in its JSON (escaped) or as plain text (raw) is redacted before it
// is quoted, so no message publishes it escaped.
func TestQuotedPasswordRedacted(t *testing.T) {
	t.Parallel()
	const password = `pa"ss\wo"rd-1234567`
	for _, shape := range []string{"json", "text"} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			in := fake.NewInternet(t)
			gh, hub := fake.NewGitHub(t), fake.NewRegistry(t)
			in.ServeGitHub(gh)
			in.ServeDockerHub(hub)
			if shape == "json" {
				hub.SetEchoDetails(true)
			} else {
				hub.SetRefusalAnswer(fake.Recorded("proxy-forbidden-403").WithStatus(401).WithBody("incorrect password " + password))
			}
			with := map[string]string{"registry": "docker.io", "username": "dockerhub-user", "token": password, "token-name": "DOCKER_HUB_ACCESS_TOKEN"}
			contexts := fake.Contexts("https://api.github.com")
			r := runProcessWith(t, with, contexts, "HTTPS_PROXY="+in.ProxyURL, "SSL_CERT_FILE="+in.CAFile)
			if leaks := fake.Leaks(r.All(), password, contexts["github.token"]); len(leaks) > 0 {
				t.Errorf("leaked: %v", leaks)
			}
			if !strings.Contains(r.Messages(), `incorrect password ***`) {
				t.Errorf("the echo is not redacted:\n%s", r.Messages())
			}
		})
	}
}

// runTerminal starts the built binary as a terminal command.
func runTerminal(t *testing.T, env []string, args ...string) fake.Step {
	t.Helper()
	needBinary(t)
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	step, err := fake.RunStep(cmd, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return step
}

// TestFlagsNeverEchoATokenWhole: the flag package prints a bad value or an
// unknown flag whole; the binary quotes every one through secret.Quote.
func TestFlagsNeverEchoATokenWhole(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--token-stdin=" + leakToken},
		{"--json=" + leakToken},
		{"-" + leakToken},
		{"--" + leakToken + "=1"},
		{"--packages", "ghcr.io/a/b", leakToken},
	} {
		r := runTerminal(t, nil, args...)
		if r.Code != 2 {
			t.Errorf("%.20q: exit %d, want 2", args, r.Code)
		}
		if leaks := fake.Leaks(r.All(), leakToken); len(leaks) > 0 || !strings.Contains(r.Stderr, "ghp_…") {
			t.Errorf("%.20q: leaked %v:\n%s", args, leaks, r.Stderr)
		}
	}
}

// TestTokensFileBounded: /dev/zero and a file of 300 MB would be read whole;
// the binary refuses them after reading at most 1 MiB, quickly.
func TestTokensFileBounded(t *testing.T) {
	t.Parallel()
	big := t.TempDir() + "/tokens.env"
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(300 << 20); err != nil { // sparse: 300 MB of zeros
		t.Fatal(err)
	}
	f.Close()
	for _, path := range []string{"/dev/zero", big} {
		start := time.Now()
		r := runTerminal(t, []string{"GH_TOKEN=" + fake.Classic}, "--tokens-file", path)
		if took := time.Since(start); r.Code != 2 || !strings.Contains(r.Stderr, "is larger than 1024 KiB") || took > 10*time.Second {
			t.Errorf("%s: exit %d after %s:\n%s", path, r.Code, took, r.Stderr)
		}
	}
}

// TestOutputsBounded: a 2 MB login from a server is cut at the boundary, so
// no output and no report passes GitHub's 1 MB.
func TestOutputsBounded(t *testing.T) {
	t.Parallel()
	gh := fake.NewGitHub(t)
	huge := strings.Repeat("a", 2<<20)
	gh.Add(fake.Classic, fake.Account{Login: huge, Scopes: "repo, write:packages"})
	contexts := fake.Contexts(gh.URL)
	r := runProcess(t, map[string]string{"token": fake.Classic}, contexts)
	for name, v := range r.Outputs {
		if len(v) >= 1_000_000 {
			t.Errorf("output %s is %d bytes", name, len(v))
		}
	}
	if n := len(r.Outputs["login"]); n == 0 || n > 110 {
		t.Errorf("login output is %d bytes; a login is cut to 100 characters", n)
	}
	var rep struct {
		Tokens []map[string]any `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &rep); err != nil {
		t.Errorf("report does not parse: %v", err)
	}
}
