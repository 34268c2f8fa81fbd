package workflow

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestPositionsOfBlockScalars(t *testing.T) {
	src := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          echo one\n          docker push ghcr.io/acme/a\n"
	f := Parse("w.yml", []byte(src))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	run := f.Jobs[0].Steps[0].Run
	if run.Style != Block || run.Pos != (Pos{6, 14}) {
		t.Fatalf("run at %+v style %d; want the | at 6:14, a block", run.Pos, run.Style)
	}
	off := strings.Index(run.Text, "docker")
	if got := run.At(off); got != (Pos{8, 11}) {
		t.Errorf("docker push stands at %+v; want 8:11", got)
	}
	if got := f.Line(8); got != "          docker push ghcr.io/acme/a" {
		t.Errorf("Line(8) = %q", got)
	}
	if got := string(f.Source[f.Offset(Pos{8, 11}):][:6]); got != "docker" {
		t.Errorf("Offset(8:11) reads %q", got)
	}
}

func TestColumnsCountCharacters(t *testing.T) {
	// Columns are characters, as editors and GitHub's annotations count
	// them: "é" is two bytes, one column.
	src := "name: é\non: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - {name: 'ééé', run: docker push x/y}\n"
	f := Parse("w.yml", []byte(src))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	run := f.Jobs[0].Steps[0].Run
	if run.Pos != (Pos{7, 28}) {
		t.Fatalf("run at %+v; want 7:28", run.Pos)
	}
	if got := string(f.Source[f.Offset(run.Pos):][:6]); got != "docker" {
		t.Errorf("Offset(%+v) reads %q", run.Pos, got)
	}
}

func TestAnchorsAndAliases(t *testing.T) {
	// GitHub reads anchors and aliases in workflows (docs/facts.md,
	// "Workflows"); a step list or an env shared by alias is read at its
	// anchor's place.
	src := `on: push
jobs:
  a:
    runs-on: x
    env: &env
      TOKEN: ${{ secrets.CR_PAT }}
    steps: &steps
      - run: echo "$TOKEN" | docker login ghcr.io -u u --password-stdin
  b:
    runs-on: x
    env: *env
    steps: *steps
`
	f := Parse("w.yml", []byte(src))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	b := f.Job("B") // job IDs compare without case
	if b == nil || len(b.Steps) != 1 || len(b.Env) != 1 {
		t.Fatalf("job b: %+v", b)
	}
	if v, ok := Lookup(b.Env, "token"); !ok || v.Text != "${{ secrets.CR_PAT }}" || v.Pos.Line != 6 {
		t.Errorf("env through the alias: %+v %v", v, ok)
	}
	if b.Steps[0].Run.Pos.Line != 8 {
		t.Errorf("aliased step at line %d; want its anchor's line 8", b.Steps[0].Run.Pos.Line)
	}
}

func TestTriggersAndCall(t *testing.T) {
	src := `on:
  workflow_call:
    inputs:
      image: {type: string, default: ghcr.io/acme/a}
    secrets:
      token: {required: true}
  push:
jobs:
  a: {runs-on: x, steps: []}
`
	f := Parse("w.yml", []byte(src))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if strings.Join(f.On, ",") != "workflow_call,push" {
		t.Errorf("on = %v", f.On)
	}
	if f.Call == nil || len(f.Call.Secrets) != 1 || f.Call.Secrets[0] != "token" {
		t.Fatalf("call = %+v", f.Call)
	}
	if v, ok := Lookup(f.Call.Inputs, "image"); !ok || v.Text != "ghcr.io/acme/a" {
		t.Errorf("input default = %+v %v", v, ok)
	}
	if !f.JobsBlock {
		t.Error("jobs: on its own line, its jobs below, is a block")
	}
	if flow := Parse("w.yml", []byte("on: push\njobs: {a: {runs-on: x, steps: []}}\n")); flow.Err != nil || flow.JobsBlock {
		t.Errorf("jobs: {…} is no block: %+v", flow)
	}
	for _, on := range []string{"on: [push, release]", "on: push", "\"on\": push"} {
		f := Parse("w.yml", []byte(on+"\njobs:\n  a: {runs-on: x, steps: []}\n"))
		if f.Err != nil || len(f.On) == 0 || f.On[0] != "push" {
			t.Errorf("%q: on = %v, err %v", on, f.On, f.Err)
		}
	}
}

func TestErrorsSayWhere(t *testing.T) {
	cases := map[string]struct {
		src  string
		line int
		want string
	}{
		"empty":            {"", 1, "empty"},
		"list":             {"- a\n", 1, "mapping"},
		"no jobs":          {"on: push\n", 1, "no jobs"},
		"job not mapping":  {"on: push\njobs:\n  a: hello\n", 3, "job a is not a mapping"},
		"step not mapping": {"on: push\njobs:\n  a:\n    steps:\n      - hello\n", 5, "step 1 of job a"},
		"yaml":             {"on: push\njobs:\n  a:\n    steps: [\n", 4, "YAML"},
		"merge key":        {"on: push\nx: &x {runs-on: y}\njobs:\n  a:\n    <<: *x\n    steps: []\n", 5, "merge keys"},
		// A key given twice is found in a small mapping by a search, in a
		// large one by a set.
		"twice":       {"on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n", 5, "given twice"},
		"twice, many": {"on: push\nenv:\n" + manyKeys(20) + "  K3: again\njobs:\n  a:\n    runs-on: x\n", 23, "given twice"},
	}
	for name, c := range cases {
		f := Parse("w.yml", []byte(c.src))
		if f.Err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(f.Err.Msg, c.want) || f.Err.Pos.Line != c.line {
			t.Errorf("%s: %v; want line %d and %q", name, f.Err, c.line, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	root := t.TempDir()
	if _, err := Load(root); !errors.Is(err, ErrNoWorkflows) {
		t.Fatalf("a folder without .github/workflows: %v", err)
	}
	dir := filepath.Join(root, ".github", "workflows")
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ok := "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./actions/gate\n"
	write("b.yaml", ok)
	write("a.yml", ok)
	write("notes.md", "not a workflow")
	write("sub/c.yml", ok) // GitHub reads only the folder's own files
	write("big.yml", strings.Repeat("#", MaxFileSize+1))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "actions", "gate"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "actions", "gate", "action.yml"), []byte("name: 'token-gate'\nruns: {using: docker, image: Dockerfile}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range repo.Files {
		names = append(names, f.Path)
	}
	if got := strings.Join(names, " "); got != ".github/workflows/a.yml .github/workflows/b.yaml .github/workflows/big.yml .github/workflows/fifo.yml" {
		t.Fatalf("files = %s", got)
	}
	if f := repo.File("./.github/workflows/big.yml"); f == nil || f.Err == nil || !strings.Contains(f.Err.Msg, "more than any workflow") {
		t.Errorf("big file: %+v", f)
	}
	if f := repo.File(".github/workflows/fifo.yml"); f == nil || f.Err == nil || !strings.Contains(f.Err.Msg, "not a regular file") {
		t.Errorf("fifo: %+v", f)
	}
	if repo.File(".github/workflows/a.yml").Err != nil {
		t.Error(repo.File(".github/workflows/a.yml").Err)
	}
	if got := repo.LocalActions["./actions/gate"]; got != "token-gate" {
		t.Errorf("local action's name = %q", got)
	}
}

// FuzzParse: whatever a file holds, Parse returns, without a panic, a model
// or an error placed inside the file, and every place it gives is a line of
// the file.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n",
		"on: push\njobs:\n  a: &a {runs-on: x, steps: [{uses: docker/login-action@v3, with: {password: '${{ secrets.X }}'}}]}\n  b: *a\n",
		"on: [push]\njobs:\n  a:\n    strategy:\n      matrix:\n        x: [1, 2]\n        include: [{x: 3}]\n    steps:\n      - run: |\n          docker push a/b\n",
		"- a\n", "", "jobs: {", "on: push\njobs:\n  a:\n    <<: *x\n",
	} {
		f.Add([]byte(seed))
	}
	// And every workflow the repository and the shared folder hold: the
	// fuzzer starts from real shapes.
	for _, root := range []string{"../../testdata", "../../.github", "../../../shared/workflows"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				if src, err := os.ReadFile(p); err == nil {
					f.Add(src)
				}
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file := Parse("w.yml", src)
		lines := file.Lines()
		if file.Err != nil {
			if file.Err.Pos.Line < 1 || file.Err.Pos.Line > lines+1 {
				t.Fatalf("error at line %d of %d: %v", file.Err.Pos.Line, lines, file.Err)
			}
			return
		}
		for _, j := range file.Jobs {
			if j.Pos.Line < 1 || j.Pos.Line > lines {
				t.Fatalf("job %q at line %d of %d", j.ID, j.Pos.Line, lines)
			}
			for _, s := range j.Steps {
				if s.Pos.Line < 1 || s.Pos.Line > lines {
					t.Fatalf("step at line %d of %d", s.Pos.Line, lines)
				}
				if s.Run != nil {
					s.Run.At(len(s.Run.Text))
				}
				s.Label()
			}
		}
	})
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  K%d: v\n", i)
	}
	return b.String()
}
