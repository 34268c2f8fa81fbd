package audit

import (
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/workflow"
)

// What the audit recognises, as data: a new publisher, login or push is one
// line here. Sources for each shape are in docs/facts.md, "What publishes".

// publisher is a step that publishes something other than images, which a
// registry's failure cannot take back.
type publisher struct {
	kind   string // pypi, npm, cargo, …: what the labels and JSON call it
	target string // what it publishes to, for people
	action string // an action's owner/name, before @
	run    string // or a command's first words
	// secret names the input (action) or flag (command) that carries its
	// own credential, when it has one.
	secret string
	// not names what makes it publish nothing: an input set to true (a
	// draft release), or a flag (--draft, --snapshot, --dry-run).
	not []string
	// only names an input it publishes only with, and a word that input
	// must hold (goreleaser's args holding release; changesets' publish).
	only, onlyWord string
}

var publishers = []publisher{
	{kind: "pypi", target: "PyPI", action: "pypa/gh-action-pypi-publish", secret: "password"},
	{kind: "pypi", target: "PyPI", action: "PyO3/maturin-action", only: "command", onlyWord: "upload"},
	{kind: "pypi", target: "PyPI", run: "maturin upload", secret: "--password|-p"},
	{kind: "pypi", target: "PyPI", run: "maturin publish", secret: "--password|-p"},
	{kind: "pypi", target: "PyPI", run: "poetry publish", secret: "--password|-p", not: []string{"--dry-run"}},
	{kind: "pypi", target: "PyPI", run: "twine upload", secret: "--password|-p"},
	{kind: "pypi", target: "PyPI", run: "uv publish", secret: "--token|-t", not: []string{"--dry-run"}},
	{kind: "pypi", target: "PyPI", run: "flit publish"},
	{kind: "pypi", target: "PyPI", run: "hatch publish"},
	{kind: "pypi", target: "PyPI", run: "pdm publish"},
	{kind: "npm", target: "npm", run: "npm publish", not: []string{"--dry-run"}},
	{kind: "npm", target: "npm", run: "pnpm publish", not: []string{"--dry-run"}},
	{kind: "npm", target: "npm", run: "yarn npm publish", not: []string{"--dry-run"}},
	{kind: "npm", target: "npm", run: "yarn publish"},
	{kind: "npm", target: "npm", run: "npx changeset publish"},
	{kind: "npm", target: "npm", action: "JS-DevTools/npm-publish", secret: "token", not: []string{"dry-run"}},
	{kind: "npm", target: "npm", action: "changesets/action", only: "publish"},
	{kind: "github-release", target: "a GitHub release", action: "changesets/action", only: "createGithubReleases", onlyWord: "true"},
	{kind: "cargo", target: "crates.io", run: "cargo publish", secret: "--token", not: []string{"--dry-run"}},
	{kind: "cargo", target: "crates.io", action: "katyo/publish-crates", secret: "registry-token", not: []string{"dry-run"}},
	{kind: "github-release", target: "a GitHub release", action: "softprops/action-gh-release", not: []string{"draft"}},
	{kind: "github-release", target: "a GitHub release", action: "ncipollo/release-action", not: []string{"draft"}},
	{kind: "github-release", target: "a GitHub release", action: "svenstaro/upload-release-action"},
	{kind: "github-release", target: "a GitHub release", action: "googleapis/release-please-action", not: []string{"skip-github-release"}},
	{kind: "github-release", target: "a GitHub release", action: "google-github-actions/release-please-action", not: []string{"skip-github-release"}},
	{kind: "github-release", target: "a GitHub release", action: "actions/create-release", not: []string{"draft"}},
	{kind: "github-release", target: "a GitHub release", action: "marvinpinto/action-automatic-releases", not: []string{"draft"}},
	{kind: "github-release", target: "a GitHub release", run: "gh release create", not: []string{"--draft"}},
	{kind: "github-release", target: "a GitHub release", run: "gh release upload"},
	{kind: "github-release", target: "a GitHub release", run: "gh release edit", only: "--draft=false"},
	{kind: "github-release", target: "a goreleaser release", run: "goreleaser release", not: []string{"--snapshot", "--skip=publish"}},
	{kind: "github-release", target: "a goreleaser release", action: "goreleaser/goreleaser-action", only: "args", onlyWord: "release", not: []string{"--snapshot", "--skip=publish"}},
	{kind: "helm", target: "a Helm chart", run: "helm push"},
	{kind: "helm", target: "a Helm chart", action: "helm/chart-releaser-action"},
	{kind: "galaxy", target: "Ansible Galaxy", run: "ansible-galaxy collection publish", secret: "--token"},
	{kind: "galaxy", target: "Ansible Galaxy", run: "ansible-galaxy role import", secret: "--token"},
	{kind: "gem", target: "RubyGems", run: "gem push", secret: "--key"},
	{kind: "gem", target: "RubyGems", run: "rake release"},
	{kind: "gem", target: "RubyGems", run: "rake *release*"},
	{kind: "gem", target: "RubyGems", action: "rubygems/release-gem"},
	{kind: "maven", target: "a Maven repository", run: "mvn deploy"},
	{kind: "maven", target: "a Maven repository", run: "./mvnw deploy"},
	{kind: "maven", target: "a Maven repository", run: "gradle publish*"},
	{kind: "maven", target: "a Maven repository", run: "./gradlew publish*"},
	{kind: "nuget", target: "NuGet", run: "dotnet nuget push", secret: "--api-key"},
	{kind: "nuget", target: "NuGet", run: "nuget push", secret: "-ApiKey"},
	{kind: "vscode-marketplace", target: "the VS Code Marketplace", run: "vsce publish", secret: "-p"},
	{kind: "vscode-marketplace", target: "the VS Code Marketplace", run: "npx vsce publish", secret: "-p"},
	{kind: "vscode-marketplace", target: "the VS Code Marketplace", run: "npx @vscode/vsce publish", secret: "-p"},
	{kind: "vscode-marketplace", target: "Open VSX", run: "ovsx publish", secret: "-p"},
	{kind: "vscode-marketplace", target: "the VS Code Marketplace", action: "HaaLeo/publish-vscode-extension", secret: "pat"},
}

// registryLogin is a step that logs a container client in to a registry.
type registryLogin struct {
	action string // an action, its inputs named below
	run    string // or a command, its flags read as docker login's
	// password, username and registry are the action's inputs.
	password, username, registry string
	// home is the registry without one named: docker's is Docker Hub; the
	// others need one.
	home string
	// exchanged says the credential is not the registry's own: the action
	// trades it with a cloud's API first (docs/facts.md, "Credentials
	// token-gate cannot check").
	exchanged string
}

var registryLogins = []registryLogin{
	{action: "docker/login-action", password: "password", username: "username", registry: "registry", home: "docker.io"},
	{action: "redhat-actions/podman-login", password: "password", username: "username", registry: "registry"},
	{action: "azure/docker-login", password: "password", username: "username", registry: "login-server", home: "index.docker.io"},
	{action: "aws-actions/amazon-ecr-login", exchanged: "AWS credentials, which the action trades with the ECR API for a registry password"},
	{run: "ko login", home: "docker.io"},
	{run: "docker login", home: "docker.io"},
	{run: "podman login"},
	{run: "buildah login"},
	{run: "skopeo login"},
	{run: "crane auth login"},
	{run: "helm registry login"},
	{run: "oras login"},
	{run: "regctl registry login"},
	{run: "nerdctl login", home: "docker.io"},
}

// imagePush is a command that pushes an image: which of its words names
// the image.
type imagePush struct {
	run string
	// image says which word is the image: "first" or "last" argument,
	// "tags" every -t/--tag value when --push (or an output that pushes)
	// is given, "bake" a bake file's targets.
	image string
}

var imagePushes = []imagePush{
	{"docker push", "first"},
	{"docker image push", "first"},
	{"docker manifest push", "first"},
	{"nerdctl push", "first"},
	{"podman push", "last"},
	{"podman manifest push", "last"},
	{"buildah push", "last"},
	{"buildah manifest push", "last"},
	{"skopeo copy", "last"},
	{"crane push", "last"},
	{"crane copy", "last"},
	{"crane cp", "last"},
	{"regctl image copy", "last"},
	{"regctl image import", "first"},
	{"oras push", "first"},
	{"oras copy", "last"},
	{"cosign sign", "first"},
	{"helm push", "oci"},
	{"cosign attest", "first"},
	{"docker buildx imagetools create", "tags"},
	{"docker buildx build", "build"},
	{"docker build", "build"},
	{"podman build", "build"},
	{"buildah bud", "build"},
	{"docker buildx bake", "bake"},
	{"ko publish", "ko"},
	{"ko build", "ko"},
	{"ko resolve", "ko"},
	{"mvn jib:build", "jib"},
	{"./mvnw jib:build", "jib"},
	{"gradle jib", "jib"},
	{"./gradlew jib", "jib"},
}

// The actions that push images, read in events.go: build-push-action with
// push (or outputs that push, or a registry cache), its tags from
// metadata-action (and its old name); bake-action; push-to-registry.
const pushToRegistry = "redhat-actions/push-to-registry"

// buildPushActions and bakeActions are docker's actions and their drop-in
// clones, read alike.
var (
	buildPushActions = []string{"docker/build-push-action", "useblacksmith/build-push-action", "depot/build-push-action"}
	bakeActions      = []string{"docker/bake-action", "useblacksmith/bake-action", "depot/bake-action"}
)

var metadataActions = []string{"docker/metadata-action", "crazy-max/ghaction-docker-meta"}

// knownReusableWorkflows are reusable workflows of other repositories whose
// effect is known: what they publish, and with which input's secret.
var knownReusableWorkflows = []struct {
	prefix string // owner/repo/path, before @
	kind   string
	target string
	// when names an input that must be true for it to publish, "" always.
	when string
}{
	{"slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml", "other", "a provenance attestation pushed to the image's registry", ""},
	{"slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml", "github-release", "provenance uploaded to the GitHub release", "upload-assets"},
}

// Actions that read no secret for anyone else and publish nothing: their
// secret inputs need no notice.
var quietActions = []string{
	"actions/checkout", "actions/cache", "actions/setup-node", "actions/setup-python", "actions/setup-go", "actions/setup-java",
	"actions/upload-artifact", "actions/download-artifact", "actions/github-script", "actions/create-github-app-token",
	"actions/attest-build-provenance", "actions/attest", "docker/setup-buildx-action", "docker/setup-qemu-action",
	"sigstore/cosign-installer", "codecov/codecov-action", "actions/labeler", "actions/stale",
	"peter-evans/create-pull-request", "stefanzweifel/git-auto-commit-action", "aws-actions/configure-aws-credentials",
	"google-github-actions/auth", "azure/login",
}

// flagsWithValue are the flags of these commands that take the next word,
// so that it is not read as an argument.
var flagsWithValue = map[string]bool{
	"-u": true, "--username": true, "-p": true, "--password": true, "-f": true, "--file": true,
	"-t": true, "--tag": true, "--platform": true, "--build-arg": true, "--target": true,
	"--cache-from": true, "--cache-to": true, "--label": true, "--secret": true, "--output": true,
	"-o": true, "--authfile": true, "--creds": true, "--dest-creds": true, "--src-creds": true,
	"--format": true, "--builder": true, "--progress": true, "--set": true, "--iidfile": true,
	"--metadata-file": true, "--network": true, "--ssh": true, "--annotation": true, "--provenance": true,
	"--sbom": true, "--digestfile": true, "--compression-format": true, "--sign-by": true, "--config": true,
	"--key": true, "--api-key": true, "--token": true, "--source": true, "-s": true, "--repository": true,
	"-r": true, "--registry": true, "--artifact-type": true, "--a": true, "--user": true, "--pass": true,
}

// redirections are words that send a command's input or output elsewhere;
// each takes the next word (the file), unless it carries it.
func redirection(w string) (takesNext, is bool) {
	switch w {
	case "<", ">", ">>", "<<<", "2>", "2>>", "&>", "<<":
		return true, true
	}
	if strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "2>") || strings.HasPrefix(w, "&>") {
		return false, true
	}
	return false, false
}

// commandWords are the first words of every command in the tables, and the
// words that mark a publish-like command nobody knows.
var commandWords = sync.OnceValue(func() []string {
	words := []string{"publish", "push", "upload", "release", "deploy"}
	add := func(run string) {
		w, _, _ := strings.Cut(run, " ")
		if w != "" && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for _, p := range publishers {
		add(p.run)
	}
	for _, l := range registryLogins {
		add(l.run)
	}
	for _, c := range imagePushes {
		add(c.run)
	}
	return words
})

// mentionsACommand reports a script that holds the first word of some
// command the tables know, or a publish-like word: only such a script is
// worth splitting.
func mentionsACommand(script string) bool {
	for _, w := range commandWords() {
		if strings.Contains(script, w) {
			return true
		}
	}
	return false
}

// subAction reports a reference to an action in a folder of a repository
// (docker/bake-action/subaction/matrix), which is not the repository's own
// action.
func subAction(uses string) bool {
	ref, _, _ := strings.Cut(uses, "@")
	return strings.Count(strings.TrimPrefix(ref, "./"), "/") > 1 && !strings.HasPrefix(ref, "./")
}

// actionName is an action reference's owner/name: what stands before @ and
// any path after the second slash.
func actionName(uses string) string {
	ref, _, _ := strings.Cut(uses, "@")
	parts := strings.Split(ref, "/")
	if len(parts) >= 2 {
		return strings.ToLower(parts[0] + "/" + parts[1])
	}
	return strings.ToLower(ref)
}

// isTokenGate reports a step that runs token-gate, however it is named:
// OWNER/token-gate@REF (and its composite, OWNER/token-gate/composite@REF),
// a local action whose action.yml names it token-gate, or a docker:// image
// of it.
func isTokenGate(uses string, repo *workflow.Repo) bool {
	switch {
	case strings.HasPrefix(uses, "docker://"):
		return strings.Contains(strings.ToLower(uses), "token-gate")
	case strings.HasPrefix(uses, "./"):
		return repo != nil && strings.EqualFold(repo.LocalActions[strings.TrimSuffix(uses, "/")], "token-gate")
	case strings.HasPrefix(uses, "$/"):
		return isTokenGate("./"+strings.TrimPrefix(uses, "$/"), repo)
	}
	ref, _, _ := strings.Cut(uses, "@")
	parts := strings.Split(ref, "/")
	return len(parts) >= 2 && strings.EqualFold(parts[1], "token-gate")
}

// matches reports whether words start with the words of prefix. Options
// may stand between the prefix's words (regctl -v debug image copy): a
// word starting with - is skipped, and with it the next word when that is
// not the word wanted.
func matches(words []string, prefix string) bool {
	_, ok := matchAt(words, prefix)
	return ok
}

// matchAt is matches, and where the command's own words start after the
// prefix.
func matchAt(words []string, prefix string) (int, bool) {
	first, rest, _ := strings.Cut(strings.TrimSpace(prefix), " ")
	if len(words) == 0 || first == "" {
		return 0, false
	}
	// The first word settles most lines of the tables, and is read
	// without splitting: every command of every script meets every line.
	// A path to the tool is the tool: /usr/bin/docker, ./gradlew.
	if w, tool := words[0], strings.TrimPrefix(first, "./"); w != first && !(len(w) > len(tool) && strings.HasSuffix(w, tool) && w[len(w)-len(tool)-1] == '/') {
		return 0, false
	}
	i := 1
	for p := range strings.FieldsSeq(rest) {
		for i < len(words) && !wordIs(words[i], p) && strings.HasPrefix(words[i], "-") {
			i++
			if i < len(words) && !wordIs(words[i], p) && !strings.HasPrefix(words[i], "-") && !strings.Contains(words[i-1], "=") {
				i++ // the option's value
			}
		}
		if i >= len(words) || !wordIs(words[i], p) {
			return 0, false
		}
		i++
	}
	return i, true
}

// wordIs matches a word against a table's word, which may hold * (rake
// *release*, gradle publish*).
func wordIs(word, pattern string) bool {
	if !strings.Contains(pattern, "*") {
		return word == pattern
	}
	ok, _ := path.Match(pattern, word)
	return ok
}

// args lists a command's arguments after its first n words, skipping flags,
// the values of the flags that take one, and redirections.
func args(words []string, n int) []string {
	var out []string
	for i := n; i < len(words); i++ {
		w := words[i]
		if next, is := redirection(w); is {
			if next {
				i++
			}
			continue
		}
		switch {
		case flagsWithValue[w]:
			i++
		case strings.HasPrefix(w, "-"):
		default:
			out = append(out, w)
		}
	}
	return out
}

// flagValues lists the values of the named flags: -t X, --tag X, --tag=X.
func flagValues(words []string, names ...string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		for _, n := range names {
			switch {
			case words[i] == n && i+1 < len(words):
				out = append(out, words[i+1])
			case strings.HasPrefix(words[i], n+"="):
				out = append(out, strings.TrimPrefix(words[i], n+"="))
			}
		}
	}
	return out
}

func hasFlag(words []string, names ...string) bool {
	for _, w := range words {
		for _, n := range names {
			if w == n || strings.HasPrefix(w, n+"=") {
				return true
			}
		}
	}
	return false
}

// hereString is the word a command reads on its input through <<<.
func hereString(words []string) string {
	for i, w := range words {
		if w == "<<<" && i+1 < len(words) {
			return words[i+1]
		}
		if rest, ok := strings.CutPrefix(w, "<<<"); ok && rest != "" {
			return rest
		}
	}
	return ""
}
