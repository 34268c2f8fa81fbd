package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCitationsResolve checks that every comment citing the project's notes
// names a section docs/facts.md has, and that nothing cites a document that
// is not in the repository.
func TestCitationsResolve(t *testing.T) {
	t.Parallel()
	notes, err := os.ReadFile(filepath.Join("docs", "facts.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, line := range strings.Split(string(notes), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			sections[h] = true
		} else if h, ok := strings.CutPrefix(line, "### "); ok {
			sections[h] = true
		}
	}
	cite := regexp.MustCompile(`docs/facts\.md,?\s*(?://\s*|#\s*)?"([^"]{1,80})"`)
	checked := 0
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if (!strings.HasSuffix(path, ".go") && d.Name() != "Dockerfile") || path == "docs_test.go" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(data)
		if strings.Contains(text, "github-tokens"+".md") {
			t.Errorf("%s cites github-tokens.md, which is not in the repository; cite docs/facts.md", path)
		}
		for _, m := range cite.FindAllStringSubmatch(text, -1) {
			checked++
			// A section name may be broken over comment lines.
			name := strings.Join(strings.Fields(strings.NewReplacer("//", " ", "#", " ").Replace(m[1])), " ")
			if !sections[name] {
				t.Errorf("%s cites docs/facts.md section %q, which does not exist", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Errorf("only %d citations found; the pattern no longer matches how comments cite", checked)
	}
}
