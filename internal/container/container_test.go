// Package container tests the real image the way the Actions runner uses
// it: it builds the project's own Dockerfile with buildah, the Go base image
// supplied through the GO_IMAGE build argument, then runs the image with the
// runner's flags, mounts and environment (docs/facts.md, "How the runner starts the container").
package container

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/fake"
)

// buildah runs buildah against a private store, so the test needs no daemon
// and touches no system image store.
type buildah struct {
	root string
}

func (b buildah) cmd(args ...string) *exec.Cmd {
	all := append([]string{"--root", filepath.Join(b.root, "root"), "--runroot", filepath.Join(b.root, "run"), "--storage-driver", "vfs"}, args...)
	return exec.Command("buildah", all...)
}

func (b buildah) run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	c := b.cmd(args...)
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		t.Fatalf("buildah %s: %v\n%s\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// goImage assembles the Go base image from this machine's Go and a static
// busybox, since no registry can be reached: the same role golang:1.26-alpine
// plays for users.
func (b buildah) goImage(t *testing.T, name string) {
	t.Helper()
	goroot := runtime.GOROOT()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox-static is needed to assemble the Go base image: apt-get install busybox-static")
	}
	ctr := b.run(t, "from", "scratch")
	mnt := b.run(t, "mount", ctr)
	for _, dir := range []string{"usr/local", "bin", "etc/ssl/certs", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(mnt, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(mnt, "tmp"), 0o1777)
	copies := [][]string{
		{"cp", "-a", goroot, filepath.Join(mnt, "usr/local/go")},
		{"cp", busybox, filepath.Join(mnt, "bin/busybox")},
		{"cp", "/etc/ssl/certs/ca-certificates.crt", filepath.Join(mnt, "etc/ssl/certs/")},
	}
	for _, c := range copies {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, applet := range strings.Fields(string(list)) {
		os.Symlink("busybox", filepath.Join(mnt, "bin", applet))
	}
	b.run(t, "umount", ctr)
	b.run(t, "config", "--env", "PATH=/usr/local/go/bin:/bin", "--env", "GOPATH=/go", "--env", "GOTOOLCHAIN=local",
		"--env", "GOPROXY="+goEnv(t, "GOPROXY"), "--env", "HOME=/root", ctr)
	b.run(t, "commit", "-q", ctr, name)
	b.run(t, "rm", ctr)
}

func goEnv(t *testing.T, key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// bud builds a Dockerfile from scratch, no layer cache, as the runner does on
// a fresh machine, and returns how long it took.
func (b buildah) bud(t *testing.T, dir, tag, goImage string) time.Duration {
	t.Helper()
	start := time.Now()
	b.run(t, "bud", "--isolation", "chroot", "--layers=false", "--no-cache", "--pull-never",
		"--build-arg", "GO_IMAGE="+goImage, "-t", tag, "-f", filepath.Join(dir, "Dockerfile"), dir)
	return time.Since(start)
}

// helloContext is the floor the build time is measured against: a minimal
// hello-world program built through the very same Dockerfile.
func helloContext(t *testing.T, dockerfile []byte) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":      string(dockerfile),
		"go.mod":          "module github.com/token-gate/token-gate\n\ngo 1.26.0\n",
		"go.sum":          "",
		"main.go":         "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
		"internal/doc.go": "// Package internal is empty; the Dockerfile copies the folder.\npackage internal\n",
		".dockerignore":   "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building the image takes minutes; the full suite builds it")
	}
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed (apt-get install buildah busybox-static); .ci/run installs it, so CI never skips this test")
	}
	start := time.Now()
	b := buildah{root: t.TempDir()}
	t.Cleanup(func() {
		// vfs leaves read-only layer copies behind; make them removable.
		exec.Command("chmod", "-R", "u+w", b.root).Run()
	})
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	const goImage = "localhost/token-gate-go:local"
	b.goImage(t, goImage)

	dockerfile, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Side by side on the same machine: the hello-world floor, then the real
	// image, each from a clean state.
	helloTime := b.bud(t, helloContext(t, dockerfile), "localhost/hello:test", goImage)
	realTime := b.bud(t, repo, "localhost/token-gate:test", goImage)
	size := b.run(t, "images", "--format", "{{.Size}}", "localhost/token-gate:test")
	t.Logf("FIGURE image size: %s", size)
	t.Logf("FIGURE clean build: token-gate %.1fs, hello-world %.1fs, ratio %.2f", realTime.Seconds(), helloTime.Seconds(), realTime.Seconds()/helloTime.Seconds())

	entrypoint := strings.Fields(b.run(t, "inspect", "--format", "{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}", "localhost/token-gate:test"))
	if len(entrypoint) != 1 || entrypoint[0] != "/token-gate" {
		t.Fatalf("entrypoint = %q, want [/token-gate]", entrypoint)
	}
	if user := b.run(t, "inspect", "--format", "{{.OCIv1.Config.User}}", "localhost/token-gate:test"); user != "" {
		t.Errorf("image sets USER %q; the runner's file commands need root", user)
	}
	var meta struct {
		Runs struct {
			Args []string `yaml:"args"`
		} `yaml:"runs"`
	}
	actionYML, err := os.ReadFile(filepath.Join(repo, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(actionYML, &meta); err != nil {
		t.Fatal(err)
	}
	runArgs := meta.Runs.Args
	ctr := b.run(t, "from", "--pull-never", "localhost/token-gate:test")
	defer b.run(t, "rm", ctr)

	expires := time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	for _, sc := range fake.Scenarios(expires) {
		t.Run(sc.Name, func(t *testing.T) {
			gh := fake.NewGitHub(t)
			reg := fake.NewRegistry(t)
			sc.Setup(gh, reg)
			contexts := fake.Contexts(gh.URL)
			host := t.TempDir()
			fileCommands := filepath.Join(host, "file_commands")
			for _, d := range []string{"file_commands", "workspace", "home", "workflow", "runner_temp"} {
				os.MkdirAll(filepath.Join(host, d), 0o755)
			}
			vars, err := fake.RunnerEnv(filepath.Join(repo, "action.yml"), sc.With(reg.Host), contexts, "/github/file_commands")
			if err != nil {
				t.Fatal(err)
			}
			// docker run --workdir /github/workspace --rm -e ... with the
			// runner's mounts and the host network, so the container reaches
			// the fakes on 127.0.0.1.
			args := []string{"run", "--isolation", "chroot", "--network", "host", "--workingdir", "/github/workspace"}
			for _, d := range []string{"file_commands", "workspace", "home", "workflow", "runner_temp"} {
				args = append(args, "-v", filepath.Join(host, d)+":/github/"+d)
			}
			for k, v := range vars {
				args = append(args, "--env", k+"="+v)
			}
			args = append(args, ctr, "--")
			args = append(args, entrypoint...)
			// The runner passes action.yml's runs.args after the
			// entrypoint, as the image's command.
			args = append(args, runArgs...)
			r, err := fake.RunStep(b.cmd(args...),
				filepath.Join(fileCommands, filepath.Base(vars["GITHUB_OUTPUT"])),
				filepath.Join(fileCommands, filepath.Base(vars["GITHUB_STEP_SUMMARY"])))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Check(sc.Want.For(reg.Host)) {
				t.Error(p)
			}
			if len(r.Outputs) == 0 {
				t.Error("no outputs written from inside the container")
			}
			if r.Summary == "" {
				t.Error("no step summary written from inside the container")
			}
			if leaks := fake.StepLeaks(r, gh, reg, sc.With(reg.Host), contexts); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
			}
		})
	}
	t.Logf("FIGURE container test wall time: %s", time.Since(start).Round(time.Second))
	if os.Getenv("TOKEN_GATE_FIGURES") != "" {
		line := fmt.Sprintf("image_size=%s build_s=%.1f hello_build_s=%.1f ratio=%.2f test_wall_s=%.0f\n",
			strconv.Quote(size), realTime.Seconds(), helloTime.Seconds(), realTime.Seconds()/helloTime.Seconds(), time.Since(start).Seconds())
		os.WriteFile(os.Getenv("TOKEN_GATE_FIGURES"), []byte(line), 0o644)
	}
}
