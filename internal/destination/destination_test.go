package destination

import (
	"net/url"
	"testing"
)

func TestCheckDestination(t *testing.T) {
	t.Parallel()
	hosts := []string{"api.github.com", "127.0.0.1:8080", "ghcr.io"}
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://api.github.com/user", true},
		{"https://API.GITHUB.COM/user", true},
		{"http://127.0.0.1:8080/api/v3/user", true},
		{"https://ghcr.io/token", true},
		{"http://api.github.com/user", false}, // clear text to a remote host
		{"https://evil.example.com/user", false},
		{"https://api.github.com:444/user", false},
		{"http://127.0.0.1:9090/", false}, // loopback, but not a configured host
		{"ftp://ghcr.io/x", false},
	}
	for _, tc := range tests {
		u, _ := url.Parse(tc.url)
		err := Check(u, hosts)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%s) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true, "[::1]": true,
		"10.0.0.1": false, "192.168.1.1": false, "localhost.example.com": false, "example.com": false, "0.0.0.0": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
