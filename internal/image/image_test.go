package image

import (
	"strings"
	"testing"
)

func TestParseDockerHub(t *testing.T) {
	t.Parallel()
	// Every name Docker gives Docker Hub is served by one host, and shown
	// as docker.io, the name Docker itself shows.
	for ref, want := range map[string]string{
		"docker.io/nginx":                   "docker.io/library/nginx",
		"docker.io/aibrix/runtime:v1":       "docker.io/aibrix/runtime",
		"index.docker.io/aibrix/runtime":    "docker.io/aibrix/runtime",
		"registry-1.docker.io/aibrix/agent": "docker.io/aibrix/agent",
	} {
		img, err := Parse(ref, GHCR)
		if err != nil || img.String() != want || img.Registry != DockerHub {
			t.Errorf("Parse(%q) = %s on %s, %v; want %s on %s", ref, img, img.Registry, err, want, DockerHub)
		}
	}
	if img, err := Parse("nginx", DockerHub); err != nil || img.String() != "docker.io/library/nginx" {
		t.Errorf("a one-part name on Docker Hub: %s, %v", img, err)
	}
	if _, err := Parse("nginx", GHCR); err == nil {
		t.Error("a one-part name on ghcr.io names no owner")
	}
	if hosts := TokenServiceHosts(DockerHub); len(hosts) != 1 || hosts[0] != "auth.docker.io" {
		t.Errorf("Docker Hub's token service: %q", hosts)
	}
	if hosts := TokenServiceHosts("registry.example.com"); hosts != nil {
		t.Errorf("an unknown registry has no other token host: %q", hosts)
	}
}

// TestGitHubRegistry maps each kind of GitHub server to its container
// registry: github.com's, GHE.com's with data residency, and a GHES's.
func TestGitHubRegistry(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]string{
		"api.github.com":        "ghcr.io",
		"api.octocorp.ghe.com":  "containers.octocorp.ghe.com",
		"API.OctoCorp.GHE.com":  "containers.octocorp.ghe.com",
		"github.example.com":    "containers.github.example.com",
		"ghe.example.com:8443":  "containers.ghe.example.com",
		"127.0.0.1:8080":        "ghcr.io",
		"api.a.b.ghe.com":       "containers.api.a.b.ghe.com", // not GHE.com's form: a GHES host
		"octocorp.ghe.com":      "containers.octocorp.ghe.com",
		"api.ghe.com":           "containers.api.ghe.com",
		"api.octocorp.ghe.com.": "containers.api.octocorp.ghe.com.",
	} {
		if got := GitHubRegistry(api); got != want {
			t.Errorf("GitHubRegistry(%q) = %q, want %q", api, got, want)
		}
	}
}

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
		got, err := Parse(tc.ref, GHCR)
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

func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"ghcr.io/aibrix/gateway-plugins:v1", "aibrix/x", "127.0.0.1:5000/o/n@sha256:ab", "https://x/y", "A/b", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		img, err := Parse(s, GHCR)
		if err != nil {
			return
		}
		// What parsed must name a registry and an owner/name in the spec's
		// lowercase grammar, and must parse again to itself.
		if img.Registry == "" || !strings.Contains(img.Repository, "/") || strings.ToLower(img.Repository) != img.Repository {
			t.Errorf("%q parsed to %+v", s, img)
		}
		again, err := Parse(img.String(), GHCR)
		if err != nil || again != img {
			t.Errorf("%q: %+v does not round-trip: %+v, %v", s, img, again, err)
		}
	})
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
		img, err := Parse(ref, GHCR)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if got := img.Scheme(); got != want {
			t.Errorf("%s: scheme %s, want %s", ref, got, want)
		}
	}
}
