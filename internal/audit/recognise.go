package audit

import (
	"slices"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/workflow"
)

// What the audit recognises, as data: a new publisher, login or push is one
// line here.

// publisher is a step that publishes something other than images.
type publisher struct {
	target string   // what it publishes to, for people
	action string   // an action's owner/name, before @
	run    []string // or a command's first words
	// draft names the input (action) or flag (command) under which it
	// publishes nothing: a draft release (re-made on re-run), a goreleaser
	// snapshot.
	draft string
	// needs is a with: input the action publishes only with (goreleaser's
	// args holding "release").
	needs, needsWord string
}

var publishers = []publisher{
	{target: "PyPI", action: "pypa/gh-action-pypi-publish"},
	{target: "PyPI", run: []string{"poetry", "publish"}},
	{target: "PyPI", run: []string{"twine", "upload"}},
	{target: "PyPI", run: []string{"uv", "publish"}},
	{target: "PyPI", run: []string{"flit", "publish"}},
	{target: "PyPI", run: []string{"hatch", "publish"}},
	{target: "npm", run: []string{"npm", "publish"}},
	{target: "npm", run: []string{"pnpm", "publish"}},
	{target: "npm", run: []string{"yarn", "npm", "publish"}},
	{target: "npm", action: "JS-DevTools/npm-publish"},
	{target: "a GitHub release", action: "softprops/action-gh-release", draft: "draft"},
	{target: "a GitHub release", action: "ncipollo/release-action", draft: "draft"},
	{target: "a GitHub release", run: []string{"gh", "release", "create"}, draft: "--draft"},
	{target: "a GitHub release", run: []string{"gh", "release", "upload"}},
	{target: "a Helm chart", run: []string{"helm", "push"}},
	{target: "a Helm chart", action: "helm/chart-releaser-action"},
	{target: "crates.io", run: []string{"cargo", "publish"}},
	{target: "crates.io", action: "katyo/publish-crates"},
	{target: "a goreleaser release", run: []string{"goreleaser", "release"}, draft: "--snapshot"},
	{target: "a goreleaser release", action: "goreleaser/goreleaser-action", needs: "args", needsWord: "release"},
}

// loginCommands log a container client in to a registry from a run:
// script; defaultRegistry is where the client logs in without a server
// named (docker's is Docker Hub; the others need one).
var loginCommands = []struct {
	words           []string
	defaultRegistry string
}{
	{[]string{"docker", "login"}, "docker.io"},
	{[]string{"podman", "login"}, ""},
	{[]string{"buildah", "login"}, ""},
	{[]string{"skopeo", "login"}, ""},
	{[]string{"crane", "auth", "login"}, ""},
}

// loginAction is docker/login-action: password, username and registry,
// Docker Hub by default.
const loginAction = "docker/login-action"

// pushCommands push an image from a run: script. image says which word
// after the command is the image: "first" the first argument, "last" the
// last, "tags" every -t/--tag value when --push is given.
var pushCommands = []struct {
	words []string
	image string
}{
	{[]string{"docker", "push"}, "first"},
	{[]string{"docker", "image", "push"}, "first"},
	{[]string{"podman", "push"}, "last"},
	{[]string{"buildah", "push"}, "last"},
	{[]string{"skopeo", "copy"}, "last"},
	{[]string{"crane", "push"}, "last"},
	{[]string{"crane", "copy"}, "last"},
	{[]string{"docker", "buildx", "build"}, "tags"},
	{[]string{"docker", "build"}, "tags"},
	{[]string{"podman", "build"}, "tags"},
	{[]string{"docker", "buildx", "bake"}, "bake"},
}

// The actions that push images: build-push-action with push (or outputs
// that push), its tags from metadata-action when they are its outputs.
const (
	buildPushAction = "docker/build-push-action"
	metadataAction  = "docker/metadata-action"
)

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
}

// commandWords are the first words of every command in the tables.
var commandWords = sync.OnceValue(func() []string {
	var words []string
	add := func(w []string) {
		if len(w) > 0 && !slices.Contains(words, w[0]) {
			words = append(words, w[0])
		}
	}
	for _, p := range publishers {
		add(p.run)
	}
	for _, l := range loginCommands {
		add(l.words)
	}
	for _, c := range pushCommands {
		add(c.words)
	}
	return words
})

// mentionsACommand reports a script that holds the first word of some
// command the tables know: only such a script is worth splitting.
func mentionsACommand(script string) bool {
	for _, w := range commandWords() {
		if strings.Contains(script, w) {
			return true
		}
	}
	return false
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
	}
	ref, _, _ := strings.Cut(uses, "@")
	parts := strings.Split(ref, "/")
	return len(parts) >= 2 && strings.EqualFold(parts[1], "token-gate")
}

// matches reports whether words start with prefix.
func matches(words, prefix []string) bool {
	if len(words) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if words[i] != p {
			return false
		}
	}
	return true
}

// args lists a command's arguments after its first n words, skipping flags
// and the values of the flags that take one.
func args(words []string, n int) []string {
	var out []string
	for i := n; i < len(words); i++ {
		w := words[i]
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
