package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

// ruleCase is a workflow and the findings of one rule on it, as code@line.
type ruleCase struct {
	name, src string
	want      []string
}

// runRule holds each case to the findings of one code.
func runRule(t *testing.T, code Code, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, g := range codes(auditText(t, c.src)) {
				if strings.HasPrefix(g, string(code)+"@") {
					got = append(got, g)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: %v; want %v\n%s", code, got, c.want, c.src)
			}
		})
	}
}

const (
	loginHub = "      - uses: docker/login-action@v3\n        with:\n          username: acme\n          password: ${{ secrets.HUB }}\n"
	pushHub  = "      - run: docker push acme/app\n"
	loginGH  = "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: acme\n          password: ${{ secrets.CR_PAT }}\n"
	pushGH   = "      - run: docker push ghcr.io/acme/app\n"
	job      = "    runs-on: x\n    steps:\n"
)

func TestRulePublishBeforeCheck(t *testing.T) {
	runRule(t, CodePublishBeforeCheck, []ruleCase{{
		name: "PyPI beside the push",
		src:  "on: push\njobs:\n  pypi:\n" + job + pypi + "  image:\n" + job + loginHub + pushHub,
		want: []string{"publish-before-check@6"},
	}, {
		name: "PyPI after the push",
		src:  "on: push\njobs:\n  image:\n" + job + loginHub + pushHub + "  pypi:\n    needs: image\n" + job + pypi,
	}, {
		name: "a draft release is no publish",
		src:  "on: push\njobs:\n  rel:\n" + job + "      - uses: softprops/action-gh-release@v2\n        with:\n          draft: true\n  image:\n" + job + loginHub + pushHub,
	}, {
		name: "a goreleaser snapshot passed through a call's with: is no publish",
		src: "on: push\njobs:\n  gr:\n    uses: ./.github/workflows/w.yml\n    with:\n      args: release --snapshot\n  image:\n" + job + loginHub + pushHub +
			"  # called\n",
	}, {
		name: "GITHUB_TOKEN cannot expire between jobs",
		src:  "on: push\njobs:\n  pypi:\n" + job + pypi + "  image:\n" + job + strings.ReplaceAll(loginGH, "secrets.CR_PAT", "github.token") + pushGH,
	}, {
		name: "a login proves the credential: a publish after it in the job is safe",
		src:  "on: push\njobs:\n  a:\n" + job + loginHub + pypi + pushHub,
	}, {
		name: "a publish step before the login in the same job",
		src:  "on: push\njobs:\n  a:\n" + job + pypi + loginHub + pushHub,
		want: []string{"publish-before-check@6"},
	}, {
		name: "npm through changesets",
		src:  "on: push\njobs:\n  rel:\n" + job + "      - uses: changesets/action@v1\n        with:\n          publish: pnpm release\n  image:\n" + job + loginHub + pushHub,
		want: []string{"publish-before-check@6"},
	}})
}

func TestRuleImagesInPart(t *testing.T) {
	runRule(t, CodeImagesInPart, []ruleCase{{
		name: "two registries side by side",
		src:  "on: push\njobs:\n  hub:\n" + job + loginHub + pushHub + "  gh:\n" + job + loginGH + pushGH,
		want: []string{"images-in-part@10"},
	}, {
		name: "one step pushing to both after both logins",
		src: "on: push\njobs:\n  a:\n" + job + loginHub + loginGH +
			"      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: |\n            acme/app:1\n            ghcr.io/acme/app:1\n",
		want: []string{"images-in-part@18"},
	}, {
		name: "one credential's images alone",
		src:  "on: push\njobs:\n  hub:\n" + job + loginHub + pushHub,
	}, {
		name: "the second registry only after the first pushed, and a probe first",
		src: "on: push\njobs:\n  check:\n" + job + "      - uses: token-gate/token-gate@v1\n        with:\n          token: ${{ secrets.CR_PAT }}\n          packages: ghcr.io/acme/app\n      - uses: token-gate/token-gate@v1\n        with:\n          registry: docker.io\n          username: acme\n          token: ${{ secrets.HUB }}\n          packages: acme/app\n" +
			"  hub:\n    needs: check\n" + job + loginHub + pushHub + "  gh:\n    needs: check\n" + job + loginGH + pushGH,
	}})
}

func TestRuleUnchecked(t *testing.T) {
	runRule(t, CodeUnchecked, []ruleCase{{
		name: "a push nothing checks",
		src:  "on: push\njobs:\n  a:\n" + job + loginHub + pushHub,
		want: []string{"unchecked-credential@9"},
	}, {
		name: "a login that pushes nothing is no push credential",
		src:  "on: push\njobs:\n  a:\n" + job + loginHub + "      - run: docker pull acme/base\n",
	}, {
		name: "checked in a job before",
		src:  "on: push\njobs:\n  check:\n" + job + "      - uses: token-gate/token-gate@v1\n        with:\n          registry: docker.io\n          username: acme\n          token: ${{ secrets.HUB }}\n  a:\n    needs: check\n" + job + loginHub + pushHub,
	}, {
		name: "a check whose registry is an expression still checks its secret",
		src:  "on: push\njobs:\n  check:\n" + job + "      - uses: token-gate/token-gate@v1\n        with:\n          registry: ${{ vars.REGISTRY }}\n          username: acme\n          token: ${{ secrets.HUB }}\n  a:\n    needs: check\n" + job + loginHub + pushHub,
	}, {
		name: "a commented-out tokens line checks nothing",
		src:  "on: push\njobs:\n  check:\n" + job + "      - uses: token-gate/token-gate@v1\n        with:\n          tokens: |\n            # HUB=${{ secrets.HUB }}\n            OTHER=${{ secrets.OTHER }}\n  a:\n    needs: check\n" + job + loginHub + pushHub,
		want: []string{"unchecked-credential@18"},
	}, {
		name: "GITHUB_TOKEN lives for the job",
		src:  "on: push\njobs:\n  a:\n" + job + strings.ReplaceAll(loginGH, "secrets.CR_PAT", "github.token") + pushGH,
	}})
}

func TestRuleProbes(t *testing.T) {
	check := func(packages string) string {
		return "  check:\n" + job + "      - uses: token-gate/token-gate@v1\n        with:\n          token: ${{ secrets.CR_PAT }}\n          packages: " + packages + "\n"
	}
	push := "  a:\n    needs: check\n" + job + loginGH + pushGH
	runRule(t, CodeImageNotProbed, []ruleCase{
		{name: "probed", src: "on: push\njobs:\n" + check("ghcr.io/acme/app") + push},
		{name: "space-separated packages are read as the check reads them", src: "on: push\njobs:\n" + check("ghcr.io/acme/other ghcr.io/acme/app") + push},
		{name: "not probed", src: "on: push\njobs:\n" + check("ghcr.io/acme/other") + push, want: []string{"image-not-probed@9"}},
	})
	runRule(t, CodeProbedNotPushed, []ruleCase{
		{name: "pushed", src: "on: push\njobs:\n" + check("ghcr.io/acme/app") + push},
		{name: "probed but pushed by nothing", src: "on: push\njobs:\n" + check("ghcr.io/acme/app, ghcr.io/acme/gone") + push, want: []string{"probed-not-pushed@9"}},
	})
}

func TestRuleCannotGate(t *testing.T) {
	runRule(t, CodeCannotGate, []ruleCase{{
		name: "always() publishes whatever came before",
		src:  "on: push\njobs:\n  image:\n" + job + loginHub + pushHub + "  pypi:\n    needs: image\n    if: always()\n" + job + pypi,
		want: []string{"cannot-gate@13"},
	}, {
		name: "!failure() && !cancelled() waits for what failed",
		src:  "on: push\njobs:\n  image:\n" + job + loginHub + pushHub + "  pypi:\n    needs: image\n    if: ${{ !failure() && !cancelled() }}\n" + job + pypi,
	}, {
		name: "always() that asks how its need ended",
		src:  "on: push\njobs:\n  image:\n" + job + loginHub + pushHub + "  pypi:\n    needs: image\n    if: always() && needs.image.result == 'success'\n" + job + pypi,
	}})
}

// Where a check is used: the one credential of that secret, else the only
// one its job checks for the registry; never the first of several.
func TestResultFor(t *testing.T) {
	res := Result{}
	res.Credentials = []Credential{
		{Secret: "A", Registry: "ghcr.io", CheckedBy: []CheckPlace{{File: "w.yml", Job: "check"}}},
		{Secret: "B", Registry: "ghcr.io", CheckedBy: []CheckPlace{{File: "w.yml", Job: "check"}}},
		{Secret: "C", Registry: "quay.io", CheckedBy: []CheckPlace{{File: "w.yml", Job: "quay"}}},
	}
	for _, c := range []struct {
		name, registry, job, want string
	}{
		{"a", "ghcr.io", "other", "A"},
		{"token", "ghcr.io", "check", ""}, // two in that job: not clear which
		{"token", "quay.io", "quay", "C"},
		{"token", "docker.io", "quay", ""},
	} {
		got := ""
		if cr := res.For(c.name, c.registry, "w.yml", c.job); cr != nil {
			got = cr.Secret
		}
		if got != c.want {
			t.Errorf("For(%s, %s, %s) = %q; want %q", c.name, c.registry, c.job, got, c.want)
		}
	}
}

// With the repository known, github.repository and its owner name images.
func TestRepositoryNamesImages(t *testing.T) {
	src := "on: push\njobs:\n  a:\n" + job + loginGH + "      - run: docker push ghcr.io/${{ github.repository_owner }}/app\n      - run: docker push ghcr.io/${{ github.repository }}\n"
	f := auditText(t, src)
	if imgs := f.Credentials[0].Images; !slices.Equal(imgs, []string{"ghcr.io/${{ github.repository }}", "ghcr.io/${{ github.repository_owner }}/app"}) {
		t.Errorf("unknown repository: %v", imgs)
	}
	repo := planOf(t, src).a.repo
	res := Audit(repo, Options{Repository: "Acme/App"})
	if imgs := res.Credentials[0].Images; !slices.Equal(imgs, []string{"ghcr.io/acme/app"}) {
		t.Errorf("known repository: %v", imgs)
	}
}

// replaceable speaks only where a short-lived credential can do the same
// job: a PAT pushing to the repository owner's own ghcr.io packages, never
// another owner's, nor images it cannot name.
func TestReplaceable(t *testing.T) {
	cases := []struct {
		name, push string
		want       bool
	}{
		{"own packages", "      - run: docker push ghcr.io/acme/app\n", true},
		{"owner by expression", "      - run: docker push ghcr.io/${{ github.repository_owner }}/app\n", true},
		{"another owner", "      - run: docker push ghcr.io/other/app\n", false},
		{"own and another", "      - run: docker push ghcr.io/acme/app\n      - run: docker push ghcr.io/other/app\n", false},
		{"images unnamed", "      - run: docker push ghcr.io/acme/app\n      - run: make push\n      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: ${{ steps.meta.outputs.tags }}\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "on: push\njobs:\n  a:\n" + job + loginGH + c.push
			res := Audit(planOf(t, src).a.repo, Options{Repository: "acme/app"})
			got := slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == CodeReplaceable && f.Secret == "CR_PAT" })
			if got != c.want {
				t.Errorf("replaceable = %v, want %v:\n%v", got, c.want, briefs(res.Findings))
			}
		})
	}
	// The GITHUB_TOKEN is already short-lived.
	src := "on: push\njobs:\n  a:\n" + job + strings.ReplaceAll(loginGH, "secrets.CR_PAT", "secrets.GITHUB_TOKEN") + "      - run: docker push ghcr.io/acme/app\n"
	for _, f := range Audit(planOf(t, src).a.repo, Options{Repository: "acme/app"}).Findings {
		if f.Code == CodeReplaceable {
			t.Errorf("GITHUB_TOKEN called replaceable: %s", f.Message)
		}
	}
}

// What Load would not read is said, never dropped: a workflow that is a
// link outside the repository, and a local action outside it.
func TestRefusedPathsSaid(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "w.yml"), []byte("on: push\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := writeRepo(t, map[string][]byte{"ci.yml": []byte("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./../elsewhere/act\n        with:\n          password: ${{ secrets.HUB }}\n")})
	if err := os.Symlink(filepath.Join(outside, "w.yml"), filepath.Join(root, ".github", "workflows", "out.yml")); err != nil {
		t.Fatal(err)
	}
	repo, err := workflow.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	res := Audit(repo, Options{})
	sameLines(t, "findings", briefs(res.Findings), []string{
		"unresolved ci.yml:6:15 job=a secret=",
		"unresolved out.yml:1:1 job= secret=",
	})
	for _, f := range res.Findings {
		if !strings.Contains(f.Message, "outside the repository") || !strings.Contains(f.Message, "not audited") {
			t.Errorf("%s: %s", f.File, f.Message)
		}
	}
}

// GitHub reads context names in any case: SECRETS.CR_PAT is the secret
// CR_PAT, for the credential and for where secrets are read.
func TestSecretsInAnyCase(t *testing.T) {
	src := "on: push\njobs:\n  a:\n" + job + strings.ReplaceAll(loginGH, "secrets.CR_PAT", "SECRETS.CR_PAT") + pushGH
	res := auditText(t, src)
	if len(res.Credentials) != 1 || res.Credentials[0].Secret != "CR_PAT" {
		t.Errorf("credentials %+v", res.Credentials)
	}
	if !slices.ContainsFunc(res.Secrets, func(r finding.SecretRef) bool { return r.Secret == "CR_PAT" }) {
		t.Errorf("secret reads %+v", res.Secrets)
	}
}

// A PyPI token read by a called workflow (poetry's short -p): PyPI trusts
// the workflow the run starts from, the calling job must grant the OIDC
// token too, the caller's own mapping of the secret is no other reader,
// and the fix says that PyPI supports this case only in part.
func TestReplaceableCalledPyPI(t *testing.T) {
	res := auditFiles(t, map[string]string{
		"release.yml": "on: push\njobs:\n  pypi:\n    uses: ./.github/workflows/pypi.yml\n    secrets: inherit\n",
		"pypi.yml":    "on: workflow_call\njobs:\n  publish:\n    runs-on: x\n    steps:\n      - run: poetry publish -u __token__ -p '${{ secrets.PYPI }}'\n",
	})
	i := slices.IndexFunc(res.Findings, func(f Finding) bool { return f.Code == CodeReplaceable && f.Secret == "PYPI" })
	if i < 0 {
		t.Fatalf("no replaceable for PYPI: %v", briefs(res.Findings))
	}
	fix := res.Findings[i].Fix
	const inPart = "PyPI supports a publish from a called workflow only in part"
	for _, want := range []string{"add .github/workflows/release.yml, the workflow that calls this one, as the project's trusted publisher", "the job that calls it, `permissions: id-token: write`", "and delete PYPI.", inPart} {
		if !strings.Contains(fix, want) {
			t.Errorf("fix %q lacks %q", fix, want)
		}
	}
	// The caveat is a called workflow's alone.
	direct := auditText(t, "on: push\njobs:\n  publish:\n    runs-on: x\n    steps:\n      - run: poetry publish -u __token__ -p '${{ secrets.PYPI }}'\n")
	for _, f := range direct.Findings {
		if f.Code == CodeReplaceable && strings.Contains(f.Fix, inPart) {
			t.Errorf("a publish in the workflow a run starts from got the called workflow's caveat: %q", f.Fix)
		}
	}
}

// A script that pushes each tag metadata-action made, in a loop over the
// env variable that holds them, pushes that step's images; a loop over
// anything else names nothing.
func TestLoopOverMetadataTags(t *testing.T) {
	for list, want := range map[string][]string{
		"$TAGS":    {"docker.io/acme/app"},
		"${TAGS}":  {"docker.io/acme/app"},
		"a b":      {},
		"$(cat x)": {},
	} {
		src := "on: push\njobs:\n  a:\n" + job + loginHub +
			"      - id: meta\n        uses: docker/metadata-action@v5\n        with:\n          images: acme/app\n" +
			"      - env:\n          TAGS: ${{ steps.meta.outputs.tags }}\n        run: |\n          for tag in " + list + "; do\n            regctl image copy acme/src:1 $tag\n          done\n"
		res := auditText(t, src)
		var got []string
		unnamed := false
		for _, c := range res.Credentials {
			got = append(got, c.Images...)
			unnamed = unnamed || c.PushesUnnamed
		}
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) || unnamed != (len(want) == 0) {
			t.Errorf("for tag in %s: images %v (unnamed %v), want %v", list, got, unnamed, want)
		}
	}
}
