package audit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rhysd/actionlint"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

// load audits a folder that holds .github/workflows.
func load(t *testing.T, root string) (*workflow.Repo, Result) {
	t.Helper()
	repo, err := workflow.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return repo, Audit(repo, Options{Repository: "acme/app"})
}

// brief is a finding in one line: code, place, job and secret.
func brief(f Finding) string {
	return fmt.Sprintf("%s %s:%d:%d job=%s secret=%s", f.Code, strings.TrimPrefix(f.File, ".github/workflows/"), f.Line, f.Column, f.Job, f.Secret)
}

func briefs(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, brief(f))
	}
	return out
}

// pushes is each credential's images, one line each.
func pushes(cs []Credential) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Secret+"@"+c.Registry+": "+strings.Join(c.Images, " "))
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// The patterns of testdata/audit, each a workflow written for one way a
// push credential is wired, with every finding and image the audit must
// give.
func TestPatterns(t *testing.T) {
	cases := []struct {
		dir      string
		findings []string
		pushes   []string
	}{{
		dir: "metadata", // metadata-action's images, pushed by build-push-action's tags from it
		findings: []string{
			"unchecked-credential image.yml:20:21 job=image secret=GITHUB_TOKEN",
			"unchecked-credential image.yml:24:21 job=image secret=DOCKERHUB_TOKEN",
			"publish-before-check image.yml:35:17 job=image secret=GITHUB_TOKEN,DOCKERHUB_TOKEN",
		},
		pushes: []string{"DOCKERHUB_TOKEN@docker.io: docker.io/acme/app", "GITHUB_TOKEN@ghcr.io: ghcr.io/acme/app"},
	}, {
		dir: "run-push", // docker and podman in run:, the secret through env: at every level
		findings: []string{
			"unchecked-credential push.yml:17:35 job=quay secret=QUAY_ROBOT_TOKEN",
			"publish-before-check push.yml:19:11 job=quay secret=QUAY_ROBOT_TOKEN,CR_PAT",
			"unchecked-credential push.yml:26:14 job=ghcr secret=CR_PAT",
		},
		pushes: []string{"CR_PAT@ghcr.io: ghcr.io/acme/worker", "QUAY_ROBOT_TOKEN@quay.io: quay.io/acme/api"},
	}, {
		dir: "reusable", // a local reusable workflow, called with secrets: inherit and with a renamed secret
		findings: []string{
			"unchecked-credential build.yml:20:21 job=push secret=REGISTRY_TOKEN",
			"unchecked-credential build.yml:20:21 job=push secret=RELEASE_PAT",
			"publish-before-check build.yml:24:17 job=push secret=REGISTRY_TOKEN,RELEASE_PAT",
		},
		pushes: []string{"REGISTRY_TOKEN@ghcr.io: ghcr.io/acme/one", "RELEASE_PAT@ghcr.io: ghcr.io/acme/two"},
	}, {
		dir: "dynamic-matrix", // what cannot be known before the run is said, never dropped
		findings: []string{
			"unchecked-credential matrix.yml:26:21 job=push secret=GHCR_PAT",
			"unresolved matrix.yml:30:17 job=push secret=",
			"unresolved matrix.yml:34:17 job=push secret=",
			"unresolved matrix.yml:36:11 job=shared secret=",
		},
		pushes: []string{"GHCR_PAT@ghcr.io: "},
	}, {
		dir:      "gated", // a pre-flight proves every credential for every image, and everything needs it
		findings: []string{},
		pushes:   []string{"DOCKERHUB_TOKEN@docker.io: docker.io/acme/api", "GHCR_PAT@ghcr.io: ghcr.io/acme/api ghcr.io/acme/api-debug ghcr.io/acme/web ghcr.io/acme/web-debug"},
	}, {
		dir: "broken", // a file that is no workflow is a finding; the others are still audited
		findings: []string{
			"unreadable-workflow bad.yml:8:1 job= secret=",
			"unchecked-credential good.yaml:8:48 job=push secret=GITHUB_TOKEN",
		},
		pushes: []string{"GITHUB_TOKEN@ghcr.io: ghcr.io/acme/tool"},
	}, {
		dir: "probes", // a check's packages drifted; npm publishes beside an unproven push
		findings: []string{
			"image-not-probed ci.yml:14:21 job=check secret=GHCR_PAT",
			"probed-not-pushed ci.yml:14:21 job=check secret=GHCR_PAT",
			"publish-before-check ci.yml:35:14 job=npm secret=GHCR_PAT,QUAY_TOKEN",
			"unchecked-credential ci.yml:42:11 job=quay secret=QUAY_TOKEN",
		},
		pushes: []string{"GHCR_PAT@ghcr.io: ghcr.io/acme/api ghcr.io/acme/new", "QUAY_TOKEN@quay.io: quay.io/acme/api"},
	}}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			_, res := load(t, filepath.Join("..", "..", "testdata", "audit", c.dir))
			sameLines(t, "findings", briefs(res.Findings), c.findings)
			sameLines(t, "images pushed", pushes(res.Credentials), c.pushes)
			for _, f := range res.Findings {
				if f.Message == "" || f.Fix == "" || f.Severity == "" {
					t.Errorf("finding without words: %+v", f)
				}
				if strings.Contains(f.Fix, fixPlaceholder) {
					t.Errorf("fix left as a placeholder: %q", f.Fix)
				}
			}
		})
	}
}

// The words matter as much as the places: each rule's message names what
// it saw, and the fix says what to do.
func TestMessages(t *testing.T) {
	_, res := load(t, "../../testdata/audit/probes")
	want := map[Code][]string{
		CodeImageNotProbed:     {"does not probe ghcr.io/acme/new", "Add to packages: ghcr.io/acme/new."},
		CodeProbedNotPushed:    {"probes ghcr.io/acme/old, which no workflow pushes with GHCR_PAT", "Remove from packages, or correct the name: ghcr.io/acme/old."},
		CodePublishBeforeCheck: {"npm (npm), api (ghcr.io images) and quay (quay.io images) can publish before GHCR_PAT and QUAY_TOKEN are proven", "make api, npm and quay need it"},
		CodeUnchecked:          {"QUAY_TOKEN logs in to quay.io in job quay, and no token-gate step checks it before", "Add this preflight job"},
	}
	for _, f := range res.Findings {
		w := want[f.Code]
		if !strings.Contains(f.Message, w[0]) || !strings.Contains(f.Fix, w[1]) {
			t.Errorf("%s:\n message %q\n fix %q\nwant %q and %q", f.Code, f.Message, f.Fix, w[0], w[1])
		}
	}
	_, res = load(t, "../../testdata/audit/dynamic-matrix")
	for _, want := range []string{
		"a matrix that is an expression (${{ fromJSON(needs.plan.outputs.images) }})",
		"names an image by ${{ needs.plan.outputs.name }}, which is not a matrix value",
		"acme/workflows/.github/workflows/push.yml@v1, a reusable workflow in another repository, and passes it every secret",
	} {
		found := false
		for _, f := range res.Findings {
			found = found || f.Code == CodeUnresolved && strings.Contains(f.Message, want)
		}
		if !found {
			t.Errorf("no unresolved notice says %q", want)
		}
	}
}

// aibrixRepo lays AIBrix's real workflows out as a repository: the two that
// push, or all nine.
func aibrixRepo(t *testing.T, names ...string) string {
	t.Helper()
	shared := fake.AIBrixWorkflows(t)
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		all, _ := filepath.Glob(filepath.Join(shared, "*.y*ml"))
		for _, p := range all {
			names = append(names, filepath.Base(p))
		}
	}
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// The issue's own case: AIBrix's two pushing workflows.
func TestAIBrix(t *testing.T) {
	root := aibrixRepo(t, "docker-push-images.yml", "release-build.yaml")
	_, res := load(t, root)
	sameLines(t, "findings", briefs(res.Findings), []string{
		"unchecked-credential docker-push-images.yml:39:21 job=build-push-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"publish-before-check docker-push-images.yml:51:17 job=build-push-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN,AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
		"unchecked-credential docker-push-images.yml:86:21 job=build-push-ghcr secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
		"unchecked-credential release-build.yaml:40:21 job=image-release-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"unchecked-credential release-build.yaml:86:21 job=image-release-ghcr secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
		"publish-before-check release-build.yaml:125:11 job=python-wheel-release secret=DOCKER_HUB_ACCESS_TOKEN,AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
	})
	six := " controller-manager gateway-plugins kvcache-watcher metadata-service runtime vllm-mock"
	sameLines(t, "images pushed", pushes(res.Credentials), []string{
		"AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN@ghcr.io:" + strings.ReplaceAll(six, " ", " ghcr.io/aibrix/"),
		"DOCKER_HUB_ACCESS_TOKEN@docker.io:" + strings.ReplaceAll(six, " ", " docker.io/aibrix/"),
	})
	for _, f := range res.Findings {
		if f.Code == CodePublishBeforeCheck && f.File == ".github/workflows/release-build.yaml" {
			for _, job := range []string{"python-wheel-release (PyPI)", "kvcache-wheel-release (PyPI)", "PyPI never takes the same file twice"} {
				if !strings.Contains(f.Message, job) {
					t.Errorf("the half release does not name %s: %s", job, f.Message)
				}
			}
		}
	}
	for _, c := range res.Credentials {
		if len(c.Uses) != 2 || len(c.CheckedBy) != 0 {
			t.Errorf("%s: uses %v, checked by %v; want two uses, no check", c.Secret, c.Uses, c.CheckedBy)
		}
	}
}

// All nine of AIBrix's workflows: the seven that push nothing add nothing.
func TestAIBrixAllWorkflows(t *testing.T) {
	_, two := load(t, aibrixRepo(t, "docker-push-images.yml", "release-build.yaml"))
	_, nine := load(t, aibrixRepo(t))
	sameLines(t, "findings", briefs(nine.Findings), briefs(two.Findings))
	sameLines(t, "images pushed", pushes(nine.Credentials), pushes(two.Credentials))
}

// fixRepo writes the audit's fix into a copy of root and returns the
// copy, its fixed files and the result the fix came from.
func fixRepo(t *testing.T, root string) (string, map[string][]byte, Result) {
	t.Helper()
	copyRoot := t.TempDir()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(copyRoot, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(copyRoot, rel), src, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, res := load(t, copyRoot)
	fixed := res.Fix()
	for path, data := range fixed {
		if err := os.WriteFile(filepath.Join(copyRoot, filepath.FromSlash(path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return copyRoot, fixed, res
}

// After --fix the audit finds no error, actionlint accepts every file, and
// nothing but the pre-flight job and the needs changed.
func TestFixLeavesNoError(t *testing.T) {
	roots := map[string]string{}
	for _, d := range []string{"metadata", "run-push", "reusable", "dynamic-matrix", "probes", "gated"} {
		roots[d] = filepath.Join("..", "..", "testdata", "audit", d)
	}
	if dir, why := fake.LookupAIBrix(); dir != "" {
		roots["aibrix"] = aibrixRepo(t)
	} else {
		t.Log(why)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, root := range roots {
		t.Run(name, func(t *testing.T) {
			fixedRoot, fixed, before := fixRepo(t, root)
			if before.HasErrors() != (len(fixed) > 0) {
				t.Fatalf("errors %v, but %d files fixed", before.HasErrors(), len(fixed))
			}
			_, after := load(t, fixedRoot)
			for _, f := range after.Findings {
				if f.Severity == Error {
					t.Errorf("after the fix: %s: %s", brief(f), f.Message)
				}
			}
			if len(after.Fix()) != 0 {
				t.Error("a second --fix would change the files again")
			}
			project, err := actionlint.NewProject(fixedRoot)
			if err != nil {
				t.Fatal(err)
			}
			for path, data := range fixed {
				errs, err := linter.Lint(filepath.Join(fixedRoot, path), data, project)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range errs {
					t.Errorf("actionlint: %s:%d:%d: %s [%s]", path, e.Line, e.Column, e.Message, e.Kind)
				}
			}
			keptByteForByte(t, before, fixed)
		})
	}
}

// keptByteForByte undoes each edit of the fix and finds the original: the
// fix only inserts the pre-flight and needs, and widens a needs scalar
// into a list holding it.
func keptByteForByte(t *testing.T, res Result, fixed map[string][]byte) {
	t.Helper()
	for _, p := range res.fixes {
		edits := p.edits()
		got := string(fixed[p.file.Path])
		sort.Slice(edits, func(i, j int) bool { return edits[i].Offset < edits[j].Offset })
		var b strings.Builder
		src := string(p.file.Source)
		at, shift := 0, 0
		for _, e := range edits {
			old := src[e.Offset : e.Offset+e.Length]
			if e.Length > 0 && !strings.Contains(e.Text, old) {
				t.Errorf("%s: an edit replaces %q with %q, which does not keep it", p.file.Path, old, e.Text)
			}
			b.WriteString(got[at+shift : e.Offset+shift])
			b.WriteString(old)
			at = e.Offset + e.Length
			shift += len(e.Text) - e.Length
		}
		b.WriteString(got[at+shift:])
		if b.String() != src {
			t.Errorf("%s: undoing the edits does not give the original back", p.file.Path)
		}
	}
}

// Without --fix, each finding's fix shows the very job --fix writes.
func TestFixWordsShowTheJobWritten(t *testing.T) {
	_, res := load(t, "../../testdata/audit/run-push")
	fixed := string(res.Fix()[".github/workflows/push.yml"])
	for _, f := range res.Findings {
		if f.Code != CodeUnchecked && f.Code != CodePublishBeforeCheck {
			continue
		}
		job := f.Snippet
		if job == "" || !strings.Contains(fixed, job) {
			t.Errorf("the fix shown is not the fix written:\n%s", job)
		}
		if !strings.Contains(f.Fix, "make quay and ghcr need it") {
			t.Errorf("the fix does not say which jobs need it: %q", f.Fix)
		}
	}
}

// fixOf audits one workflow held in memory and returns its fixed text.
func fixOf(t *testing.T, src string) string {
	t.Helper()
	return fixOfFiles(t, map[string]string{"w.yml": src})["w.yml"]
}

func fixOfFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	repo := &workflow.Repo{LocalActions: map[string]string{}}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := workflow.Parse(workflow.Dir+"/"+name, []byte(files[name]))
		if f.Err != nil {
			t.Fatalf("%s: %v", name, f.Err)
		}
		repo.Files = append(repo.Files, f)
	}
	out := map[string]string{}
	for path, data := range Audit(repo, Options{}).Fix() {
		out[strings.TrimPrefix(path, workflow.Dir+"/")] = string(data)
	}
	return out
}

const pushSteps = `    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: acme
          password: ${{ secrets.CR_PAT }}
      - run: docker push ghcr.io/acme/app
`

// needs: is added in the form the job already writes it.
func TestFixNeedsInEveryForm(t *testing.T) {
	src := "on: push\njobs:\n" +
		"  setup:\n    runs-on: x\n    steps:\n      - run: echo\n" +
		"  none:\n    runs-on: x\n" + pushSteps +
		"  scalar:\n    needs: setup\n    runs-on: x\n" + pushSteps +
		"  quoted:\n    needs: 'setup'   # a comment stays\n    runs-on: x\n" + pushSteps +
		"  flow:\n    needs: [ setup ]\n    runs-on: x\n" + pushSteps +
		"  block:\n    needs:\n      - setup\n    runs-on: x\n" + pushSteps
	got := fixOf(t, src)
	for _, want := range []string{
		"  none:\n    needs: preflight\n    runs-on: x\n",
		"  scalar:\n    needs: [setup, preflight]\n",
		"  quoted:\n    needs: ['setup', preflight]   # a comment stays\n",
		"  flow:\n    needs: [ setup, preflight ]\n",
		"  block:\n    needs:\n      - setup\n      - preflight\n",
		"jobs:\n  preflight:\n    runs-on: ubuntu-latest\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the fix lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "  setup:\n    needs") {
		t.Error("a job that pushes nothing got needs")
	}
}

// The pre-flight takes the guarded jobs' shared if:, the checkout and
// token-gate references the workflows already use, the file's own
// indentation and line ends, and a free name.
func TestFixFitsTheFile(t *testing.T) {
	guarded := "on: push\njobs:\n" +
		"  a:\n    if: github.repository == 'acme/app'\n    runs-on: x\n" + pushSteps +
		"  b:\n    if: github.repository == 'acme/app'\n    runs-on: x\n" + pushSteps
	if got := fixOf(t, guarded); !strings.Contains(got, "  preflight:\n    if: github.repository == 'acme/app'\n") {
		t.Errorf("no shared if:\n%s", got)
	}
	mixed := strings.Replace(guarded, "  b:\n    if: github.repository == 'acme/app'\n", "  b:\n", 1)
	if got := fixOf(t, mixed); strings.Contains(got, "  preflight:\n    if:") {
		t.Errorf("an if: the jobs do not share:\n%s", got)
	}

	reuse := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@abc123 # v9\n" +
		"      - uses: token-gate/token-gate@0123456789abcdef0123456789abcdef01234567 # v1.4.0\n        with:\n          token: ${{ secrets.OTHER }}\n" +
		"  b:\n    runs-on: x\n" + pushSteps
	got := fixOf(t, reuse)
	if !strings.Contains(got, "      - uses: actions/checkout@abc123 # v9\n        with:\n          sparse-checkout: .github\n          persist-credentials: false\n") {
		t.Errorf("the checkout is not reused:\n%s", got)
	}
	if !strings.Contains(got, "      - uses: token-gate/token-gate@0123456789abcdef0123456789abcdef01234567 # v1.4.0\n        with:\n          audit: fail\n") {
		t.Errorf("the token-gate pin is not reused:\n%s", got)
	}
	if got := fixOf(t, "on: push\njobs:\n  b:\n    runs-on: x\n"+pushSteps); !strings.Contains(got, pinnedCheckout) || !strings.Contains(got, DefaultTokenGate) {
		t.Errorf("no pinned checkout or default reference:\n%s", got)
	}

	four := "on: push\njobs:\n    b:\n        runs-on: x\n        steps:\n            -   run: echo ${{ secrets.CR_PAT }} | docker login ghcr.io -u a --password-stdin\n"
	if got := fixOf(t, four); !strings.Contains(got, "\n    preflight:\n        runs-on: ubuntu-latest\n        permissions:\n            contents: read\n        steps:\n            -   uses: actions/checkout@") ||
		!strings.Contains(got, "\n            -   uses: token-gate/token-gate@v1\n                with:\n                    audit: fail\n") {
		t.Errorf("the file's indentation is not kept:\n%s", got)
	}

	taken := "on: push\njobs:\n  preflight:\n    runs-on: x\n    steps:\n      - run: make lint\n  b:\n    runs-on: x\n" + pushSteps
	if got := fixOf(t, taken); !strings.Contains(got, "  preflight-2:\n") || !strings.Contains(got, "needs: preflight-2") {
		t.Errorf("a taken name is reused:\n%s", got)
	}

	crlf := strings.ReplaceAll("on: push\njobs:\n  b:\n    runs-on: x\n"+pushSteps, "\n", "\r\n")
	if got := fixOf(t, crlf); strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("a CRLF file got bare line feeds")
	}

	github := "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: echo ${{ github.token }} | docker login ghcr.io -u a --password-stdin\n      - run: docker push ghcr.io/acme/x\n"
	got = fixOf(t, github)
	for _, want := range []string{"      packages: write\n", "token: ${{ github.token }}\n", "token-name: GITHUB_TOKEN\n", "required-scopes: ''\n", "ghcr.io/acme/x\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the GITHUB_TOKEN check lacks %q:\n%s", want, got)
		}
	}

	hub := "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          password: ${{ secrets.HUB }}\n      - run: docker push acme/x\n"
	got = fixOf(t, hub)
	for _, want := range []string{"registry: docker.io\n", "username: ${{ secrets.REGISTRY_USERNAME }} # the account the registry login uses\n", "token: ${{ secrets.HUB }}\n", "            acme/x\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Docker Hub check lacks %q:\n%s", want, got)
		}
	}
}

// A job whose if: runs it whatever its needs did is not held back by
// needs; the fix says so rather than claim it is.
func TestFixSaysWhatItCannotDo(t *testing.T) {
	src := "on: push\njobs:\n  b:\n    if: always()\n    runs-on: x\n" + pushSteps
	repo := &workflow.Repo{Files: []*workflow.File{workflow.Parse(".github/workflows/w.yml", []byte(src))}}
	res := Audit(repo, Options{})
	found := false
	for _, f := range res.Findings {
		found = found || strings.Contains(f.Fix, "job b runs whatever its needs did")
	}
	if !found {
		t.Errorf("no word on if: always():\n%v", res.Findings)
	}
}

// auditText audits one workflow held in memory.
func auditText(t *testing.T, src string) Result {
	t.Helper()
	f := workflow.Parse(workflow.Dir+"/w.yml", []byte(src))
	if f.Err != nil {
		t.Fatalf("%v\n%s", f.Err, src)
	}
	return Audit(&workflow.Repo{Files: []*workflow.File{f}, LocalActions: map[string]string{}}, Options{})
}

func codes(res Result) string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s@%d", f.Code, f.Line))
	}
	return strings.Join(out, " ")
}

const check = `      - uses: token-gate/token-gate@v1
        with:
          token: ${{ secrets.CR_PAT }}
          packages: ghcr.io/acme/app
`

const login = `      - run: echo "${{ secrets.CR_PAT }}" | docker login ghcr.io -u acme --password-stdin
      - run: docker push ghcr.io/acme/app
`

// When a check proves a credential, and when it does not.
func TestWhatCountsAsChecked(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"a check earlier in the job", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + check + login, ""},
		{"a check later in the job", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + login + check, "unchecked-credential@6"},
		{"a check in a needed job", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  a:\n    needs: c\n    runs-on: x\n    steps:\n" + login, ""},
		{"a check two needs away", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  m:\n    needs: c\n    runs-on: x\n    steps:\n      - run: make\n" +
			"  a:\n    needs: [m]\n    runs-on: x\n    steps:\n" + login, ""},
		{"a check in a parallel job", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  a:\n    runs-on: x\n    steps:\n" + login, "unchecked-credential@13"},
		{"a check that may fail without failing its job", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" +
			strings.Replace(check, "        with:", "        continue-on-error: true\n        with:", 1) +
			"  a:\n    needs: c\n    runs-on: x\n    steps:\n" + login, "unchecked-credential@15"},
		{"a job that runs whatever its needs did", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  a:\n    needs: c\n    if: ${{ always() }}\n    runs-on: x\n    steps:\n" + login, "unchecked-credential@15"},
		{"a check of another secret", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" +
			strings.Replace(check, "CR_PAT", "OTHER", 1) + login, "probed-not-pushed@9 unchecked-credential@10"},
		{"a check of another registry", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" +
			strings.Replace(check, "        with:\n", "        with:\n          registry: quay.io\n          username: u\n", 1) + login, "probed-not-pushed@11 unchecked-credential@12"},
		{"secret names compare without case", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" +
			strings.Replace(check, "CR_PAT", "cr_pat", 1) + login, ""},
		{"a check through tokens", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: token-gate/token-gate@v1\n        with:\n          tokens: |\n            ci = ${{ secrets.CR_PAT }}\n" + login, "image-not-probed@6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := codes(auditText(t, c.src)); got != c.want {
				t.Errorf("findings %q; want %q\n%s", got, c.want, c.src)
			}
		})
	}
}

// A half release: something published before a credential it depends on
// is proven. Pushes with one credential fail together and are none.
func TestWhatCountsAsAHalfRelease(t *testing.T) {
	hub := "      - run: |\n          docker login -u acme -p ${{ secrets.HUB }}\n          docker push acme/app\n"
	cases := []struct {
		name, src, want string
	}{
		{"pushes with one credential", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + check + login +
			"  b:\n    runs-on: x\n    steps:\n" + check + login, ""},
		{"PyPI beside a checked push", "on: push\njobs:\n  p:\n    runs-on: x\n    steps:\n      - run: twine upload dist/*\n" +
			"  a:\n    runs-on: x\n    steps:\n" + check + login, "publish-before-check@6"},
		{"PyPI after the check", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  p:\n    needs: c\n    runs-on: x\n    steps:\n      - run: twine upload dist/*\n" +
			"  a:\n    needs: c\n    runs-on: x\n    steps:\n" + login, ""},
		{"PyPI after a push with the credential", "on: push\njobs:\n  c:\n    runs-on: x\n    steps:\n" + check +
			"  a:\n    needs: c\n    runs-on: x\n    steps:\n" + login +
			"  p:\n    needs: a\n    runs-on: x\n    steps:\n      - run: twine upload dist/*\n", ""},
		{"PyPI earlier in the job", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: twine upload dist/*\n" + check + login, "publish-before-check@6"},
		{"a dry run publishes nothing", "on: push\njobs:\n  p:\n    runs-on: x\n    steps:\n      - run: npm publish --dry-run\n" +
			"  a:\n    runs-on: x\n    steps:\n" + check + login, ""},
		{"a draft release publishes nothing", "on: push\njobs:\n  p:\n    runs-on: x\n    steps:\n      - uses: softprops/action-gh-release@v2\n        with:\n          draft: true\n" +
			"  a:\n    runs-on: x\n    steps:\n" + check + login, ""},
		{"two registries, one unchecked", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + check + login +
			"  h:\n    runs-on: x\n    steps:\n" + hub, "publish-before-check@11 unchecked-credential@16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := codes(auditText(t, c.src)); got != c.want {
				t.Errorf("findings %q; want %q\n%s", got, c.want, c.src)
			}
		})
	}
}

// Every recogniser of the tables, one line each: what a step publishes,
// where it logs in, what it pushes.
func TestRecognisers(t *testing.T) {
	publishes := map[string]string{
		"run: poetry publish --build":                       "PyPI",
		"run: twine upload dist/*":                          "PyPI",
		"run: uv publish":                                   "PyPI",
		"uses: pypa/gh-action-pypi-publish@release/v1":      "PyPI",
		"run: npm publish":                                  "npm",
		"run: pnpm publish --no-git-checks":                 "npm",
		"uses: softprops/action-gh-release@v2":              "a GitHub release",
		"run: gh release create v1 dist/*":                  "a GitHub release",
		"run: gh release upload v1 dist/*":                  "a GitHub release",
		"run: helm push chart.tgz oci://ghcr.io/acme":       "a Helm chart",
		"run: cargo publish":                                "crates.io",
		"run: goreleaser release --clean":                   "a goreleaser release",
		"run: cd py && poetry publish":                      "PyPI",
		"run: sudo -E npm publish":                          "",
		"run: gh release create v1 --draft":                 "",
		"run: echo twine upload":                            "",
		"uses: goreleaser/goreleaser-action@v6":             "",
		"uses: actions/upload-artifact@v4":                  "",
		"run: goreleaser release --snapshot --skip=publish": "",
	}
	for step, want := range publishes {
		src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - " + step + "\n"
		f := workflow.Parse(workflow.Dir+"/w.yml", []byte(src))
		a := newAuditor(&workflow.Repo{Files: []*workflow.File{f}}, Options{})
		r := a.buildRun(f)
		a.stepEvents(r.nodes[0])
		got := ""
		for _, e := range r.nodes[0].events {
			if e.kind == evPublish {
				got = e.target
			}
		}
		if got != want {
			t.Errorf("%s: publishes %q; want %q", step, got, want)
		}
	}

	logins := map[string]string{
		`echo "$P" | docker login ghcr.io -u u --password-stdin`:         "CR_PAT@ghcr.io",
		`docker login -u u -p "$P"`:                                      "CR_PAT@index.docker.io",
		`docker login --username=u --password-stdin quay.io <<< "$P"`:    "CR_PAT@quay.io",
		`podman login -u u -p "$P" registry.example.com:5000`:            "CR_PAT@registry.example.com:5000",
		`buildah login --username u --password "$P" ghcr.io`:             "CR_PAT@ghcr.io",
		`skopeo login -u u -p "$P" quay.io`:                              "CR_PAT@quay.io",
		`crane auth login ghcr.io -u u -p "$P"`:                          "CR_PAT@ghcr.io",
		`printf %s "$P" | docker login docker.io -u u --password-stdin`:  "CR_PAT@index.docker.io",
		"docker login ghcr.io -u u -p ${{ secrets.CR_PAT }} && make all": "CR_PAT@ghcr.io",
	}
	for line, want := range logins {
		src := "on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      P: ${{ secrets.CR_PAT }}\n    steps:\n      - run: " + strings.ReplaceAll(line, `"`, `\"`) + "\n"
		src = strings.Replace(src, "- run: ", "- run: \"", 1)
		src = strings.TrimSuffix(src, "\n") + "\"\n"
		res := auditText(t, src)
		var got []string
		for _, c := range res.Credentials {
			got = append(got, c.Secret+"@"+registryKey(c.Registry))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: logs in as %v; want %s", line, got, want)
		}
	}

	pushed := map[string]string{
		"docker push ghcr.io/acme/a:1":                                       "ghcr.io/acme/a",
		"docker image push ghcr.io/acme/a@sha256:" + strings.Repeat("a", 64): "ghcr.io/acme/a",
		"docker buildx build --push -t ghcr.io/acme/a:1 -t ghcr.io/acme/b .": "ghcr.io/acme/a ghcr.io/acme/b",
		"docker buildx build -t ghcr.io/acme/a .":                            "",
		"docker buildx build --output type=registry -t ghcr.io/acme/c .":     "ghcr.io/acme/c",
		"podman push localimage ghcr.io/acme/d":                              "ghcr.io/acme/d",
		"skopeo copy docker-archive:x.tar docker://ghcr.io/acme/e:1":         "ghcr.io/acme/e",
		"crane copy ghcr.io/acme/src ghcr.io/acme/f":                         "ghcr.io/acme/f",
		"docker push --all-tags ghcr.io/acme/g":                              "ghcr.io/acme/g",
	}
	for line, want := range pushed {
		src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker login ghcr.io -u u -p ${{ secrets.CR_PAT }}\n      - run: " + line + "\n"
		res := auditText(t, src)
		got := ""
		if len(res.Credentials) == 1 {
			got = strings.Join(res.Credentials[0].Images, " ")
		}
		if got != want {
			t.Errorf("%s: pushes %q; want %q", line, got, want)
		}
	}
}

// registryKey is a registry as the audit keys it.
func registryKey(display string) string {
	if display == "docker.io" {
		return "index.docker.io"
	}
	return display
}

// FuzzAudit: whatever the workflows hold, the audit and its fix return
// without a panic, and every finding has a place in a file it read.
func FuzzAudit(f *testing.F) {
	for _, seed := range []string{
		"on: push\njobs:\n  a:\n    runs-on: x\n" + pushSteps,
		"on: push\njobs:\n  a:\n    needs: [b]\n    strategy:\n      matrix:\n        n: [x, y]\n        include: [{n: z, k: 1}]\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: ghcr.io/a/${{ matrix.n }}\n  b:\n    uses: ./.github/workflows/w.yml\n    secrets: inherit\n",
		"on: workflow_call\njobs:\n  a:\n    steps:\n      - run: echo ${{ secrets.T }} | docker login -u u --password-stdin && docker push $IMG\n        env: {IMG: a/b}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file := workflow.Parse(workflow.Dir+"/w.yml", []byte(src))
		res := Audit(&workflow.Repo{Files: []*workflow.File{file}, LocalActions: map[string]string{}}, Options{})
		for _, fd := range res.Findings {
			if fd.File != file.Path || fd.Line < 1 || fd.Line > file.Lines()+1 {
				t.Fatalf("finding at %s:%d of %d lines: %+v", fd.File, fd.Line, file.Lines(), fd)
			}
		}
		res.Fix()
	})
}

// build-push-action pushes with push: true, an expression that may be
// true, or outputs that push; not otherwise.
func TestBuildPushPushes(t *testing.T) {
	for with, pushes := range map[string]bool{
		"push: true": true,
		"push: ${{ github.ref == 'refs/heads/main' }}": true,
		"outputs: type=registry":                       true,
		"outputs: type=image,push=true":                true,
		"push: false":                                  false,
		"outputs: type=docker":                         false,
		"load: true":                                   false,
	} {
		src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          password: ${{ secrets.CR_PAT }}\n" +
			"      - uses: docker/build-push-action@v6\n        with:\n          " + with + "\n          tags: ghcr.io/acme/app:1\n"
		res := auditText(t, src)
		got := len(res.Credentials) == 1 && len(res.Credentials[0].Images) == 1
		if got != pushes {
			t.Errorf("%s: pushes %v; want %v", with, got, pushes)
		}
	}
}

// Quoted workflow text is cut at whole characters, never inside one.
func TestClipTextKeepsCharactersWhole(t *testing.T) {
	got := clipText(strings.Repeat("é", 100))
	if !utf8.ValidString(got) || got != strings.Repeat("é", 80)+"…" {
		t.Errorf("clipText cut %q", got)
	}
}
