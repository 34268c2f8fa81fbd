package registry

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/transport"
)

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
	img, err := image.Parse(strings.TrimPrefix(srv.URL, "http://")+"/o/n", image.GHCR)
	if err != nil {
		t.Fatal(err)
	}
	p := &Prober{Client: NewClient(nil, transport.DefaultPolicy(), []image.Image{img}), Username: "token-gate", Secret: secret, Parallel: 1}
	if got := p.Probe(t.Context(), img); got.Outcome != facts.Pushable {
		t.Errorf("outcome %s (%d at %s: %s), want pushable", got.Outcome, got.Status, got.Step, got.Message)
	}
}
