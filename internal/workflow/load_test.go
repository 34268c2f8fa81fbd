package workflow

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A workflow repository is untrusted: Load reads nothing outside it. A
// link to a file outside, a workflows folder that is a link outside, and a
// uses: ./../ are refused and listed; a link that stays inside is read and
// marked, so that --fix never writes through it. A local action that is
// not there (a sparse checkout) is inside all the same: not refused.
func TestLoadStaysInside(t *testing.T) {
	outside := t.TempDir()
	secretFile := filepath.Join(outside, "passwd.yml")
	if err := os.WriteFile(secretFile, []byte("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "act"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "act", "action.yml"), []byte("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo outside\n      shell: bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, filepath.FromSlash(Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("real.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./../"+filepath.Base(outside)+"/act\n      - uses: ./.github/workflows/../../../x\n      - uses: ./.github/actions/not/checked-out\n")
	for name, target := range map[string]string{
		"out.yml":  secretFile,
		"in.yml":   filepath.Join(dir, "real.yml"),
		"rel.yml":  "../../../" + filepath.Base(outside) + "/passwd.yml",
		"loop.yml": "loop.yml",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	for _, f := range repo.Files {
		read = append(read, f.Path)
		if f.Source != nil && string(f.Source) != "" && slices.Contains([]string{Dir + "/out.yml", Dir + "/rel.yml"}, f.Path) {
			t.Errorf("%s read from outside the repository", f.Path)
		}
	}
	if want := []string{Dir + "/in.yml", Dir + "/real.yml"}; !slices.Equal(read, want) {
		t.Errorf("files %v, want %v", read, want)
	}
	for _, f := range repo.Files {
		if got, want := f.Link, f.Path != Dir+"/real.yml"; got != want {
			t.Errorf("%s: Link = %v, want %v", f.Path, got, want)
		}
	}
	var refused []string
	for _, r := range repo.Refused {
		refused = append(refused, r.Path+": "+r.Why)
	}
	slices.Sort(refused)
	want := []string{
		"./../" + filepath.Base(outside) + "/act: a local action outside the repository",
		"./../x: a local action outside the repository",
		Dir + "/loop.yml: a link that cannot be followed (a loop, or too many links)",
		Dir + "/out.yml: a link to a file outside the repository",
		Dir + "/rel.yml: a link to a file outside the repository",
	}
	slices.Sort(want)
	if !slices.Equal(refused, want) {
		t.Errorf("refused\n%q\nwant\n%q", refused, want)
	}
	for key, act := range repo.Actions {
		if act != nil {
			t.Errorf("action %s read, from outside", key)
		}
	}
	if r, ok := repo.Refusal("./../" + filepath.Base(outside) + "/act/"); !ok || r.Why == "" {
		t.Errorf("Refusal does not find the action outside")
	}

	// The workflows folder itself a link outside: nothing is read.
	root2 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root2, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root2, filepath.FromSlash(Dir))); err != nil {
		t.Fatal(err)
	}
	repo, err = Load(root2)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Files) != 0 || len(repo.Refused) != 1 || repo.Refused[0].Path != Dir {
		t.Errorf("a workflows folder outside: files %d, refused %v", len(repo.Files), repo.Refused)
	}
}
