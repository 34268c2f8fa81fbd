package registry

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/transport"
)

func TestParseImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref     string
		want    Image
		wantErr string
	}{
		{"ghcr.io/aibrix/gateway-plugins", Image{"ghcr.io", "aibrix/gateway-plugins"}, ""},
		{"aibrix/gateway-plugins", Image{"ghcr.io", "aibrix/gateway-plugins"}, ""},
		{"ghcr.io/aibrix/gateway-plugins:v0.3.0", Image{"ghcr.io", "aibrix/gateway-plugins"}, ""},
		{"ghcr.io/aibrix/runtime@sha256:0123abcd", Image{"ghcr.io", "aibrix/runtime"}, ""},
		{"ghcr.io/aibrix/runtime:v1@sha256:0123abcd", Image{"ghcr.io", "aibrix/runtime"}, ""},
		{"containers.ghe.example.com/org/team/app", Image{"containers.ghe.example.com", "org/team/app"}, ""},
		{"127.0.0.1:5000/o/n:latest", Image{"127.0.0.1:5000", "o/n"}, ""},
		{"localhost/o/n", Image{"localhost", "o/n"}, ""},
		{"GHCR.io/o/n", Image{"ghcr.io", "o/n"}, ""},
		{"ghcr.io/o/a.b_c__d-e--f", Image{"ghcr.io", "o/a.b_c__d-e--f"}, ""},
		{"", Image{}, "empty"},
		{"https://ghcr.io/o/n", Image{}, "URL scheme"},
		{"ghcr.io/Aibrix/n", Image{}, "uppercase"},
		{"ghcr.io/o/Name", Image{}, "uppercase"},
		{"ghcr.io//n", Image{}, "empty path segment"},
		{"ghcr.io/o/", Image{}, "empty path segment"},
		{"ghcr.io/o/n:", Image{}, "malformed tag"},
		{"ghcr.io/o/n@sha256", Image{}, "malformed digest"},
		{"ghcr.io/n", Image{}, "names no owner"},
		{"n", Image{}, "names no owner"},
		{"ghcr.io/o/-n", Image{}, "invalid path segment"},
		{"ghcr.io/o/n..x", Image{}, "invalid path segment"},
		{"gh cr.io/o/n", Image{}, "whitespace"},
		{"bad_host.io:x/o/n", Image{}, "malformed registry host"},
	}
	for _, tc := range tests {
		got, err := ParseImage(tc.ref)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseImage(%q) error = %v, want %q", tc.ref, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseImage(%q) = %+v, %v; want %+v", tc.ref, got, err, tc.want)
		}
	}
}

func TestScheme(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"ghcr.io/o/n":            "https",
		"127.0.0.1:5000/o/n":     "http",
		"127.8.9.1/o/n":          "http",
		"localhost:5000/o/n":     "http",
		"[::1]:5000/o/n":         "http",
		"10.0.0.1:5000/o/n":      "https",
		"localhost.evil.com/o/n": "https",
	} {
		img, err := ParseImage(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if got := img.Scheme(); got != want {
			t.Errorf("%s: scheme %s, want %s", ref, got, want)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Challenge
		wantErr bool
	}{
		{`Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`,
			Challenge{"Bearer", map[string]string{"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:user/image:pull"}}, false},
		{`Bearer realm="https://r/token", service="r", scope="repository:a/b:pull,push"`,
			Challenge{"Bearer", map[string]string{"realm": "https://r/token", "service": "r", "scope": "repository:a/b:pull,push"}}, false},
		{`bearer Realm=https://r/token,Service=r`,
			Challenge{"bearer", map[string]string{"realm": "https://r/token", "service": "r"}}, false},
		{`Bearer realm="a\"b"`, Challenge{"Bearer", map[string]string{"realm": `a"b`}}, false},
		{`Basic realm="Registry Realm"`, Challenge{"Basic", map[string]string{"realm": "Registry Realm"}}, false},
		{``, Challenge{}, true},
		{`Bearer service="r"`, Challenge{}, true}, // no realm
		{`Bearer realm="unterminated`, Challenge{}, true},
		{`Bearer realm="x" service="y"`, Challenge{}, true},
		{`Bearer =x`, Challenge{}, true},
	}
	for _, tc := range tests {
		got, err := ParseChallenge(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseChallenge(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseChallenge(%q) (-want +got):\n%s", tc.in, diff)
			}
		}
	}
}

func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`,
		`Basic realm="x"`, `Bearer realm="a\"b"`, `Bearer`, `Bearer realm=`, `x y=z,`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ch, err := ParseChallenge(s)
		if err != nil {
			return
		}
		if ch.Scheme == "" {
			t.Errorf("%q: accepted without a scheme", s)
		}
		if strings.EqualFold(ch.Scheme, "bearer") && ch.Params["realm"] == "" {
			t.Errorf("%q: bearer accepted without a realm", s)
		}
	})
}

func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"ghcr.io/aibrix/gateway-plugins:v1", "aibrix/x", "127.0.0.1:5000/o/n@sha256:ab", "https://x/y", "A/b", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		img, err := ParseImage(s)
		if err != nil {
			return
		}
		// What parsed must name a registry and an owner/name in the spec's
		// lowercase grammar, and must parse again to itself.
		if img.Registry == "" || !strings.Contains(img.Repository, "/") || strings.ToLower(img.Repository) != img.Repository {
			t.Errorf("%q parsed to %+v", s, img)
		}
		again, err := ParseImage(img.String())
		if err != nil || again != img {
			t.Errorf("%q: %+v does not round-trip: %+v, %v", s, img, again, err)
		}
	})
}

// TestProbeBasicChallenge covers a registry that asks for Basic auth instead
// of the token flow: the upload carries the credentials directly.
func TestProbeBasicChallenge(t *testing.T) {
	t.Parallel()
	const secret = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		switch {
		case r.URL.Path == "/v2/" && !ok:
			w.Header().Set("WWW-Authenticate", `Basic realm="Registry Realm"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.Method == http.MethodPost && r.URL.Path == "/v2/o/n/blobs/uploads/" && ok && user == "token-gate" && pass == secret:
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	img, err := ParseImage(strings.TrimPrefix(srv.URL, "http://") + "/o/n")
	if err != nil {
		t.Fatal(err)
	}
	p := &Prober{Client: NewClient(nil, transport.DefaultPolicy, []Image{img}), Username: "token-gate", Secret: secret, Parallel: 1}
	if got := p.Probe(t.Context(), img); got.Outcome != Pushable {
		t.Errorf("outcome %s (%d at %s: %s), want pushable", got.Outcome, got.Status, got.Step, got.Message)
	}
}
