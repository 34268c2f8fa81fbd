package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// auditText audits one workflow held in memory.
func auditText(t *testing.T, src string) Result {
	t.Helper()
	return auditFiles(t, map[string]string{"w.yml": src})
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

// codes is each finding as code@line, in order.
func codes(res Result) []string {
	out := []string{}
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s@%d", f.Code, f.Line))
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
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// Each pattern under testdata/audit shows one way a push credential is
// wired, with every finding and image the audit must give.
func TestPatterns(t *testing.T) {
	cases := []struct {
		dir      string
		findings []string
		pushes   []string
	}{{
		dir: "metadata", // metadata-action's images, pushed by build-push-action's tags from it
		findings: []string{
			"unchecked-credential image.yml:24:21 job=image secret=DOCKERHUB_TOKEN",
			"replaceable image.yml:24:21 job=image secret=DOCKERHUB_TOKEN",
			"images-in-part image.yml:35:17 job=image secret=DOCKERHUB_TOKEN,GITHUB_TOKEN",
		},
		pushes: []string{"DOCKERHUB_TOKEN@docker.io: docker.io/acme/app", "GITHUB_TOKEN@ghcr.io: ghcr.io/acme/app"},
	}, {
		dir: "run-push", // docker and podman in run:, the secret through env: at every level
		findings: []string{
			"unchecked-credential push.yml:17:35 job=quay secret=QUAY_ROBOT_TOKEN",
			"images-in-part push.yml:19:11 job=quay secret=CR_PAT,QUAY_ROBOT_TOKEN",
			"unchecked-credential push.yml:26:14 job=ghcr secret=CR_PAT",
			"replaceable push.yml:26:14 job=ghcr secret=CR_PAT",
		},
		pushes: []string{"CR_PAT@ghcr.io: ghcr.io/acme/worker", "QUAY_ROBOT_TOKEN@quay.io: quay.io/acme/api"},
	}, {
		dir: "reusable", // a local reusable workflow, called with secrets: inherit and with a renamed secret
		findings: []string{
			"unchecked-credential build.yml:20:21 job=inherited/push secret=REGISTRY_TOKEN",
			"unchecked-credential build.yml:20:21 job=renamed/push secret=RELEASE_PAT",
			"replaceable build.yml:20:21 job=inherited/push secret=REGISTRY_TOKEN",
			"replaceable build.yml:20:21 job=renamed/push secret=RELEASE_PAT",
			"images-in-part build.yml:24:17 job=inherited/push secret=REGISTRY_TOKEN,RELEASE_PAT",
		},
		pushes: []string{"REGISTRY_TOKEN@ghcr.io: ghcr.io/acme/one", "RELEASE_PAT@ghcr.io: ghcr.io/acme/two"},
	}, {
		dir: "dynamic-matrix", // what cannot be known before the run is said, never dropped
		findings: []string{
			"unchecked-credential matrix.yml:26:21 job=push secret=GHCR_PAT",
			"unresolved matrix.yml:30:17 job=push secret=",
			"unresolved matrix.yml:36:11 job=shared secret=",
		},
		pushes: []string{"GHCR_PAT@ghcr.io: ghcr.io/acme/${{ needs.plan.outputs.name }}"},
	}, {
		dir: "gated", // a pre-flight proves every credential for every image, and everything needs it
		findings: []string{ // only advice: each token could be a short-lived one
			"replaceable release.yml:36:14 job=pypi secret=PYPI_TOKEN",
			"replaceable release.yml:57:21 job=images secret=GHCR_PAT",
			"replaceable release.yml:66:21 job=images secret=DOCKERHUB_TOKEN",
		},
		pushes: []string{"DOCKERHUB_TOKEN@docker.io: docker.io/acme/api", "GHCR_PAT@ghcr.io: ghcr.io/acme/api ghcr.io/acme/api-debug ghcr.io/acme/web ghcr.io/acme/web-debug"},
	}, {
		dir: "broken", // a file that is no workflow is a finding; the others are still audited
		findings: []string{
			"unreadable-workflow bad.yml:8:1 job= secret=",
		},
		pushes: []string{"GITHUB_TOKEN@ghcr.io: ghcr.io/acme/tool"},
	}, {
		dir: "probes", // a check's packages drifted; npm publishes beside an unproven push
		findings: []string{
			"image-not-probed ci.yml:14:21 job=check secret=GHCR_PAT",
			"probed-not-pushed ci.yml:14:21 job=check secret=GHCR_PAT",
			"replaceable ci.yml:25:21 job=api secret=GHCR_PAT",
			"images-in-part ci.yml:29:17 job=api secret=GHCR_PAT,QUAY_TOKEN",
			"publish-before-check ci.yml:35:14 job=npm secret=GHCR_PAT,QUAY_TOKEN",
			"replaceable ci.yml:35:14 job=npm secret=NPM_TOKEN",
			"unchecked-credential ci.yml:42:11 job=quay secret=QUAY_TOKEN",
		},
		pushes: []string{"GHCR_PAT@ghcr.io: ghcr.io/acme/api ghcr.io/acme/new", "QUAY_TOKEN@quay.io: quay.io/acme/api"},
	}, {
		dir: "half-release", // the README's sample: PyPI beside an unchecked Docker Hub push
		findings: []string{
			"publish-before-check release.yml:22:9 job=pypi secret=DOCKERHUB_TOKEN",
			"unchecked-credential release.yml:31:21 job=image secret=DOCKERHUB_TOKEN",
			"replaceable release.yml:31:21 job=image secret=DOCKERHUB_TOKEN",
		},
		pushes: []string{"DOCKERHUB_TOKEN@docker.io: docker.io/acme/app"},
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
		CodePublishBeforeCheck: {"npm (npm) can publish before GHCR_PAT and QUAY_TOKEN are first used", "make api, npm and quay need it"},
		CodeImagesInPart:       {"GHCR_PAT (ghcr.io) and QUAY_TOKEN (quay.io) can be released in part", "make api, npm and quay need it"},
		CodeUnchecked:          {"QUAY_TOKEN logs in to quay.io in job quay and pushes quay.io/acme/api, and no token-gate step checks it", "add the preflight job"},
	}
	replaceable := map[string][]string{
		"GHCR_PAT":  {"GHCR_PAT pushes only to acme's own packages (ghcr.io/acme/api and ghcr.io/acme/new), from a repository of acme: the job's GITHUB_TOKEN can push there instead", "under Manage Actions access, give this repository the Write role"},
		"NPM_TOKEN": {"publishes to npm with the token NPM_TOKEN; npm takes trusted publishing", "permissions: id-token: write`, publish with npm 11.5.1 or later (Node 22.14.0 or later) on a GitHub-hosted runner and no token, and delete NPM_TOKEN"},
	}
	for _, f := range res.Findings {
		w := want[f.Code]
		if f.Code == CodeReplaceable {
			w = replaceable[f.Secret]
		}
		if len(w) == 0 {
			t.Errorf("unexpected %s finding for %q: %s", f.Code, f.Secret, f.Message)
			continue
		}
		if !strings.Contains(f.Message, w[0]) || !strings.Contains(strings.ToLower(f.Fix), strings.ToLower(w[1])) {
			t.Errorf("%s:\n message %q\n fix %q\nwant %q and %q", f.Code, f.Message, f.Fix, w[0], w[1])
		}
	}
	_, res = load(t, "../../testdata/audit/dynamic-matrix")
	for _, want := range []string{
		"a matrix that is an expression (${{ fromJSON(needs.plan.outputs.images) }})",
		"acme/workflows/.github/workflows/push.yml@v1, a reusable workflow in another repository, and passes it every secret",
	} {
		if !slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == CodeUnresolved && strings.Contains(f.Message, want) }) {
			t.Errorf("no unresolved notice says %q", want)
		}
	}
}

// aibrixRepo lays AIBrix's real workflows out as a repository: the two that
// push, or all nine.
func aibrixRepo(t *testing.T, names ...string) string {
	t.Helper()
	shared := fake.AIBrixWorkflows(t)
	if len(names) == 0 {
		all, _ := filepath.Glob(filepath.Join(shared, "*.y*ml"))
		for _, p := range all {
			names = append(names, filepath.Base(p))
		}
	}
	files := map[string][]byte{}
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = src
	}
	return writeRepo(t, files)
}

// writeRepo lays files out as a repository's .github/workflows.
func writeRepo(t *testing.T, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// The issue's own case: AIBrix's two pushing workflows. The release
// publishes two wheels to PyPI before either credential is first used;
// the nightly pushes two registries side by side.
func TestAIBrix(t *testing.T) {
	repo, err := workflow.Load(aibrixRepo(t, "docker-push-images.yml", "release-build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res := Audit(repo, Options{Repository: "vllm-project/aibrix"})
	// AIBrix's ghcr.io images are ghcr.io/aibrix/…, another owner than
	// vllm-project: only a PAT can push there, so no replaceable for it.
	sameLines(t, "findings", briefs(res.Findings), []string{
		"unchecked-credential docker-push-images.yml:39:21 job=build-push-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"replaceable docker-push-images.yml:39:21 job=build-push-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"images-in-part docker-push-images.yml:51:17 job=build-push-dockerhub secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN,DOCKER_HUB_ACCESS_TOKEN",
		"unchecked-credential docker-push-images.yml:86:21 job=build-push-ghcr secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
		"unchecked-credential release-build.yaml:40:21 job=image-release-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"replaceable release-build.yaml:40:21 job=image-release-dockerhub secret=DOCKER_HUB_ACCESS_TOKEN",
		"images-in-part release-build.yaml:52:17 job=image-release-dockerhub secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN,DOCKER_HUB_ACCESS_TOKEN",
		"unchecked-credential release-build.yaml:86:21 job=image-release-ghcr secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN",
		"publish-before-check release-build.yaml:125:11 job=python-wheel-release secret=AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN,DOCKER_HUB_ACCESS_TOKEN",
		"replaceable release-build.yaml:125:11 job=python-wheel-release secret=PYPI_TOKEN",
		"replaceable release-build.yaml:172:9 job=kvcache-wheel-release secret=PYPI_TOKEN",
	})
	// The short-lived advice fits each step, and never deletes a secret
	// another job still reads.
	for _, want := range []struct {
		line  int
		words string
	}{
		{125, "build the files in this step and publish them with pypa/gh-action-pypi-publish and no password"},
		{125, "delete PYPI_TOKEN once nothing else reads it (job kvcache-wheel-release does)"},
		{172, "add this workflow and its environment pypi as the project's trusted publisher; then drop `password:` from the step"},
		{40, "delete DOCKER_HUB_ACCESS_TOKEN once nothing else reads it (.github/workflows/docker-push-images.yml does)"},
	} {
		if !slices.ContainsFunc(res.Findings, func(f Finding) bool {
			return f.Code == CodeReplaceable && f.Line == want.line && strings.Contains(f.Fix, want.words)
		}) {
			t.Errorf("no replaceable fix on line %d says %q", want.line, want.words)
		}
	}
	six := " controller-manager gateway-plugins kvcache-watcher metadata-service runtime vllm-mock"
	sameLines(t, "images pushed", pushes(res.Credentials), []string{
		"AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN@ghcr.io:" + strings.ReplaceAll(six, " ", " ghcr.io/aibrix/"),
		"DOCKER_HUB_ACCESS_TOKEN@docker.io:" + strings.ReplaceAll(six, " ", " docker.io/aibrix/"),
	})
	for _, f := range res.Findings {
		if f.Code == CodePublishBeforeCheck {
			if !slices.Equal(f.Jobs, []string{"python-wheel-release", "kvcache-wheel-release"}) || !strings.Contains(f.Message, "PyPI never takes the same file twice") {
				t.Errorf("the half release: jobs %v, %s", f.Jobs, f.Message)
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

// seeds are every workflow the repository and the shared folder hold: the
// fuzzers start from real shapes.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	add := func(root string) {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				if src, err := os.ReadFile(p); err == nil {
					out = append(out, src)
				}
			}
			return nil
		})
	}
	add("../../testdata")
	add("../../.github")
	if dir, _ := fake.LookupAIBrix(); dir != "" {
		add(filepath.Dir(dir))
	}
	return out
}

// FuzzAudit: whatever the workflows hold, the audit and its fix return
// without a panic (an internal error is a finding, and counts as one
// here), every finding has a place in a file it read, and every fix
// parses.
func FuzzAudit(f *testing.F) {
	for _, seed := range seeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file := workflow.Parse(workflow.Dir+"/w.yml", src)
		res := Audit(&workflow.Repo{Files: []*workflow.File{file}, LocalActions: map[string]string{}}, Options{})
		for _, fd := range res.Findings {
			if fd.Code == CodeInternal {
				t.Fatalf("internal error: %s", fd.Message)
			}
			if fd.File != file.Path || fd.Line < 1 || fd.Line > file.Lines()+1 {
				t.Fatalf("finding at %s:%d of %d lines: %+v", fd.File, fd.Line, file.Lines(), fd)
			}
		}
		for path, data := range res.Fix() {
			if workflow.Parse(path, data).Err != nil {
				t.Fatalf("the fix of %s does not parse", path)
			}
		}
	})
}

// A panic in one file's audit is an internal-error finding on that file,
// with where it happened and no stack; the other files are still audited.
func TestPanicIsAFinding(t *testing.T) {
	repo := &workflow.Repo{LocalActions: map[string]string{}}
	for _, name := range []string{"a.yml", "b.yml"} {
		repo.Files = append(repo.Files, workflow.Parse(workflow.Dir+"/"+name, []byte("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: docker login -u u -p ${{ secrets.T }} ghcr.io && docker push ghcr.io/acme/x\n")))
	}
	a := newAuditor(repo, Options{})
	a.guard(repo.Files[0], func(*auditor) { panic("boom") })
	if len(a.findings) != 1 || a.findings[0].Code != CodeInternal || a.findings[0].File != repo.Files[0].Path {
		t.Fatalf("findings %+v", a.findings)
	}
	msg := a.findings[0].Message
	if !strings.Contains(msg, "boom") || !strings.Contains(msg, "bug in token-gate") || strings.Contains(msg, "goroutine") {
		t.Errorf("message %q", msg)
	}
	if fix := a.findings[0].Fix; !strings.Contains(fix, "report") {
		t.Errorf("fix %q", fix)
	}
	// And a whole audit goes on past it: the other file is judged.
	res := Audit(repo, Options{})
	if len(res.Credentials) != 1 || len(res.Credentials[0].Uses) != 2 {
		t.Errorf("credentials %+v", res.Credentials)
	}
}

// GitHub refuses a file whose if: reads secrets: it is said so, and
// judged no further.
func TestRefusedByGitHub(t *testing.T) {
	res := auditText(t, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - if: secrets.T != ''\n        run: docker login -u u -p ${{ secrets.T }} ghcr.io && docker push ghcr.io/acme/x\n")
	if got := codes(res); !slices.Equal(got, []string{"unreadable-workflow@6"}) || !strings.Contains(res.Findings[0].Message, "reads secrets") {
		t.Errorf("findings %v %v", got, res.Findings)
	}
}
