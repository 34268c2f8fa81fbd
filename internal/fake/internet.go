package fake

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Internet serves real host names (api.github.com, ghcr.io,
// registry-1.docker.io, auth.docker.io, ...) over TLS without a network: a
// CONNECT proxy on 127.0.0.1 tunnels every connection to one TLS server that
// presents a certificate for the name asked, signed by a test CA, and routes
// by Host. The binary reaches it as a self-hosted runner behind a corporate
// proxy would: HTTPS_PROXY and SSL_CERT_FILE, which Go's default transport
// honours.
type Internet struct {
	// ProxyURL is the value for HTTPS_PROXY.
	ProxyURL string
	// CAFile is the PEM file for SSL_CERT_FILE.
	CAFile string

	pool     *x509.CertPool
	caCert   *x509.Certificate
	caKey    *ecdsa.PrivateKey
	server   *httptest.Server
	mu       sync.Mutex
	handlers map[string]http.Handler
	certs    map[string]*tls.Certificate
	tunnels  []string
}

// NewInternet starts the CA, the TLS server and the proxy; all stop with the
// test.
func NewInternet(t interface {
	Cleaner
	TempDir() string
}) *Internet {
	in := &Internet{handlers: map[string]http.Handler{}, certs: map[string]*tls.Certificate{}}
	in.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "token-gate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &in.caKey.PublicKey, in.caKey)
	if err != nil {
		panic(err)
	}
	in.caCert, _ = x509.ParseCertificate(der)
	in.pool = x509.NewCertPool()
	in.pool.AddCert(in.caCert)
	in.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(in.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)

	in.server = httptest.NewUnstartedServer(http.HandlerFunc(in.route))
	in.server.TLS = &tls.Config{GetCertificate: in.certificate}
	// Tunnels closed by the client mid-handshake are expected noise.
	in.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	in.server.StartTLS()
	t.Cleanup(in.server.Close)

	proxy := httptest.NewServer(http.HandlerFunc(in.connect))
	t.Cleanup(proxy.Close)
	in.ProxyURL = proxy.URL
	return in
}

// Serve routes requests for host to h.
func (in *Internet) Serve(host string, h http.Handler) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.handlers[host] = h
}

// Tunnels lists the host:port of every CONNECT the proxy received.
func (in *Internet) Tunnels() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.tunnels...)
}

// Transport is an in-process client's way onto this internet.
func (in *Internet) Transport() http.RoundTripper {
	proxy, _ := url.Parse(in.ProxyURL)
	return &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: in.pool}}
}

func (in *Internet) route(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	h := in.handlers[strings.ToLower(r.Host)]
	in.mu.Unlock()
	if h == nil {
		http.Error(w, "no such host on the test internet", http.StatusBadGateway)
		return
	}
	h.ServeHTTP(w, r)
}

func (in *Internet) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	in.mu.Lock()
	defer in.mu.Unlock()
	if c, ok := in.certs[name]; ok {
		return c, nil
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, in.caCert, &key.PublicKey, in.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	in.certs[name] = c
	return c, nil
}

// connect is the proxy: CONNECT host:443 becomes a tunnel to the TLS server.
func (in *Internet) connect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	in.mu.Lock()
	in.tunnels = append(in.tunnels, r.Host)
	in.mu.Unlock()
	upstream, err := net.Dial("tcp", in.server.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go pipe(upstream, buf.Reader)
	go func() {
		io.Copy(client, upstream)
		client.Close()
		upstream.Close()
	}()
}

func pipe(dst net.Conn, src *bufio.Reader) {
	io.Copy(dst, src)
	dst.Close()
}

// ServeGitHub mounts a fake GitHub as api.github.com (the fake itself lives
// under /api/v3, as GHES serves it).
func (in *Internet) ServeGitHub(g *GitHub) {
	in.Serve("api.github.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/api/v3" + r.URL.Path
		g.serve(w, r)
	}))
}

// ServeDockerHub mounts a fake registry as Docker Hub: the registry on
// registry-1.docker.io, its token service on another host, auth.docker.io,
// as Docker Hub's own challenge names it (docs/facts.md, "Docker Hub").
func (in *Internet) ServeDockerHub(reg *Registry) {
	reg.SetRealm("https://auth.docker.io/token")
	reg.SetService("registry.docker.io")
	in.Serve("registry-1.docker.io", reg.Server.Config.Handler)
	in.Serve("auth.docker.io", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.record(r)
		if r.URL.Path != "/token" {
			http.NotFound(w, r)
			return
		}
		reg.ServeToken(w, r)
	}))
}
