package audit

import (
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/workflow"
)

// auditFiles audits workflows held in memory, by file name.
func auditFiles(t *testing.T, files map[string]string) Result {
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
	return Audit(repo, Options{})
}

// Every secret a workflow reads, named and placed as the repository knows
// it: through a call, at the caller's mapping, with the callee's line as via.
func TestSecretRefs(t *testing.T) {
	files := map[string]string{
		"release.yml": `on: push
env:
  SHARED: ${{ secrets.WORKFLOW_WIDE }}
jobs:
  pypi:
    environment: release
    runs-on: x
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_TOKEN }}
  image:
    uses: ./.github/workflows/image.yml
    secrets:
      registry_password: ${{ secrets.QUAY_TOKEN }}
      unused_by_callee: ${{ secrets.NOT_READ }}
  inherit:
    uses: ./.github/workflows/image.yml
    secrets: inherit
  check:
    runs-on: x
    steps:
      - uses: token-gate/token-gate@v1
        with:
          token: ${{ secrets.QUAY_TOKEN }}
          registry: quay.io
          username: ${{ secrets.QUAY_USER }}
      - run: echo ${{ github.token }} ${{ secrets.GITHUB_TOKEN }}
`,
		"image.yml": `on:
  workflow_call:
    secrets:
      registry_password:
jobs:
  push:
    environment:
      name: prod
    runs-on: x
    steps:
      - uses: docker/login-action@v3
        with:
          registry: quay.io
          username: ${{ secrets.QUAY_USER }}
          password: ${{ secrets.registry_password }}
`,
	}
	res := auditFiles(t, files)
	var got []string
	for _, r := range res.Secrets {
		got = append(got, fmt.Sprintf("%s %s:%d job=%s env=%s via=%s role=%s", r.Secret, r.File[len(workflow.Dir)+1:], r.Line, r.Job, r.Environment, r.Via, r.Role))
	}
	sort.Strings(got)
	want := []string{
		// The mapping is read through the call; the secret the callee
		// does not declare reads empty there, and inherit passes names.
		"NOT_READ release.yml:16 job=image env= via= role=other",
		"PYPI_TOKEN release.yml:11 job=pypi env=release via= role=publish",
		"QUAY_TOKEN release.yml:15 job=image env=prod via=.github/workflows/image.yml:15 role=push",
		"QUAY_TOKEN release.yml:25 job=check env= via= role=check",
		"QUAY_USER release.yml:19 job=inherit env=prod via=.github/workflows/image.yml:14 role=username",
		"QUAY_USER release.yml:27 job=check env= via= role=check",
		// A workflow's env is read by the jobs that run steps.
		"WORKFLOW_WIDE release.yml:3 job=check env= via= role=other",
		"WORKFLOW_WIDE release.yml:3 job=pypi env=release via= role=other",
		// Through inherit, the callee's own name is the repository's:
		// no secret of that name may exist (the inventory says so).
		"registry_password release.yml:19 job=inherit env=prod via=.github/workflows/image.yml:15 role=push",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secret references (-want +got):\n%s", diff)
	}
}
