package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/parallel"
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
	// it) to the name its action.yml gives, for the actions that have one;
	// Actions holds each such action, read.
	LocalActions map[string]string
	Actions      map[string]*Action
	// Refused are the paths that were not read because they leave the
	// repository (a link, or ../ in uses:), each with why.
	Refused []Refusal
}

// Refusal is a path the repository's files name that token-gate would
// neither read nor write.
type Refusal struct {
	Path string // from the repository's root
	Why  string
}

// Refusal finds why a local action that uses: names was not read, if it
// was refused.
func (r *Repo) Refusal(uses string) (Refusal, bool) {
	if r == nil {
		return Refusal{}, false
	}
	key := localKey(uses)
	i := slices.IndexFunc(r.Refused, func(x Refusal) bool { return x.Path == key })
	if i < 0 {
		return Refusal{}, false
	}
	return r.Refused[i], true
}

// Action finds a local action by the uses: that names it.
func (r *Repo) Action(uses string) *Action {
	if r == nil || r.Actions == nil {
		return nil
	}
	return r.Actions[localKey(uses)]
}

func localKey(uses string) string {
	return "./" + path.Clean(strings.TrimPrefix(strings.TrimSuffix(uses, "/"), "./"))
}

// Load reads every .yml and .yaml file in root/.github/workflows, in name
// order, and the local actions their steps use. A file that cannot be read
// or parsed is kept with Err set. Nothing outside root is read: a link
// that leaves it, and a uses: ./../ that does, are refused.
func Load(root string) (*Repo, error) {
	dir := filepath.Join(root, filepath.FromSlash(Dir))
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %w", root, ErrNoWorkflows)
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", Dir, localError(err))
	}
	repo := &Repo{Root: root, LocalActions: map[string]string{}, Actions: map[string]*Action{}}
	inside, err := within(root)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", Dir, localError(err))
	}
	if !inside(dir) {
		repo.Refused = append(repo.Refused, Refusal{Path: Dir, Why: "a link to a folder outside the repository"})
		return repo, nil
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	// The files are parsed side by side, as actionlint lints them: the
	// parse is most of an audit's time. Each keeps its place in name
	// order, where a file that could not be read is already.
	type source struct {
		at   int // its index in repo.Files
		rel  string
		src  []byte
		link bool
	}
	var sources []source
	repo.Files = make([]*File, 0, len(names))
	for _, name := range names {
		rel := path.Join(Dir, name)
		full := filepath.Join(dir, name)
		link := false
		if info, err := os.Lstat(full); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			if !inside(full) {
				why := "a link to a file outside the repository"
				if _, err := filepath.EvalSymlinks(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
					why = "a link that cannot be followed (a loop, or too many links)"
				}
				repo.Refused = append(repo.Refused, Refusal{Path: rel, Why: why})
				continue
			}
			link = true
		}
		src, err := readBounded(full)
		if err != nil {
			repo.Files = append(repo.Files, &File{Path: rel, Link: link, Err: &Error{Pos: Pos{1, 1}, Msg: "cannot read it: " + localError(err).Error()}})
			continue
		}
		sources = append(sources, source{len(repo.Files), rel, src, link})
		repo.Files = append(repo.Files, nil)
	}
	// Largest first, so that no big file starts last and runs alone.
	slices.SortStableFunc(sources, func(a, b source) int { return len(b.src) - len(a.src) })
	parse := func(s source) {
		f := Parse(s.rel, s.src)
		f.Link = s.link
		repo.Files[s.at] = f
	}
	parallel.Each(sources, parse)
	repo.loadActions(root, inside)
	return repo, nil
}

// loadActions reads the local actions the workflows' steps use, and the
// ones those actions' steps use in turn.
func (r *Repo) loadActions(root string, inside func(string) bool) {
	var queue []string
	for _, f := range r.Files {
		for _, j := range f.Jobs {
			for _, s := range j.Steps {
				if s.Uses != nil && strings.HasPrefix(s.Uses.Text, "./") {
					queue = append(queue, s.Uses.Text)
				}
			}
		}
	}
	for len(queue) > 0 && len(r.Actions) < 200 {
		uses := queue[0]
		queue = queue[1:]
		key := localKey(uses)
		if _, seen := r.Actions[key]; seen {
			continue
		}
		if _, refused := r.Refusal(uses); refused {
			continue
		}
		clean := strings.TrimPrefix(key, "./")
		full := filepath.Join(root, filepath.FromSlash(clean))
		if clean == ".." || strings.HasPrefix(clean, "../") || !inside(full) {
			r.Refused = append(r.Refused, Refusal{Path: key, Why: "a local action outside the repository"})
			continue
		}
		act := readAction(full, clean)
		r.Actions[key] = act
		if act == nil {
			continue
		}
		r.LocalActions[strings.TrimSuffix(uses, "/")] = act.Name
		for _, s := range act.Steps {
			if s.Uses != nil && strings.HasPrefix(s.Uses.Text, "./") {
				queue = append(queue, s.Uses.Text)
			}
		}
	}
}

// readAction reads a local action's action.yml (or .yaml); nil when it has
// none.
func readAction(dir, rel string) *Action {
	for _, name := range []string{"action.yml", "action.yaml"} {
		src, err := readBounded(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		return ParseAction(path.Join(rel, name), src)
	}
	return nil
}

// within returns a test of whether a path, links followed, stays inside
// root (links followed too).
func within(root string) (func(string) bool, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return nil, err
	}
	return func(p string) bool {
		target, err := filepath.EvalSymlinks(p)
		// A path that does not exist leaves nothing; its nearest
		// ancestor that does decides (p is clean: no .. is left in it
		// below that ancestor).
		for dir := p; err != nil; {
			if !errors.Is(err, fs.ErrNotExist) {
				return false
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return false
			}
			dir = parent
			target, err = filepath.EvalSymlinks(dir)
		}
		target, err = filepath.Abs(target)
		if err != nil {
			return false
		}
		rel, err := filepath.Rel(real, target)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}, nil
}

// localError words a file system error without the absolute path, which
// names this machine, not the repository: "permission denied".
func localError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
	// Room for the size the stat gave, read at once; a file that grew since
	// is still read to the bound.
	var buf bytes.Buffer
	buf.Grow(int(info.Size()) + bytes.MinRead)
	_, err = buf.ReadFrom(io.LimitReader(f, MaxFileSize+1))
	src := buf.Bytes()
	if err == nil && len(src) > MaxFileSize {
		err = fmt.Errorf("more than %d bytes, more than any workflow", MaxFileSize)
	}
	return src, err
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
