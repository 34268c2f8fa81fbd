package command

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// repository is OWNER/REPO for the audit, so that an image named by
// github.repository reads as the runner would fill it, and where it was
// read: GITHUB_REPOSITORY in a workflow; else the checkout's remote
// origin, read from its git config (git itself is not run: the folder may
// be anyone's, and its config is no program to start); else nothing.
func (c *Command) repository(dir string) (name, from string) {
	if r := c.getenv("GITHUB_REPOSITORY"); isOwnerRepo(r) {
		return r, "GITHUB_REPOSITORY"
	}
	if r := originRepository(dir); r != "" {
		return r, "the git remote origin"
	}
	return "", ""
}

// isOwnerRepo reports a GitHub owner and repository name, OWNER/REPO: an
// owner of 1 to 39 letters, digits and hyphens, not starting with a
// hyphen; a name of 1 to 100 letters, digits, '.', '_' and '-'. (Not a
// regexp: counted repetitions compile into thousands of instructions at
// start-up, which every check would pay.)
func isOwnerRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || len(owner) < 1 || len(owner) > 39 || owner[0] == '-' || len(name) < 1 || len(name) > 100 {
		return false
	}
	for _, part := range []struct {
		text, extra string
	}{{owner, "-"}, {name, "._-"}} {
		for _, r := range part.text {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(part.extra, r)) {
				return false
			}
		}
	}
	return true
}

// maxGitFile bounds what is read of .git and its config.
const maxGitFile = 1 << 20

// originRepository reads OWNER/REPO from the url of remote "origin" in
// dir's git config: .git a folder, or a file naming one (a worktree or a
// submodule), whose commondir holds the shared config.
func originRepository(dir string) string {
	gitDir := filepath.Join(dir, ".git")
	info, err := os.Stat(gitDir)
	if err != nil {
		return ""
	}
	if !info.IsDir() {
		data := readSmall(gitDir)
		target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
		if !ok {
			return ""
		}
		target = strings.TrimSpace(target)
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		gitDir = target
		if common := strings.TrimSpace(string(readSmall(filepath.Join(gitDir, "commondir")))); common != "" {
			if !filepath.IsAbs(common) {
				common = filepath.Join(gitDir, common)
			}
			gitDir = common
		}
	}
	return repositoryFromURL(remoteURL(readSmall(filepath.Join(gitDir, "config")), "origin"))
}

func readSmall(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, maxGitFile))
	return data
}

// remoteURL is the url of the named remote in a git config file: the
// section [remote "NAME"] (its name case-insensitive, the subsection not),
// the key url (case-insensitive), the first one given.
func remoteURL(config []byte, name string) string {
	in := false
	sc := bufio.NewScanner(bytes.NewReader(config))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			head, _, _ := strings.Cut(strings.TrimPrefix(line, "["), "]")
			section, sub, _ := strings.Cut(head, " ")
			in = strings.EqualFold(section, "remote") && strings.TrimSpace(sub) == `"`+name+`"`
			continue
		}
		if !in {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if ok && strings.EqualFold(strings.TrimSpace(key), "url") {
			return strings.Trim(strings.TrimSpace(value), `"`)
		}
	}
	return ""
}

// repositoryFromURL reads OWNER/REPO from a remote's url: https://HOST/O/R,
// ssh://git@HOST/O/R, git@HOST:O/R, each with or without .git. Any other
// shape says nothing.
func repositoryFromURL(raw string) string {
	path := ""
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		path = u.Path
	} else if at, rest, ok := strings.Cut(raw, ":"); ok && !strings.Contains(at, "/") && at != "" {
		path = rest // scp-like: [user@]host:owner/repo
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if !isOwnerRepo(path) {
		return ""
	}
	return path
}
