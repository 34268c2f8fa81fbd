package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The hand labels of real release workflows (../shared/workflows/corpus,
// its README says how each label was decided) and of the patterns written
// after them (testdata/audit/patterns): every credential, its images, each
// publish and each half release, as the audit must see them.

// label is one workflow file's labels, in the corpus's format.
type label struct {
	Repo        string `json:"repo"`
	File        string `json:"file"`
	Credentials []struct {
		Secret       string    `json:"secret"`
		CalleeSecret string    `json:"callee_secret"`
		Registry     string    `json:"registry"`
		Job          string    `json:"job"`
		Line         int       `json:"line"`
		Images       *[]string `json:"images"`
	} `json:"credentials"`
	Publishes []struct {
		Job  string `json:"job"`
		Line int    `json:"line"`
		Kind string `json:"kind"`
	} `json:"publishes"`
	HalfRelease     bool     `json:"half_release"`
	HalfReleaseJobs []string `json:"half_release_jobs"`
}

// labelled reads a labels.json and lays each folder's files (the corpus
// keeps one folder per repository; a flat folder is one repository) out
// as .github/workflows of a repository of its own.
func labelled(t *testing.T, dir string) (map[string][]label, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Skipf("no labels at %s (%v): the shared corpus lives beside the repository in development, not in CI", dir, err)
	}
	var labels []label
	if err := json.Unmarshal(data, &labels); err != nil {
		t.Fatal(err)
	}
	byRepo := map[string][]label{}
	roots := map[string]string{}
	for _, l := range labels {
		folder := strings.ReplaceAll(l.Repo, "/", "__")
		src := filepath.Join(dir, folder)
		if l.Repo == "" {
			folder, src = "patterns", dir
		}
		byRepo[folder] = append(byRepo[folder], l)
		if roots[folder] == "" {
			roots[folder] = layOut(t, src)
		}
	}
	return byRepo, roots
}

// layOut copies a folder's workflow files (and its actions/, as
// .github/actions/) into a new repository.
func layOut(t *testing.T, src string) string {
	t.Helper()
	root := t.TempDir()
	wf := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() && name == "actions" {
			if err := os.CopyFS(filepath.Join(root, ".github", "actions"), os.DirFS(filepath.Join(src, name))); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if e.IsDir() && name == "newer-syntax" {
			// Workflows in syntax newer than actionlint reads, kept apart
			// there; GitHub reads them beside the others.
			more, err := os.ReadDir(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range more {
				data, err := os.ReadFile(filepath.Join(src, name, m.Name()))
				if err == nil && strings.HasSuffix(m.Name(), ".yml") {
					if err := os.WriteFile(filepath.Join(wf, m.Name()), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			continue
		}
		if e.IsDir() || !(strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wf, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// checkLabels holds every label of a folder against the audit.
func checkLabels(t *testing.T, dir string) {
	byRepo, roots := labelled(t, dir)
	folders := make([]string, 0, len(byRepo))
	for f := range byRepo {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	for _, folder := range folders {
		t.Run(folder, func(t *testing.T) {
			repo, err := workflow.Load(roots[folder])
			if err != nil {
				t.Fatal(err)
			}
			res := Audit(repo, Options{})
			for _, l := range byRepo[folder] {
				checkFile(t, l, res)
			}
		})
	}
}

func checkFile(t *testing.T, l label, res Result) {
	file := workflow.Dir + "/" + path.Base(l.File)
	for _, want := range l.Credentials {
		c := credentialLabelled(res, want.Secret, want.Registry)
		if c == nil {
			t.Errorf("%s: credential %s for %s not found; found %v", l.File, want.Secret, want.Registry, credNames(res))
			continue
		}
		if !usedAt(res, c, want.Secret, file, want.Line, want.Job) {
			t.Errorf("%s: %s is not placed at line %d in job %s; uses %v", l.File, want.Secret, want.Line, want.Job, c.Uses)
		}
		// The images this file pushes with it: a credential's images
		// span every file of the repository.
		var got []string
		for _, p := range res.Publishes {
			inFile := p.File == file || p.Caller != nil && p.Caller.File == file
			if inFile && p.Kind == "image" && p.Known && strings.EqualFold(p.Secret, c.Secret) && p.Target != "" && !strings.Contains(p.Target, "${{") &&
				image.DisplayHost(registryOf(p.Target)) == c.Registry && !slices.Contains(got, p.Target) {
				got = append(got, p.Target)
			}
		}
		switch {
		case want.Images == nil && len(got) > 0:
			t.Errorf("%s: %s pushes %v, which the file alone does not say", l.File, want.Secret, got)
		case want.Images != nil:
			wantImgs := slices.Clone(*want.Images)
			slices.Sort(wantImgs)
			slices.Sort(got)
			if !slices.Equal(got, wantImgs) {
				t.Errorf("%s: %s pushes %v; want %v", l.File, want.Secret, got, wantImgs)
			}
		}
	}
	for _, want := range l.Publishes {
		if !publishedAt(res, file, want.Line, want.Job, want.Kind) {
			t.Errorf("%s: publish (%s) of job %s at line %d not found; publishes %v", l.File, want.Kind, want.Job, want.Line, publishWords(res, file))
		}
	}
	var jobs []string
	for _, f := range res.Findings {
		if f.Code == CodePublishBeforeCheck && f.File == file {
			jobs = append(jobs, f.Jobs...)
		}
	}
	slices.Sort(jobs)
	wantJobs := slices.Clone(l.HalfReleaseJobs)
	slices.Sort(wantJobs)
	if !slices.Equal(jobs, wantJobs) {
		t.Errorf("%s: half release by %v; want %v", l.File, jobs, wantJobs)
	}
}

func credentialLabelled(res Result, secret, registry string) *Credential {
	reg := image.DisplayHost(image.RegistryFromInput(registry))
	for i, c := range res.Credentials {
		if strings.EqualFold(c.Secret, secret) && c.Registry == reg {
			return &res.Credentials[i]
		}
	}
	return nil
}

func credNames(res Result) []string {
	var out []string
	for _, c := range res.Credentials {
		out = append(out, c.Secret+"@"+c.Registry)
	}
	return out
}

// usedAt reports a use of the credential at a line of a file in a job: its
// own uses, or a reference through a call (the caller's secrets: line).
func usedAt(res Result, c *Credential, secret, file string, line int, job string) bool {
	for _, u := range c.Uses {
		if u.File == file && u.Line == line && jobIs(u.Job, job) {
			return true
		}
	}
	for _, r := range res.Secrets {
		if strings.EqualFold(r.Secret, secret) && r.File == file && r.Line == line && jobIs(r.Job, job) {
			return true
		}
	}
	return false
}

// jobIs matches a job as the audit names it (CALLER/CALLEE in a called
// workflow) with a job as the labels do (the file's own job ID).
func jobIs(got, want string) bool {
	return got == want || strings.HasSuffix(got, "/"+want)
}

func publishedAt(res Result, file string, line int, job, kind string) bool {
	for _, p := range res.Publishes {
		here := p.File == file && p.Line == line && jobIs(p.Job, job)
		called := p.Caller != nil && p.Caller.File == file && p.Caller.Line == line && jobIs(p.Caller.Job, job)
		if (here || called) && kindIs(p.Kind, kind) {
			return true
		}
	}
	return false
}

func publishWords(res Result, file string) []string {
	var out []string
	for _, p := range res.Publishes {
		if p.File == file {
			out = append(out, fmt.Sprintf("%s:%d(%s)", p.Job, p.Line, p.Kind))
		}
	}
	return out
}

// Every label of the shared corpus of real release workflows.
func TestCorpusLabels(t *testing.T) {
	checkLabels(t, fake.Corpus(t))
}

// patternsDir holds workflows written after real ones (each names the
// shape it models), with labels decided by the corpus's rules.
const patternsDir = "../../testdata/audit/patterns"

// Every label of the patterns written after real release workflows.
func TestPatternLabels(t *testing.T) {
	checkLabels(t, patternsDir)
}

// kindIs matches a publish's kind with a label's: "other" is any, and the
// patterns' finer kinds name what the audit calls more broadly (a
// goreleaser release is a GitHub release; an OCI artifact pushed with helm
// is a Helm chart).
func kindIs(got, want string) bool {
	switch want {
	case "other":
		return true
	case "goreleaser":
		return got == "github-release"
	case "oci-artifact":
		return got == "helm" || got == "image"
	case "image":
		return got == "image" || got == "other"
	}
	return got == want
}
