package workflow

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Dir is where workflows live in a repository.
const Dir = ".github/workflows"

// MaxFileSize bounds one workflow file: GitHub's largest are a few hundred
// kilobytes, and a bigger file is no workflow to read whole.
const MaxFileSize = 4 << 20

// ErrNoWorkflows is a folder that holds no .github/workflows.
var ErrNoWorkflows = errors.New("no .github/workflows folder")

// Repo is a repository's workflows, read.
type Repo struct {
	Root  string
	Files []*File
	// LocalActions maps a local action's folder (./path, as uses: names
	// it) to the name its action.yml gives, for the actions that have one.
	LocalActions map[string]string
}

// Load reads every .yml and .yaml file in root/.github/workflows, in name
// order, and the name of each local action their steps use. A file that
// cannot be read or parsed is kept with Err set.
func Load(root string) (*Repo, error) {
	dir := filepath.Join(root, filepath.FromSlash(Dir))
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %w", root, ErrNoWorkflows)
	case err != nil:
		return nil, err
	}
	repo := &Repo{Root: root, LocalActions: map[string]string{}}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	// The files are parsed side by side, as actionlint lints them: the
	// parse is most of an audit's time.
	repo.Files = make([]*File, len(names))
	type source struct {
		i   int
		rel string
		src []byte
	}
	var sources []source
	for i, name := range names {
		rel := path.Join(Dir, name)
		src, err := readBounded(filepath.Join(dir, name))
		if err != nil {
			repo.Files[i] = &File{Path: rel, Err: &Error{Pos: Pos{1, 1}, Msg: err.Error()}}
			continue
		}
		sources = append(sources, source{i, rel, src})
	}
	// Largest first, so that no big file starts last and runs alone.
	slices.SortStableFunc(sources, func(a, b source) int { return len(b.src) - len(a.src) })
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, s := range sources {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			repo.Files[s.i] = Parse(s.rel, s.src)
		}()
	}
	wg.Wait()
	for _, f := range repo.Files {
		for _, j := range f.Jobs {
			for _, s := range j.Steps {
				if s.Uses == nil || !strings.HasPrefix(s.Uses.Text, "./") {
					continue
				}
				local := strings.TrimSuffix(s.Uses.Text, "/")
				if _, seen := repo.LocalActions[local]; !seen {
					repo.LocalActions[local] = actionName(filepath.Join(root, filepath.FromSlash(local)))
				}
			}
		}
	}
	return repo, nil
}

func readBounded(p string) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until someone writes.
	info, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		// A FIFO or a device would block or never end.
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	case info.Size() > MaxFileSize:
		return nil, fmt.Errorf("%d bytes, more than any workflow (at most %d are read)", info.Size(), MaxFileSize)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err == nil && len(src) > MaxFileSize {
		err = fmt.Errorf("more than %d bytes, more than any workflow", MaxFileSize)
	}
	return src, err
}

// actionName reads the name: line of a local action's action.yml.
func actionName(dir string) string {
	for _, file := range []string{"action.yml", "action.yaml"} {
		src, err := readBounded(filepath.Join(dir, file))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(src), "\n") {
			if rest, ok := strings.CutPrefix(line, "name:"); ok {
				return strings.Trim(strings.TrimSpace(rest), `"'`)
			}
		}
	}
	return ""
}

// File finds a file by its path from the root.
func (r *Repo) File(p string) *File {
	p = strings.TrimPrefix(path.Clean(p), "./")
	for _, f := range r.Files {
		if f.Path == p {
			return f
		}
	}
	return nil
}
