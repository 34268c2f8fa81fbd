package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/workflow"
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

var update = flag.Bool("update", false, "rewrite testdata/workflows/readme-*.yml from README.md")

// TestReadmeWorkflows keeps every workflow example in the README a whole
// file that actionlint checks: each ```yaml block is written, with the
// released action replaced by the checkout's own (uses: ./), to
// testdata/workflows/readme-N.yml, which .ci/run lints against action.yml.
func TestReadmeWorkflows(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks, aibrix []string // aibrix: the name each block after an audit --fix marker has
	parts := strings.Split(string(readme), "```yaml\n")
	fixMarker := regexp.MustCompile(`<!-- audit --fix: ([a-z-]+\.ya?ml) -->\n$`)
	for i, part := range parts[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("an unterminated yaml block in README.md")
		}
		blocks = append(blocks, block)
		name := ""
		if m := fixMarker.FindStringSubmatch(parts[i]); m != nil {
			name = m[1]
		}
		aibrix = append(aibrix, name)
	}
	if len(blocks) < 4 {
		t.Fatalf("only %d yaml blocks found in README.md", len(blocks))
	}
	for i, block := range blocks {
		for _, key := range []string{"\non:", "\njobs:", "name: "} {
			if !strings.Contains("\n"+block, key) {
				t.Errorf("README yaml block %d is not a whole workflow: it has no %q", i+1, strings.TrimSpace(key))
			}
		}
		local := regexp.MustCompile(`uses: token-gate/token-gate/composite@v[0-9.]+`).ReplaceAllString(block, "uses: ./composite")
		lintable := "# Generated from README.md by TestReadmeWorkflows; do not edit.\n" +
			regexp.MustCompile(`uses: token-gate/token-gate@v[0-9.]+`).ReplaceAllString(local, "uses: ./")
		path := filepath.Join("testdata", "workflows", fmt.Sprintf("readme-%d.yml", i+1))
		if aibrix[i] != "" {
			// AIBrix's own scripts, verbatim, carry shellcheck notes of
			// theirs; .ci/run lints these without shellcheck.
			path = filepath.Join("testdata", "workflows", "aibrix", aibrix[i])
		}
		if *update {
			if err := os.WriteFile(path, []byte(lintable), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != lintable {
			t.Errorf("%s does not match README.md's block %d; run go test -run TestReadmeWorkflows . -update", path, i+1)
		}
	}
	// No stale copies of blocks that are gone.
	stale, _ := filepath.Glob(filepath.Join("testdata", "workflows", "readme-*.yml"))
	copies, _ := filepath.Glob(filepath.Join("testdata", "workflows", "aibrix", "*.y*ml"))
	if len(stale)+len(copies) != len(blocks) && !*update {
		t.Errorf("%d readme-*.yml files for %d README blocks", len(stale), len(blocks))
	}
}

// TestEveryCodeHasItsAnchor keeps docs/codes.md and the codes in step: every
// code the gate or the audit emits has its heading there (GitHub makes it
// the anchor report.CodeURL links), and the page names no code that is not
// emitted.
func TestEveryCodeHasItsAnchor(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile(filepath.Join("docs", "codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(page), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			documented[h] = true
		}
	}
	emitted := map[string]bool{}
	for _, c := range gate.Codes() {
		emitted[string(c)] = true
	}
	for _, c := range audit.Codes() {
		if emitted[string(c)] {
			t.Errorf("%s is both a gate code and an audit code", c)
		}
		emitted[string(c)] = true
	}
	for c := range emitted {
		if !documented[c] {
			t.Errorf("code %s has no anchor in docs/codes.md", c)
		}
		if !strings.HasSuffix(report.CodeURL(c), "docs/codes.md#"+c) {
			t.Errorf("the link of %s is %s", c, report.CodeURL(c))
		}
	}
	for c := range documented {
		if !emitted[c] {
			t.Errorf("docs/codes.md documents %s, which nothing emits", c)
		}
	}
}

// TestReadmeAIBrixIsTheFix keeps the README's AIBrix example what `token-gate
// audit --fix` writes on AIBrix's real workflows, and its findings what the
// audit says of them (testdata/golden/audit-aibrix.txt, from
// internal/command's TestAuditAIBrix).
func TestReadmeAIBrixIsTheFix(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "audit-aibrix.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	shown := 0
	for _, line := range strings.Split(text, "\n") {
		if regexp.MustCompile(`^\.github/workflows/\S+: error\[`).MatchString(line) {
			shown++
			if !strings.Contains(string(golden), line+"\n") {
				t.Errorf("the README shows a finding the audit does not give:\n%s", line)
			}
		}
	}
	if shown != 6 {
		t.Errorf("the README shows %d of the audit's six errors", shown)
	}

	shared, why := fake.LookupAIBrix()
	if shared == "" {
		t.Skip(why)
	}
	names := []string{"docker-push-images.yml", "release-build.yaml"}
	root := t.TempDir()
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, workflow.Dir), 0o755)
		os.WriteFile(filepath.Join(root, workflow.Dir, name), src, 0o644)
	}
	repo, err := workflow.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	fixed := audit.Audit(repo, audit.Options{}).Fix()
	for _, name := range names {
		marker := "<!-- audit --fix: " + name + " -->\n```yaml\n"
		_, rest, ok := strings.Cut(text, marker)
		if !ok {
			t.Errorf("the README has no %q block", marker)
			continue
		}
		block, _, _ := strings.Cut(rest, "```")
		if want := string(fixed[workflow.Dir+"/"+name]); block != want {
			t.Errorf("the README's %s is not what --fix writes; it should read:\n%s", name, want)
		}
	}
}
