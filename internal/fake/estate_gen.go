package fake

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Expected is a finding a generated estate holds by construction:
// code, repository ("" for the organization), file and line ("" and 0
// for none), the secret, and for secret-shadowed the level that wins.
type Expected struct {
	Code, Repository, File string
	Line                   int
	Secret, Wins           string
}

func (e Expected) String() string {
	s := fmt.Sprintf("%s %s %s:%d %s", e.Code, e.Repository, e.File, e.Line, e.Secret)
	if e.Wins != "" {
		s += " wins=" + e.Wins
	}
	return s
}

// CorpusSet is a folder of real workflows that belong together, with the
// secrets they read as the repository knows them (a reusable workflow's
// secrets under the caller's names).
type CorpusSet struct {
	Name    string
	Files   map[string]string
	Secrets []string
}

// corpusSecrets are the secrets each folder of ../shared/workflows reads,
// read off the files by hand: a repository given its folder defines all of
// them, and then holds no unused or missing secret.
var corpusSecrets = map[string][]string{
	"Admyral-Security__admyral":    {"PYPI_API_TOKEN", "DOCKER_USERNAME", "DOCKER_PASSWORD"},
	"Kong__kong":                   {"DOCKER_OAT_PUSH", "RELEASE_SIGNING_GPG_KEY", "RELEASE_SIGNING_GPG_KEY_PASSPHRASE", "CLOUDSMITH_API_KEY"},
	"The-PR-Agent__pr-agent":       {"RELEASE_TOKEN", "PYPI_API_TOKEN", "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"},
	"argoproj__argo-cd":            {"RELEASE_QUAY_USERNAME", "RELEASE_QUAY_TOKEN"},
	"doobidoo__mcp-memory-service": {"DOCKER_USERNAME", "DOCKER_PASSWORD"},
	"getmoto__moto":                {"DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"},
	"sigoden__dufs":                {"DOCKERHUB_TOKEN", "CRATES_IO_API_TOKEN"},
	"simonw__datasette":            {"GCP_SA_KEY", "DOCKER_USER", "DOCKER_PASS"},
	"aibrix":                       {"PYPI_TOKEN", "DOCKER_HUB_USERNAME", "DOCKER_HUB_ACCESS_TOKEN", "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN"},
}

// LoadCorpus reads the shared corpus (../shared/workflows/corpus/*/) and
// AIBrix's workflows, or says why it cannot.
func LoadCorpus() ([]CorpusSet, string) {
	aibrix, why := LookupAIBrix()
	if aibrix == "" {
		return nil, why
	}
	dirs, _ := filepath.Glob(filepath.Join(filepath.Dir(aibrix), "corpus", "*"))
	dirs = append(dirs, aibrix)
	var out []CorpusSet
	for _, d := range dirs {
		if !isDir(d) {
			continue
		}
		name := filepath.Base(d)
		secrets, ok := corpusSecrets[name]
		if !ok {
			return nil, "the corpus folder " + name + " is new: list the secrets it reads in corpusSecrets"
		}
		files, _ := filepath.Glob(filepath.Join(d, "*.y*ml"))
		set := CorpusSet{Name: name, Files: map[string]string{}, Secrets: secrets}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err.Error()
			}
			set.Files[filepath.Base(f)] = string(data)
		}
		out = append(out, set)
	}
	slices.SortFunc(out, func(a, b CorpusSet) int { return strings.Compare(a.Name, b.Name) })
	return out, ""
}

// GenerateOrg builds an organization of n repositories (and two archived
// ones, left out) whose secrets and workflows hold every finding the
// inventory makes, each by construction: repository and environment
// secrets, organization secrets of every visibility, shadowing, unused and
// missing secrets, old credentials, pushes to ghcr.io with a PAT, and the
// corpus's real workflows spread among them. now dates the secrets.
func GenerateOrg(owner string, n int, corpus []CorpusSet, now time.Time) (*Estate, []Expected) {
	e := &Estate{Owner: owner, Org: true}
	var want []Expected
	at := func(days int) EstateSecret {
		return EstateSecret{Created: now.Add(-time.Duration(days+30) * 24 * time.Hour), Updated: now.Add(-time.Duration(days) * 24 * time.Hour)}
	}
	named := func(name string, days int) EstateSecret { s := at(days); s.Name = name; return s }
	var selected []string
	firstFine := ""
	firstFineLine := 0
	for i := range n {
		name := fmt.Sprintf("svc-%04d", i)
		full := owner + "/" + name
		r := &EstateRepo{Name: name, Visibility: "public"}
		switch i % 10 {
		case 0:
			if len(corpus) == 0 {
				r.Files = map[string]string{"fine.yml": fineWorkflow}
				break
			}
			set := corpus[(i/10)%len(corpus)]
			r.Files = set.Files
			for _, s := range set.Secrets {
				r.Secrets = append(r.Secrets, named(s, 10))
			}
		case 1: // a PAT pushing to the owner's own ghcr.io, set long ago
			text := fmt.Sprintf(ghcrWorkflow, owner, name)
			r.Files = map[string]string{"images.yml": text}
			r.Secrets = []EstateSecret{named("GHCR_PAT", 200)}
			want = append(want, Expected{Code: "secret-old", Repository: full, File: ".github/workflows/images.yml", Line: lineOf(text, "secrets.GHCR_PAT"), Secret: "GHCR_PAT"})
		case 2: // reads a secret defined nowhere
			r.Files = map[string]string{"notify.yml": missingWorkflow}
			r.Secrets = []EstateSecret{named("SLACK_WEBHOOK", 5)}
			want = append(want, Expected{Code: "secret-missing", Repository: full, File: ".github/workflows/notify.yml", Line: lineOf(missingWorkflow, "secrets.DEPLOY_HOOK_URL"), Secret: "DEPLOY_HOOK_URL"})
		case 3: // an environment's secret, read inside it and outside it
			r.Visibility = "private"
			r.Files = map[string]string{"deploy.yml": envWorkflow}
			r.Environments = []EstateEnvironment{{Name: "production", Secrets: []EstateSecret{named("PROD_DEPLOY_TOKEN", 5)}}}
			want = append(want, Expected{Code: "secret-missing", Repository: full, File: ".github/workflows/deploy.yml", Line: lineOf(envWorkflow, "secrets.PROD_DEPLOY_TOKEN"), Secret: "PROD_DEPLOY_TOKEN"})
		case 4: // a repository secret shadows the organization's
			r.Files = map[string]string{"npm.yml": npmWorkflow}
			r.Secrets = []EstateSecret{named("NPM_TOKEN", 5)}
			want = append(want, Expected{Code: "secret-shadowed", Repository: full, File: ".github/workflows/npm.yml", Line: lineOf(npmWorkflow, "secrets.NPM_TOKEN"), Secret: "NPM_TOKEN", Wins: "repository"})
		case 5: // an environment's secret shadows the repository's
			r.Visibility = "internal"
			r.Files = map[string]string{"hub.yml": hubWorkflow}
			r.Secrets = []EstateSecret{named("DOCKER_USERNAME", 5), named("DOCKER_PASSWORD", 5)}
			r.Environments = []EstateEnvironment{{Name: "staging", Secrets: []EstateSecret{named("DOCKER_PASSWORD", 5)}}}
			want = append(want, Expected{Code: "secret-shadowed", Repository: full, File: ".github/workflows/hub.yml", Line: lineOf(hubWorkflow, "secrets.DOCKER_PASSWORD"), Secret: "DOCKER_PASSWORD", Wins: "environment"})
		case 6: // a repository secret nothing reads
			r.Files = map[string]string{"test.yml": testWorkflow}
			r.Secrets = []EstateSecret{named("CODECOV_TOKEN", 5), named("LEGACY_DEPLOY_KEY", 400)}
			want = append(want, Expected{Code: "secret-unused", Repository: full, Secret: "LEGACY_DEPLOY_KEY"})
		case 7: // pushes with the organization's Docker Hub credential
			r.Files = map[string]string{"fine.yml": fineWorkflow}
			if firstFine == "" {
				firstFine, firstFineLine = full, lineOf(fineWorkflow, "secrets.ORG_DOCKERHUB_TOKEN")
			}
		case 8: // no workflows at all, and a secret
			r.Secrets = []EstateSecret{named("ORPHAN_TOKEN", 5)}
			want = append(want, Expected{Code: "secret-unused", Repository: full, Secret: "ORPHAN_TOKEN"})
		case 9: // reads a selected organization secret it is selected for
			r.Visibility = "private"
			r.Files = map[string]string{"sync.yml": selectedWorkflow}
			selected = append(selected, name)
		}
		e.Repos = append(e.Repos, r)
	}
	for _, name := range []string{"zz-archived-1", "zz-archived-2"} {
		e.Repos = append(e.Repos, &EstateRepo{Name: name, Visibility: "public", Archived: true, Files: map[string]string{"fine.yml": missingWorkflow}})
	}
	org := func(s EstateSecret, visibility string, sel ...string) EstateOrgSecret {
		return EstateOrgSecret{EstateSecret: s, Visibility: visibility, Selected: sel}
	}
	e.OrgSecrets = []EstateOrgSecret{
		org(named("ORG_DOCKERHUB_USER", 5), "all"),
		org(named("ORG_DOCKERHUB_TOKEN", 120), "all"),
		org(named("NPM_TOKEN", 30), "all"),
		org(named("ORG_SELECTED_TOKEN", 30), "selected", selected...),
		org(named("ORG_PRIVATE_ONLY", 30), "private"),
		org(named("ORG_UNUSED", 30), "all"),
		org(named("ORG_SELECTED_NONE", 30), "selected"),
	}
	want = append(want,
		Expected{Code: "secret-unused", Secret: "ORG_PRIVATE_ONLY"},
		Expected{Code: "secret-unused", Secret: "ORG_UNUSED"},
		Expected{Code: "secret-unused", Secret: "ORG_SELECTED_NONE"},
	)
	if firstFine != "" {
		want = append(want, Expected{Code: "secret-old", Repository: firstFine, File: ".github/workflows/fine.yml", Line: firstFineLine, Secret: "ORG_DOCKERHUB_TOKEN"})
	}
	return e, want
}

// lineOf is the 1-based line of the first occurrence of needle.
func lineOf(text, needle string) int {
	i := strings.Index(text, needle)
	if i < 0 {
		panic("no " + needle)
	}
	return 1 + strings.Count(text[:i], "\n")
}

// The generated workflows: whole files, as actionlint would accept them.
const (
	ghcrWorkflow = `name: images
on:
  push:
    branches: [main]
jobs:
  push:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GHCR_PAT }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/%s/%s:latest
`
	missingWorkflow = `name: notify
on: push
jobs:
  notify:
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsS -X POST "$HOOK" -d "$MESSAGE"
        env:
          HOOK: ${{ secrets.DEPLOY_HOOK_URL }}
          MESSAGE: ${{ secrets.SLACK_WEBHOOK }}
`
	envWorkflow = `name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          TOKEN: ${{ secrets.PROD_DEPLOY_TOKEN }}
  release:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: ./deploy.sh
        env:
          TOKEN: ${{ secrets.PROD_DEPLOY_TOKEN }}
`
	npmWorkflow = `name: npm
on:
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          registry-url: https://registry.npmjs.org
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`
	hubWorkflow = `name: hub
on: push
jobs:
  hub:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: docker/login-action@v3
        with:
          username: ${{ secrets.DOCKER_USERNAME }}
          password: ${{ secrets.DOCKER_PASSWORD }}
`
	testWorkflow = `name: test
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
      - uses: codecov/codecov-action@v5
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
`
	fineWorkflow = `name: fine
on: push
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          username: ${{ secrets.ORG_DOCKERHUB_USER }}
          password: ${{ secrets.ORG_DOCKERHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: acme/app:latest
`
	selectedWorkflow = `name: sync
on: push
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - run: ./sync.sh
        env:
          TOKEN: ${{ secrets.ORG_SELECTED_TOKEN }}
`
)
