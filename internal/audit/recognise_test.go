package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/workflow"
)

// stepPublishes is what one step publishes, by kind, "" for nothing.
func stepPublishes(t *testing.T, step string) string {
	t.Helper()
	p := planOf(t, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - "+step+"\n")
	var kinds []string
	for _, e := range p.events {
		if e.kind == evPublish {
			kinds = append(kinds, e.publishKind)
		}
	}
	return strings.Join(kinds, " ")
}

// Every publisher of the table, and what makes each publish nothing.
func TestRecognisePublishes(t *testing.T) {
	for step, want := range map[string]string{
		"run: poetry publish --build":                                                    "pypi",
		"run: twine upload dist/*":                                                       "pypi",
		"run: python -m twine upload dist/*":                                             "pypi",
		"run: uv publish":                                                                "pypi",
		"run: uv publish --dry-run":                                                      "",
		"uses: pypa/gh-action-pypi-publish@release/v1":                                   "pypi",
		"{uses: PyO3/maturin-action@v1, with: {command: upload}}":                        "pypi",
		"{uses: PyO3/maturin-action@v1, with: {command: build}}":                         "",
		"run: npm publish":                                                               "npm",
		"run: npm publish --dry-run":                                                     "",
		"run: pnpm publish --no-git-checks":                                              "npm",
		"{uses: changesets/action@v1, with: {publish: pnpm release}}":                    "npm",
		"{uses: changesets/action@v1, with: {version: pnpm version}}":                    "",
		"uses: softprops/action-gh-release@v2":                                           "github-release",
		"{uses: softprops/action-gh-release@v2, with: {draft: true}}":                    "",
		"uses: googleapis/release-please-action@v4":                                      "github-release",
		"{uses: googleapis/release-please-action@v4, with: {skip-github-release: true}}": "",
		"run: gh release create v1 dist/*":                                               "github-release",
		"run: gh release create v1 --draft":                                              "",
		"run: gh release upload v1 dist/*":                                               "github-release",
		"run: helm push chart.tgz oci://ghcr.io/acme":                                    "helm",
		"run: cargo publish":                                                             "cargo",
		"run: cargo publish --dry-run":                                                   "",
		"run: goreleaser release --clean":                                                "github-release",
		"run: goreleaser release --snapshot --clean":                                     "",
		"{uses: goreleaser/goreleaser-action@v6, with: {args: release --clean}}":         "github-release",
		"{uses: goreleaser/goreleaser-action@v6, with: {args: release --snapshot}}":      "",
		"uses: goreleaser/goreleaser-action@v6":                                          "",
		"run: ansible-galaxy collection publish x.tar.gz --token T":                      "galaxy",
		"run: gem push x.gem":                                                            "gem",
		"run: bundle exec rake gems:release":                                             "gem",
		"run: ./mvnw deploy -DskipTests":                                                 "maven",
		"run: ./gradlew publishToSonatype closeAndRelease":                               "maven",
		"run: dotnet nuget push x.nupkg --api-key K":                                     "nuget",
		"run: npx vsce publish -p T":                                                     "vscode-marketplace",
		"run: cd py && poetry publish":                                                   "pypi",
		"run: echo twine upload":                                                         "",
		"uses: actions/upload-artifact@v4":                                               "",
	} {
		if got := stepPublishes(t, step); got != want {
			t.Errorf("%s: publishes %q; want %q", step, got, want)
		}
	}
}

// loginOf is each credential a job's steps log in with, as SECRET@registry,
// its username beside it.
func loginOf(t *testing.T, steps string) []string {
	t.Helper()
	res := auditText(t, "on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      P: ${{ secrets.CR_PAT }}\n      U: ${{ secrets.CR_USER }}\n    steps:\n"+steps)
	var out []string
	for _, c := range res.Credentials {
		out = append(out, c.Secret+"@"+registryKey(c.Registry)+" user="+c.Username)
	}
	return out
}

// registryKey is a registry as the audit keys it.
func registryKey(display string) string {
	if display == "docker.io" {
		return "index.docker.io"
	}
	return display
}

// Logins in run: scripts: the password is -p's or what --password-stdin
// reads; -u, --username and username: name the account, never a
// credential of their own.
func TestRecogniseLogins(t *testing.T) {
	run := func(line string) string {
		return "      - run: " + strings.ReplaceAll(line, `"`, `\"`) + "\n"
	}
	quoted := func(line string) string { return `      - run: "` + strings.ReplaceAll(line, `"`, `\"`) + "\"\n" }
	for steps, want := range map[string][]string{
		quoted(`echo "$P" | docker login ghcr.io -u u --password-stdin`):                                                                               {"CR_PAT@ghcr.io user=u"},
		quoted(`docker login -u "$U" -p "$P"`):                                                                                                         {"CR_PAT@index.docker.io user=${{ secrets.CR_USER }}"},
		quoted(`docker login --username=u --password-stdin quay.io <<< "$P"`):                                                                          {"CR_PAT@quay.io user=u"},
		quoted(`podman login --username "$U" --password "$P" registry.example.com:5000`):                                                               {"CR_PAT@registry.example.com:5000 user=${{ secrets.CR_USER }}"},
		quoted(`buildah login --username u --password "$P" ghcr.io`):                                                                                   {"CR_PAT@ghcr.io user=u"},
		quoted(`skopeo login -u u -p "$P" quay.io`):                                                                                                    {"CR_PAT@quay.io user=u"},
		quoted(`crane auth login ghcr.io -u u -p "$P"`):                                                                                                {"CR_PAT@ghcr.io user=u"},
		quoted(`echo "$P" | ko login docker.io -u u --password-stdin`):                                                                                 {"CR_PAT@index.docker.io user=u"},
		run("docker login ghcr.io -u u -p ${{ secrets.CR_PAT }} && make all"):                                                                          {"CR_PAT@ghcr.io user=u"},
		"      - uses: docker/login-action@v3\n        with:\n          username: ${{ secrets.CR_USER }}\n          password: ${{ secrets.CR_PAT }}\n": {"CR_PAT@index.docker.io user=${{ secrets.CR_USER }}"},
		"      - uses: redhat-actions/podman-login@v1\n        with:\n          registry: quay.io\n          username: u\n          password: ${{ secrets.CR_PAT }}\n": {"CR_PAT@quay.io user=u"},
		// A password chosen by a condition is either secret.
		"      - uses: docker/login-action@v3\n        with:\n          username: u\n          password: ${{ github.ref == 'refs/heads/main' && secrets.CR_PAT || secrets.CR_USER }}\n": {"CR_PAT@index.docker.io user=u", "CR_USER@index.docker.io user=u"},
	} {
		if got := loginOf(t, steps); !slices.Equal(got, want) {
			t.Errorf("%s logs in as %v; want %v", steps, got, want)
		}
	}
}

// Credentials a registry trades with a cloud's API are listed as what
// token-gate cannot check, with a notice saying what would, and no check
// is ever written for them.
func TestRecogniseCannotCheck(t *testing.T) {
	for steps, want := range map[string]string{
		"      - uses: docker/login-action@v3\n        with:\n          registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n          username: ${{ secrets.AWS_KEY_ID }}\n          password: ${{ secrets.AWS_SECRET }}\n":                                                                      "AWS_SECRET",
		"      - uses: docker/login-action@v3\n        with:\n          registry: public.ecr.aws\n          username: ${{ secrets.AWS_KEY_ID }}\n          password: ${{ secrets.AWS_SECRET }}\n":                                                                                                    "AWS_SECRET",
		"      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-access-key-id: ${{ secrets.AWS_KEY_ID }}\n          aws-secret-access-key: ${{ secrets.AWS_SECRET }}\n      - uses: aws-actions/amazon-ecr-login@v2\n        with:\n          registry-type: public\n": "AWS_SECRET",
		"      - uses: docker/login-action@v3\n        with:\n          registry: gcr.io\n          username: _json_key\n          password: ${{ secrets.GCP_KEY }}\n":                                                                                                                               "GCP_KEY",
		"      - uses: docker/login-action@v3\n        with:\n          registry: acme.azurecr.io\n          username: ${{ secrets.AZ_ID }}\n          password: ${{ secrets.AZ_SECRET }}\n":                                                                                                         "AZ_SECRET",
	} {
		src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + steps + "      - run: docker push ghcr.io/acme/x\n  pypi:\n    runs-on: x\n    steps:\n" + pypi
		res := auditText(t, src)
		if len(res.Credentials) != 1 || res.Credentials[0].Secret != want || res.Credentials[0].CannotCheck == "" {
			t.Errorf("%s: credentials %+v", steps, res.Credentials)
			continue
		}
		if !slices.Contains(codes(res), "cannot-check@"+itoaLine(res, CodeCannotCheck)) || slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == CodeUnchecked }) {
			t.Errorf("%s: findings %v", steps, codes(res))
		}
		if fixed := string(res.Fix()[workflow.Dir+"/w.yml"]); strings.Contains(fixed, "token: ${{ secrets."+want) {
			t.Errorf("a check of %s that cannot pass was written:\n%s", want, fixed)
		}
	}
}

func itoaLine(res Result, code Code) string {
	for _, f := range res.Findings {
		if f.Code == code {
			return strings.TrimPrefix(strings.Split(brief(f), ":")[1], "")
		}
	}
	return "-"
}

// imagesOf is what one build step pushes, with the login before it.
func imagesOf(t *testing.T, steps string) string {
	t.Helper()
	res := auditText(t, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker login ghcr.io -u u -p ${{ secrets.CR_PAT }}\n"+steps)
	if len(res.Credentials) != 1 {
		return "?"
	}
	return strings.Join(res.Credentials[0].Images, " ")
}

// Pushes: every command and action of the table, and what names the
// image.
func TestRecognisePushes(t *testing.T) {
	run := func(line string) string { return "      - run: " + line + "\n" }
	with := func(action, body string) string {
		return "      - uses: " + action + "\n        with:\n" + body
	}
	for steps, want := range map[string]string{
		run("docker push ghcr.io/acme/a:1"):                                                                               "ghcr.io/acme/a",
		run("docker image push ghcr.io/acme/a@sha256:" + strings.Repeat("a", 64)):                                         "ghcr.io/acme/a",
		run("docker buildx build --push -t ghcr.io/acme/a:1 -t ghcr.io/acme/b ."):                                         "ghcr.io/acme/a ghcr.io/acme/b",
		run("docker buildx build -t ghcr.io/acme/a ."):                                                                    "",
		run("docker buildx build --output type=registry -t ghcr.io/acme/c ."):                                             "ghcr.io/acme/c",
		run("docker buildx imagetools create -t ghcr.io/acme/m:1 ghcr.io/acme/m@sha256:" + strings.Repeat("b", 64)):       "ghcr.io/acme/m",
		run("podman push localimage ghcr.io/acme/d"):                                                                      "ghcr.io/acme/d",
		run("podman manifest push --all list ghcr.io/acme/l"):                                                             "ghcr.io/acme/l",
		run("docker manifest push ghcr.io/acme/l:1"):                                                                      "ghcr.io/acme/l",
		run("skopeo copy docker-archive:x.tar docker://ghcr.io/acme/e:1"):                                                 "ghcr.io/acme/e",
		run("crane copy ghcr.io/acme/src ghcr.io/acme/f"):                                                                 "ghcr.io/acme/f",
		run("regctl -v info image copy ghcr.io/acme/src ghcr.io/acme/g"):                                                  "ghcr.io/acme/g",
		run("oras push ghcr.io/acme/art:1 file.txt"):                                                                      "ghcr.io/acme/art",
		run("docker push --all-tags ghcr.io/acme/g"):                                                                      "ghcr.io/acme/g",
		with("docker/build-push-action@v6", "          push: true\n          tags: ghcr.io/acme/h:1, ghcr.io/acme/i:2\n"): "ghcr.io/acme/h ghcr.io/acme/i",
		with("docker/build-push-action@v6", "          push: false\n          tags: ghcr.io/acme/h:1\n"):                  "",
		with("docker/build-push-action@v6", "          outputs: type=image,name=ghcr.io/acme/o,push=true\n"):              "ghcr.io/acme/o",
		with("docker/build-push-action@v6", "          cache-to: type=registry,ref=ghcr.io/acme/cache:buildcache\n"):      "ghcr.io/acme/cache",
		with("depot/build-push-action@v1", "          push: true\n          tags: ghcr.io/acme/j:1\n"):                    "ghcr.io/acme/j",
		with("docker/bake-action@v6", "          push: true\n          set: |\n            app.tags=ghcr.io/acme/k:1\n"):  "ghcr.io/acme/k",
	} {
		if got := imagesOf(t, steps); got != want {
			t.Errorf("%s pushes %q; want %q", steps, got, want)
		}
	}
}

// metadata-action's images: a line each or commas on one line, # lines
// and enable=false entries dropped; its old name too.
func TestRecogniseMetadata(t *testing.T) {
	for images, want := range map[string][]string{
		"acme/a\nghcr.io/acme/b":                {"acme/a", "ghcr.io/acme/b"},
		"acme/a,ghcr.io/acme/b":                 {"acme/a", "ghcr.io/acme/b"},
		"# off\nacme/a":                         {"acme/a"},
		"name=acme/a,enable=false\nname=acme/b": {"acme/b"},
		"name=acme/a,enable=${{ true }}":        {"acme/a"},
	} {
		if got := metadataImages(images); !slices.Equal(got, want) {
			t.Errorf("%q: %v; want %v", images, got, want)
		}
	}
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker login ghcr.io -u u -p ${{ secrets.CR_PAT }}\n" +
		"      - id: meta\n        uses: crazy-max/ghaction-docker-meta@v5\n        with:\n          images: ghcr.io/acme/old-name\n" +
		"      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: ${{ steps.meta.outputs.tags }}\n"
	if res := auditText(t, src); len(res.Credentials) != 1 || !slices.Equal(res.Credentials[0].Images, []string{"ghcr.io/acme/old-name"}) {
		t.Errorf("the old name: %+v", res.Credentials)
	}
}

// A step nobody knows gets a notice when it takes a secret as a
// credential-like input, or runs a publish-like command with one.
func TestRecogniseUnknown(t *testing.T) {
	for step, want := range map[string]bool{
		"uses: acme/publish-thing@v1\n        with:\n          api-token: ${{ secrets.T }}": true,
		"uses: acme/publish-thing@v1\n        with:\n          token: ${{ github.token }}":  false,
		"uses: acme/lint@v1\n        with:\n          path: .":                              false,
		"run: ./scripts/release.sh\n        env:\n          T: ${{ secrets.T }}":            true,
		"run: make publish\n        env:\n          T: ${{ secrets.T }}":                    true,
		"run: make test\n        env:\n          T: ${{ secrets.T }}":                       false,
		"run: git push origin v1\n        env:\n          T: ${{ secrets.T }}":              false,
		"run: ./scripts/release.sh": false,
	} {
		res := auditText(t, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - "+step+"\n")
		got := slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == CodeUnrecognised })
		if got != want {
			t.Errorf("%s: notice %v; want %v (%v)", step, got, want, codes(res))
		}
	}
}

// A local composite action's steps are read as the step's own, its inputs
// bound to the step's with:.
func TestRecogniseLocalAction(t *testing.T) {
	act := workflow.ParseAction(".github/actions/login/action.yml", []byte("name: login\ninputs:\n  pw: {}\n  user: {}\nruns:\n  using: composite\n  steps:\n    - uses: docker/login-action@v3\n      with:\n        registry: quay.io\n        username: ${{ inputs.user }}\n        password: ${{ inputs.pw }}\n"))
	f := workflow.Parse(workflow.Dir+"/w.yml", []byte("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/login\n        with:\n          user: acme\n          pw: ${{ secrets.QUAY_TOKEN }}\n      - run: docker push quay.io/acme/x\n"))
	repo := &workflow.Repo{Files: []*workflow.File{f}, Actions: map[string]*workflow.Action{"./.github/actions/login": act}, LocalActions: map[string]string{}}
	res := Audit(repo, Options{})
	if len(res.Credentials) != 1 || res.Credentials[0].Secret != "QUAY_TOKEN" || res.Credentials[0].Username != "acme" || !slices.Equal(res.Credentials[0].Images, []string{"quay.io/acme/x"}) {
		t.Errorf("credentials %+v", res.Credentials)
	}
}

// A token written into a workflow, or a literal password, is never
// repeated: not in a step's label, not in an image, not in a message.
func TestNeverRepeatsAPassword(t *testing.T) {
	tok := "ghp_" + strings.Repeat("x", 36)
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker login -p s3cr3tPassw0rdValue ghcr.io -u u && docker push ghcr.io/" + tok + "/x\n" +
		"      - run: docker login --password=an0therPassw0rd quay.io -u u\n" +
		"  pypi:\n    runs-on: x\n    steps:\n" + pypi
	res := auditText(t, src)
	for _, f := range res.Findings {
		for _, s := range []string{f.Message, f.Fix, f.Snippet, f.Step} {
			if strings.Contains(s, "s3cr3tPassw0rdValue") || strings.Contains(s, "an0therPassw0rd") || strings.Contains(s, tok) || strings.Contains(s, tok[:20]) {
				t.Errorf("%s repeats a password: %q", f.Code, s)
			}
		}
	}
	for _, c := range res.Credentials {
		for _, img := range c.Images {
			if strings.Contains(img, tok) {
				t.Errorf("image %q", img)
			}
		}
	}
	s := &workflow.Step{Run: &workflow.Value{Text: "docker login -u someone -p s3cr3tPassw0rdValueThatIsLong ghcr.io"}}
	if label := stepLabel(s); strings.Contains(label, "s3cr3t") {
		t.Errorf("label %q", label)
	}
}

// A tag is cut at its colon, however the shell builds it; a registry's
// port is no tag.
func TestStripTag(t *testing.T) {
	for ref, want := range map[string]string{
		"acme/app:1.2":                       "acme/app",
		"$REPO:${GITHUB_REF#refs/tags/}":     "$REPO",
		"ghcr.io/acme/app:${{ github.sha }}": "ghcr.io/acme/app",
		"localhost:5000/acme/app":            "localhost:5000/acme/app",
		"localhost:5000/acme/app:v1":         "localhost:5000/acme/app",
		"acme/app@sha256:0123":               "acme/app",
		"${{ env.IMAGE }}:${{ github.ref }}": "${{ env.IMAGE }}",
		"acme/app":                           "acme/app",
	} {
		if got := stripTag(ref); got != want {
			t.Errorf("stripTag(%q) = %q, want %q", ref, got, want)
		}
	}
}
