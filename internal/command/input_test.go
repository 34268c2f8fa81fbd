package command

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

// TestBadInput checks that each bad input fails with an error that names the
// input and the value, sends nothing, and never quotes the token.
func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		with map[string]string
		want []string // substrings of the ::error message
	}{
		{"unknown scope suggests the closest", map[string]string{"required-scopes": "repo, write:package"},
			[]string{"input `required-scopes`", `"write:package"`, `Did you mean "write:packages"?`}},
		{"unknown scope far from any", map[string]string{"required-scopes": "superpowers"},
			[]string{"input `required-scopes`", `"superpowers"`, "not a GitHub classic scope"}},
		{"warn-within-days not a number", map[string]string{"warn-within-days": "two weeks"},
			[]string{"input `warn-within-days`", `"two weeks"`, "whole number"}},
		{"warn-within-days negative", map[string]string{"warn-within-days": "-1"},
			[]string{"input `warn-within-days`", `"-1"`}},
		{"fail-within-days fractional", map[string]string{"fail-within-days": "1.5"},
			[]string{"input `fail-within-days`", `"1.5"`}},
		{"fail-within-days above warn-within-days", map[string]string{"fail-within-days": "30", "warn-within-days": "14"},
			[]string{"input `fail-within-days`", `"30"`, "greater than warn-within-days (14)"}},
		{"on-missing unknown word", map[string]string{"on-missing": "ignore"},
			[]string{"input `on-missing`", `"ignore"`, "fail, warn, skip"}},
		{"api-url does not parse", map[string]string{"api-url": "::not a url"},
			[]string{"input `api-url`", `"::not a url"`}},
		{"api-url relative", map[string]string{"api-url": "api.github.com"},
			[]string{"input `api-url`", `"api.github.com"`, "not an absolute URL"}},
		{"api-url plain http to a remote host", map[string]string{"api-url": "http://ghe.example.com/api/v3"},
			[]string{"input `api-url`", `"http://ghe.example.com/api/v3"`, "clear text"}},
		{"api-url with another scheme", map[string]string{"api-url": "ftp://ghe.example.com/api/v3"},
			[]string{"input `api-url`", `scheme "ftp"`}},
		{"image with a scheme", map[string]string{"packages": "https://ghcr.io/aibrix/gateway"},
			[]string{"input `packages`", `"https://ghcr.io/aibrix/gateway"`, "without one"}},
		{"image with uppercase", map[string]string{"packages": "ghcr.io/AIBrix/gateway"},
			[]string{"input `packages`", `"AIBrix"`, "lowercase"}},
		{"image with an empty segment", map[string]string{"packages": "ghcr.io/aibrix//gateway"},
			[]string{"input `packages`", "empty path segment"}},
		{"image without an owner", map[string]string{"packages": "gateway"},
			[]string{"input `packages`", "names no owner"}},
		{"more than 50 images", map[string]string{"packages": manyImages(51)},
			[]string{"input `packages`", "51 images", "at most 50"}},
		{"reminder unknown word", map[string]string{"reminder": "email"},
			[]string{"input `reminder`", `"email"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "repo, write:packages"})
			with := map[string]string{"token": fake.Classic}
			for k, v := range tc.with {
				with[k] = v
			}
			r := e.runAction(t, with)
			if r.Code != ExitUsage {
				t.Errorf("exit status = %d, want %d", r.Code, ExitUsage)
			}
			if n := len(e.gh.Requests()) + len(e.reg.Requests()); n != 0 {
				t.Errorf("%d requests sent; bad input must send none", n)
			}
			errs := r.Commands("error")
			if len(errs) != 1 {
				t.Fatalf("want one ::error, got %d\n%s", len(errs), r.Stdout)
			}
			for _, s := range tc.want {
				if !strings.Contains(errs[0].Message, s) {
					t.Errorf("error %q lacks %q", errs[0].Message, s)
				}
			}
			if r.Outputs["valid"] != "false" || r.Outputs["token-type"] != "classic-pat" {
				t.Errorf("outputs valid=%q token-type=%q; want false, classic-pat", r.Outputs["valid"], r.Outputs["token-type"])
			}
			if !strings.Contains(r.Summary, "bad input") {
				t.Errorf("summary does not report the bad input:\n%s", r.Summary)
			}
			assertNoLeak(t, r, fake.Classic)
		})
	}
}

func manyImages(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("ghcr.io/aibrix/image-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "\n")
	}
	return b.String()
}

// TestLoopbackHTTPAllowed checks that http:// is accepted for loopback hosts,
// which tests and local mirrors use.
func TestLoopbackHTTPAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	for _, host := range []string{"127.0.0.1", "localhost"} {
		url := strings.Replace(e.gh.URL, "127.0.0.1", host, 1)
		r := e.runAction(t, map[string]string{"token": fake.Classic, "api-url": url})
		if r.Code != ExitPass {
			t.Errorf("%s: exit status %d\n%s", url, r.Code, r.Stdout)
		}
	}
}

// TestHangingServer checks that a server that accepts the connection and never
// answers ends the run within the bound, with a clear error.
func TestHangingServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.SetFault(fake.Hang)
	e.policy.AttemptTimeout = 200 * time.Millisecond
	start := time.Now()
	r := e.runAction(t, map[string]string{"token": fake.Classic})
	took := time.Since(start)
	if took > 3*time.Second {
		t.Errorf("run took %s against a hanging server; the bound is per-attempt 200ms x 3 plus backoff", took)
	}
	if r.Code != ExitFail {
		t.Errorf("exit status = %d, want %d", r.Code, ExitFail)
	}
	errs := r.Commands("error")
	if len(errs) != 1 || errs[0].Properties["title"] != "GitHub unreachable" || !strings.Contains(errs[0].Message, "no answer within 200ms") {
		t.Errorf("want one 'GitHub unreachable' error naming the timeout, got %+v", errs)
	}
	if n := len(e.gh.Requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

// TestRunBound checks that the whole run's bound wins over the retries.
func TestRunBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.SetFault(fake.Hang)
	e.policy.AttemptTimeout = 10 * time.Second
	e.timeout = 500 * time.Millisecond
	start := time.Now()
	r := e.runAction(t, map[string]string{"token": fake.Classic})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("run took %s; the run's bound is 500ms", took)
	}
	errs := r.Commands("error")
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "within the run's time limit") {
		t.Errorf("want one error naming the run's time limit, got %+v", errs)
	}
}

// TestNeverRetried checks that 401, 403 and 404 are sent exactly once.
func TestNeverRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		e := newEnv(t)
		e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
			w.WriteHeader(status)
			w.Write([]byte(`{"message":"nope"}`))
			return true
		})
		e.runAction(t, map[string]string{"token": fake.Classic})
		if n := len(e.gh.Requests()); n != 1 {
			t.Errorf("status %d was sent %d times, want 1", status, n)
		}
	}
}

// TestDockerURIDefaults runs as `uses: docker://…` does: only the inputs
// written under with: arrive, and the API comes from GITHUB_API_URL.
func TestDockerURIDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	dir := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_API_URL": e.gh.URL, "INPUT_TOKEN": fake.Classic,
		"GITHUB_OUTPUT": dir + "/out", "GITHUB_STEP_SUMMARY": dir + "/summary",
	}
	r := e.run(t, vars, nil, "")
	if r.Code != ExitPass || r.Outputs["valid"] != "true" {
		t.Errorf("exit %d valid=%q\n%s", r.Code, r.Outputs["valid"], r.Stdout)
	}
	if diff := paths(e.gh.Requests()); len(diff) != 1 {
		t.Errorf("requests: %v", diff)
	}
}

// TestFileCommandsMissing checks the guard around go-githubactions, whose
// file helpers panic when GITHUB_OUTPUT or GITHUB_STEP_SUMMARY is unset or
// cannot be written.
func TestFileCommandsMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	base := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_API_URL": e.gh.URL, "INPUT_TOKEN": fake.Classic}
	r := e.run(t, base, nil, "")
	if r.Code != ExitPass {
		t.Errorf("unset file commands: exit %d\n%s", r.Code, r.Stdout)
	}
	unwritable := map[string]string{"GITHUB_OUTPUT": "/nonexistent/dir/out", "GITHUB_STEP_SUMMARY": "/nonexistent/dir/summary"}
	for k, v := range base {
		unwritable[k] = v
	}
	r = e.run(t, unwritable, nil, "")
	if r.Code != ExitFail {
		t.Errorf("unwritable GITHUB_OUTPUT: exit %d; later steps would read missing outputs, so the step must fail", r.Code)
	}
	if diff := r.Titles("error"); len(diff) != 1 || diff[0] != "token-gate: outputs not written" {
		t.Errorf("unwritable GITHUB_OUTPUT: errors %q", diff)
	}
	if w := r.Titles("warning"); len(w) != 1 || w[0] != "token-gate: summary not written" {
		t.Errorf("unwritable GITHUB_STEP_SUMMARY: warnings %q", w)
	}
	assertNoLeak(t, r, fake.Classic)
}
