package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/workflow"
)

// fixOf is the fixed text of one workflow, "" when the fix leaves it.
func fixOf(t *testing.T, src string) string {
	t.Helper()
	return fixOfFiles(t, map[string]string{"w.yml": src})["w.yml"]
}

func fixOfFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for path, data := range auditFiles(t, files).Fix() {
		out[strings.TrimPrefix(path, workflow.Dir+"/")] = string(data)
	}
	return out
}

// pushJob is a job body's steps that log in to ghcr.io and push.
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
		"  trailing:\n    needs: [setup,]\n    runs-on: x\n" + pushSteps +
		"  block:\n    needs:\n      - setup\n    runs-on: x\n" + pushSteps
	got := fixOf(t, src)
	for _, want := range []string{
		"  none:\n    needs: preflight\n    runs-on: x\n",
		"  scalar:\n    needs: [setup, preflight]\n",
		"  quoted:\n    needs: ['setup', preflight]   # a comment stays\n",
		"  flow:\n    needs: [ setup, preflight ]\n",
		"  trailing:\n    needs: [setup, preflight,]\n",
		"  block:\n    needs:\n      - setup\n      - preflight\n",
		// Before the first job that needs it, with a word on why.
		"      - run: echo\n  # Checks the push credentials before anything publishes (token-gate audit --fix).\n  preflight:\n    runs-on: ubuntu-latest\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the fix lacks %q:\n%s", want, got)
		}
	}
}

// Shapes where the fix would break a file or its meaning: it writes
// nothing where it cannot keep the promise, says why, and never writes a
// file that does not parse.
func TestFixRefusesWhatItCannotKeep(t *testing.T) {
	cases := []struct {
		name, src string
		// fixed says a fix is written; why is what the finding's fix then
		// says, or says it cannot do.
		fixed bool
		why   string
	}{{
		name: "a job written as an alias of another",
		src: "on: push\njobs:\n  a: &tmpl\n    runs-on: x\n" + pushSteps +
			"  b: *tmpl\n",
		fixed: true, // a gets needs; b cannot, and the fix says so
		why:   "job b is written as an alias of another job",
	}, {
		name: "needs: through an alias",
		src: "on: push\njobs:\n  base:\n    runs-on: x\n    steps:\n      - run: echo\n  lint:\n    needs: &base [base]\n    runs-on: x\n    steps:\n      - run: echo\n" +
			"  a:\n    needs: *base\n    runs-on: x\n" + pushSteps,
		fixed: true, // a step in job a, before its login: the alias is left alone
		why:   "the needs: of job a is an alias",
	}, {
		name: "a job that runs whatever came before",
		src:  "on: push\njobs:\n  a:\n    if: ${{ !cancelled() }}\n    runs-on: x\n" + pushSteps,
		why:  "runs whatever the jobs before it did",
	}, {
		name: "a login whose if: reads a step's output",
		src: "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: ok\n        run: echo go=1 >> $GITHUB_OUTPUT\n" +
			"      - if: steps.ok.outputs.go == '1'\n        uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: acme\n          password: ${{ secrets.CR_PAT }}\n      - run: docker push ghcr.io/acme/app\n",
		fixed: true, // a step in the job, under the same if:
		why:   "known only inside its job",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := auditText(t, c.src)
			fixed := res.Fix()
			if (len(fixed) > 0) != c.fixed {
				t.Errorf("fixed %v; want %v:\n%s", len(fixed) > 0, c.fixed, fixed[workflow.Dir+"/w.yml"])
			}
			said := false
			for _, f := range res.Findings {
				said = said || strings.Contains(f.Fix, c.why) || strings.Contains(f.Message, c.why)
			}
			if !said {
				t.Errorf("no finding says %q: %v", c.why, res.Findings)
			}
			for path, data := range fixed {
				if workflow.Parse(path, data).Err != nil {
					t.Errorf("the fix does not parse")
				}
			}
		})
	}
}

// A flow-style step, a last line with no newline, a CRLF file: the fix
// fits each; a UTF-16 file is refused as unreadable.
func TestFixFitsTheFile(t *testing.T) {
	flow := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - {uses: docker/login-action@v3, with: {registry: ghcr.io, username: acme, password: '${{ secrets.CR_PAT }}'}}\n      - run: docker push ghcr.io/acme/app"
	got := fixOf(t, flow)
	if !strings.Contains(got, "  a:\n    needs: preflight\n") || !strings.HasSuffix(got, "docker push ghcr.io/acme/app") {
		t.Errorf("flow step, no final newline:\n%s", got)
	}
	crlf := strings.ReplaceAll("on: push\njobs:\n  a:\n    runs-on: x\n"+pushSteps, "\n", "\r\n")
	got = fixOf(t, crlf)
	if strings.Count(got, "\n") != strings.Count(got, "\r\n") || !strings.Contains(got, "preflight:\r\n") {
		t.Errorf("CRLF not kept:\n%q", got)
	}
	utf16 := append([]byte{0xFF, 0xFE}, []byte("o\x00n\x00")...)
	res := Audit(&workflow.Repo{Files: []*workflow.File{workflow.Parse(workflow.Dir+"/w.yml", utf16)}}, Options{})
	if len(res.Findings) != 1 || res.Findings[0].Code != CodeUnreadable || !strings.Contains(res.Findings[0].Message, "UTF-16") {
		t.Errorf("UTF-16: %v", res.Findings)
	}
}

// A second --fix changes nothing: the credentials the first checked are
// checked.
func TestFixIsIdempotent(t *testing.T) {
	src := "on: push\njobs:\n  a:\n    runs-on: x\n" + pushSteps +
		"  pypi:\n    runs-on: x\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
	once := fixOf(t, src)
	if once == "" {
		t.Fatal("nothing fixed")
	}
	if twice := fixOf(t, once); twice != "" {
		t.Errorf("a second fix changed:\n%s", twice)
	}
	if res := auditText(t, once); res.HasErrors() {
		t.Errorf("errors after the fix: %v", codes(res))
	}
}

// The guarded jobs' if: is copied to the preflight only when they share
// it; otherwise each check carries its use's condition.
func TestFixConditions(t *testing.T) {
	login := func(secret string) string {
		return "    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: acme\n          password: ${{ secrets." + secret + " }}\n      - run: docker push ghcr.io/acme/" + strings.ToLower(secret) + "\n"
	}
	same := "on: push\njobs:\n  a:\n    if: github.repository == 'acme/app'\n    runs-on: x\n" + login("A") +
		"  b:\n    if: github.repository == 'acme/app'\n    runs-on: x\n" + login("B")
	got := fixOf(t, same)
	if !strings.Contains(got, "  preflight:\n    if: github.repository == 'acme/app'\n") {
		t.Errorf("a shared if: is not hoisted:\n%s", got)
	}
	differ := "on: push\njobs:\n  a:\n    if: github.repository == 'acme/app'\n    runs-on: x\n" + login("A") +
		"  b:\n    if: github.event_name == 'push'\n    runs-on: x\n" + login("B")
	got = fixOf(t, differ)
	if strings.Contains(got, "  preflight:\n    if:") {
		t.Errorf("differing ifs copied to the job:\n%s", got)
	}
	if !strings.Contains(got, "if: ${{ github.repository == 'acme/app' }}") {
		t.Errorf("the check of A does not carry its job's if:\n%s", got)
	}
	// An if: that reads another job's outputs: the preflight needs that
	// job, which every guarded job already waits for.
	outputs := "on: push\njobs:\n  plan:\n    runs-on: x\n    outputs:\n      go: ${{ steps.p.outputs.go }}\n    steps:\n      - id: p\n        run: echo go=1 >> $GITHUB_OUTPUT\n" +
		"  image:\n    needs: plan\n    if: ${{ needs.plan.outputs.go }}\n    runs-on: x\n" + login("CR_PAT") +
		"  pypi:\n    needs: plan\n    runs-on: x\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
	got = fixOf(t, outputs)
	if !strings.Contains(got, "  preflight:\n    needs: plan\n") || !strings.Contains(got, "if: ${{ needs.plan.outputs.go }}") {
		t.Errorf("an if: that reads outputs:\n%s", got)
	}
	// release-please's documented shape: the job that makes the release
	// decides whether the image job runs. A preflight copying that if:
	// would need the release job, which must wait for the check: the check
	// is a step in the image job, and the half release is still said.
	rp := "on: push\njobs:\n  release-please:\n    runs-on: x\n    outputs:\n      created: ${{ steps.rp.outputs.release_created }}\n    steps:\n      - id: rp\n        uses: googleapis/release-please-action@v4\n" +
		"  image:\n    needs: release-please\n    if: ${{ needs.release-please.outputs.created }}\n    runs-on: x\n" + login("CR_PAT")
	res := auditText(t, rp)
	got = string(res.Fix()[workflow.Dir+"/w.yml"])
	if strings.Contains(got, "preflight") || !strings.Contains(got, "    steps:\n      - uses: token-gate/token-gate@main\n") {
		t.Errorf("release-please's shape:\n%s", got)
	}
	if !res.HasErrors() || !strings.Contains(res.Findings[0].Fix, "which must itself wait for the check") {
		t.Errorf("findings %v: %s", codes(res), res.Findings[0].Fix)
	}
}

// Where every other action is pinned by SHA, the fix says token-gate must
// be too, in the fix's words and beside the step it writes; a workflow that
// already pins token-gate has its reference copied.
func TestFixPins(t *testing.T) {
	steps := "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n" +
		"      - uses: docker/login-action@74a5d142397b4f367a81961eba4e8cd7edddf772 # v3.4.0\n        with:\n          registry: ghcr.io\n          username: acme\n          password: ${{ secrets.CR_PAT }}\n      - run: docker push ghcr.io/acme/app\n"
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + steps
	res := auditText(t, src)
	if !strings.Contains(res.Findings[0].Fix, "pins its actions by commit SHA") || !strings.Contains(res.Findings[0].Fix, "gh api repos/token-gate/token-gate/commits/main --jq .sha") {
		t.Errorf("fix %q", res.Findings[0].Fix)
	}
	if got := string(res.Fix()[workflow.Dir+"/w.yml"]); !strings.Contains(got, "uses: token-gate/token-gate@main # pin by commit SHA, as this file pins its other actions") {
		t.Errorf("unpinned step not marked:\n%s", got)
	}
	pinned := "      - uses: token-gate/token-gate@0123456789abcdef0123456789abcdef01234567 # v1.2.3\n        with:\n          token: ${{ secrets.OTHER }}\n"
	src = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + steps + "  b:\n    runs-on: x\n    steps:\n" + pinned
	res = auditText(t, src)
	got := string(res.Fix()[workflow.Dir+"/w.yml"])
	if strings.Count(got, "uses: token-gate/token-gate@0123456789abcdef0123456789abcdef01234567 # v1.2.3") != 2 || slices.ContainsFunc(res.Findings, func(f Finding) bool { return strings.Contains(f.Fix, "pins its actions") }) {
		t.Errorf("pinned reference not copied:\n%s\n%v", got, res.Findings)
	}
}

// A credential used in an environment is checked in that environment, and
// the fix says that reviewers, if any, approve the preflight too.
func TestFixEnvironment(t *testing.T) {
	src := "on: push\njobs:\n  a:\n    environment: release\n    runs-on: x\n" + pushSteps +
		"  pypi:\n    environment: release\n    runs-on: x\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
	res := auditText(t, src)
	got := string(res.Fix()[workflow.Dir+"/w.yml"])
	if !strings.Contains(got, "  preflight:\n    environment: release\n") {
		t.Errorf("no environment:\n%s", got)
	}
	if !strings.Contains(res.Findings[0].Fix, "if release requires reviewers, they approve it too") {
		t.Errorf("fix %q", res.Findings[0].Fix)
	}
}

// A condition copied into the fix reads back as the same condition: a
// double-quoted if: is not quoted twice, and one whose string holds a line
// break is written as an escape, never as a broken line.
func TestFixCopiesQuotedConditions(t *testing.T) {
	for name, cond := range map[string]string{
		"double-quoted":      `"github.ref != 'refs/heads/main'"`,
		"escaped line break": `"github.ref != 'refs/heads/main\n::add-mask::x'"`,
		"block scalar":       "|\n      github.ref != 'refs/heads/main'",
		"single-quoted":      `'github.ref != ''refs/heads/main'''`,
	} {
		t.Run(name, func(t *testing.T) {
			src := "on: push\njobs:\n  a:\n    if: " + cond + "\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          username: acme\n          password: ${{ secrets.HUB }}\n      - run: docker push acme/app\n" +
				"  pypi:\n    if: " + cond + "\n    runs-on: x\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
			orig := workflow.Parse(workflow.Dir+"/w.yml", []byte(src))
			if orig.Err != nil {
				t.Fatal(orig.Err)
			}
			res := auditText(t, src)
			fixed := res.Fix()[workflow.Dir+"/w.yml"]
			if fixed == nil {
				t.Fatalf("no fix: %v", res.Findings)
			}
			f := workflow.Parse(workflow.Dir+"/w.yml", fixed)
			if f.Err != nil {
				t.Fatalf("%v\n%s", f.Err, fixed)
			}
			want := strings.TrimSpace(orig.Jobs[0].If.Text)
			for _, j := range f.Jobs {
				if got := strings.TrimSpace(j.If.Text); got != want {
					t.Errorf("job %s if: %q, want %q\n%s", j.ID, got, want, fixed)
				}
			}
		})
	}
}

// A check of a credential whose images the audit cannot name is written
// without packages, and says, where the maintainer reads it, what to add.
func TestFixSaysWhatPackagesToAdd(t *testing.T) {
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          username: acme\n          password: ${{ secrets.HUB }}\n" +
		"      - id: tags\n        run: echo \"tags=$TAGS\" >> \"$GITHUB_OUTPUT\"\n      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: ${{ steps.tags.outputs.tags }}\n" +
		"  pypi:\n    runs-on: x\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
	got := string(auditText(t, src).Fix()[workflow.Dir+"/w.yml"])
	if !strings.Contains(got, "          token-name: HUB\n          # packages: the images it pushes, which the audit could not name") || strings.Contains(got, "packages: |") {
		t.Errorf("fix:\n%s", got)
	}
}

// A username written quoted logs in as what the quotes hold: the check the
// fix writes must send the same, or it can never pass. The same for a
// quoted expression, and for a quoted _json_key, which is no token.
func TestFixWritesQuotedUsernamesAsTheyLogIn(t *testing.T) {
	for name, c := range map[string]struct{ written, want string }{
		"double-quoted":            {`"robot"`, "robot"},
		"single-quoted":            {`'robot'`, "robot"},
		"quoted secret":            {`"${{ secrets.HUB_USER }}"`, "${{ secrets.HUB_USER }}"},
		"plain, for the record":    {`robot`, "robot"},
		"quoted, needs its quotes": {`"robot: ci"`, "robot: ci"},
	} {
		t.Run(name, func(t *testing.T) {
			src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          username: " + c.written +
				"\n          password: ${{ secrets.HUB }}\n      - run: docker push acme/app\n"
			fixed := fixOf(t, src)
			if fixed == "" {
				t.Fatalf("no fix for username %s", c.written)
			}
			f := workflow.Parse(workflow.Dir+"/w.yml", []byte(fixed))
			if f.Err != nil {
				t.Fatalf("%v\n%s", f.Err, fixed)
			}
			var got []string
			for _, j := range f.Jobs {
				for _, s := range j.Steps {
					if s.Uses != nil && strings.HasPrefix(s.Uses.Text, "token-gate/") {
						if v, ok := workflow.Lookup(s.With, "username"); ok {
							got = append(got, v.Text)
						}
					}
				}
			}
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("the check sends username %q, the login %q\n%s", got, c.want, fixed)
			}
		})
	}
	// _json_key, quoted, is still a GCP key that token-gate cannot check.
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: gcr.io\n          username: '_json_key'\n          password: ${{ secrets.GCP_KEY }}\n      - run: docker push gcr.io/acme/app\n"
	res := auditText(t, src)
	if !slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == CodeCannotCheck }) {
		t.Errorf("a quoted _json_key login got no %s notice: %v", CodeCannotCheck, res.Findings)
	}
	if fixed := res.Fix(); len(fixed) != 0 {
		t.Errorf("a check was written for a GCP key:\n%s", fixed[workflow.Dir+"/w.yml"])
	}
}
