package main

import (
	"errors"
	"flag"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/inventory"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The README is the front door: the two commands, what token-gate does, a
// quick start and how to install it, then links to one page per subject in
// docs/. These tests keep every page true: its workflows linted, the AIBrix
// example what the audit says and writes, its links resolving, and the
// README within its budget.

// The README's budget: a reader reaches a link into docs/ within its first
// 150 lines, and the whole README is at most 200.
const (
	readmeMaxLinesBeforeDocs = 150
	readmeMaxLines           = 200
)

// stableHosts are the hosts a page may link to: ones whose addresses last
// (GitHub, the documentation of GitHub, Docker and Go, the SARIF standard,
// npm). Adding one is a decision, not a fix for a failing test.
var stableHosts = map[string]bool{
	"github.com":          true,
	"docs.github.com":     true,
	"cli.github.com":      true,
	"docs.docker.com":     true,
	"pkg.go.dev":          true,
	"go.dev":              true,
	"docs.oasis-open.org": true,
	"www.npmjs.com":       true,
}

// thisRepository's addresses on GitHub name files of this checkout, so they
// are checked like relative links.
var thisRepository = regexp.MustCompile(`^/token-gate/token-gate/(?:blob|tree)/main/(.+)$`)

// docPages are the pages a reader is sent to: README.md, then docs/*.md.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in docs/ (%v)", err)
	}
	slices.Sort(pages)
	for i := range pages {
		pages[i] = filepath.ToSlash(pages[i])
	}
	return append([]string{"README.md"}, pages...)
}

func readText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A mdPage is what the link checks need of a Markdown page: the anchors
// its headings make and the links it holds, outside code.
type mdPage struct {
	anchors map[string]bool
	links   []mdLink
}

type mdLink struct {
	line   int
	target string
}

var (
	mdHeading   = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	mdHTMLID    = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	mdLinkText  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdInline    = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	mdRefDef    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	mdAutolink  = regexp.MustCompile(`<(https?://[^>\s]+)>`)
	mdBare      = regexp.MustCompile("https?://[^\\s<>()\\[\\]`\"'|*]+")
	mdCodeSpans = []*regexp.Regexp{regexp.MustCompile("``.*?``"), regexp.MustCompile("`[^`]*`")}
	mdComment   = regexp.MustCompile(`<!--.*?-->`)
)

// parsePage reads a page's anchors and links, skipping fenced code, code
// spans and comments, as GitHub renders them.
func parsePage(text string) mdPage {
	p := mdPage{anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(strings.TrimSpace(trimmed), fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		line = mdComment.ReplaceAllString(line, "")
		// A heading keeps its code spans' text; slug drops the backticks.
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			// GitHub numbers a repeated heading's anchor: x, x-1, x-2.
			base := slug(mdLinkText.ReplaceAllString(m[1], "$1"))
			anchor := base
			if n := seen[base]; n > 0 {
				anchor = base + "-" + strconv.Itoa(n)
			}
			seen[base]++
			p.anchors[anchor] = true
		}
		for _, m := range mdHTMLID.FindAllStringSubmatch(line, -1) {
			p.anchors[m[1]] = true
		}
		for _, span := range mdCodeSpans {
			line = span.ReplaceAllString(line, "")
		}
		rest := line
		for _, re := range []*regexp.Regexp{mdInline, mdRefDef, mdAutolink} {
			for _, m := range re.FindAllStringSubmatch(rest, -1) {
				p.links = append(p.links, mdLink{i + 1, m[1]})
			}
			rest = re.ReplaceAllString(rest, " ")
		}
		for _, u := range mdBare.FindAllString(rest, -1) {
			p.links = append(p.links, mdLink{i + 1, strings.TrimRight(u, ".,;:!?")})
		}
	}
	return p
}

// slug is the anchor GitHub gives a heading, as github-slugger
// (Flet/github-slugger, "the way GitHub handles generating markdown heading
// anchors") computes it: lower case; every character but letters, digits,
// marks, '_', '-' and spaces dropped (backticks and other punctuation
// included); spaces made hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlugIsGitHubs(t *testing.T) {
	t.Parallel()
	for heading, want := range map[string]string{
		"Find what to gate":                         "find-what-to-gate",
		"With `GITHUB_TOKEN`":                       "with-github_token",
		"Any runner: the composite action":          "any-runner-the-composite-action",
		"What each error means and how to fix it":   "what-each-error-means-and-how-to-fix-it",
		"go install, or from source":                "go-install-or-from-source",
		"The AIBrix pipeline, gated":                "the-aibrix-pipeline-gated",
		"Token kinds (ghp_, github_pat_) — 2 forms": "token-kinds-ghp_-github_pat_--2-forms",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q; want %q", heading, got, want)
		}
	}
	p := parsePage("# A\n## A\n```\n# Not a heading\n[x](nowhere.md)\n```\n`[y](nowhere.md)`\n## A\n[z](here.md#a-1) <https://go.dev/doc> see https://github.com/cli/cli.\n")
	for _, a := range []string{"a", "a-1", "a-2"} {
		if !p.anchors[a] {
			t.Errorf("no anchor %q in %v", a, p.anchors)
		}
	}
	var targets []string
	for _, l := range p.links {
		targets = append(targets, l.target)
	}
	if want := []string{"here.md#a-1", "https://go.dev/doc", "https://github.com/cli/cli"}; !slices.Equal(targets, want) {
		t.Errorf("links %q; want %q (none from code)", targets, want)
	}
}

// TestCitationsResolve checks that every comment citing a page of docs/
// (docs/facts.md, "Section"; or docs/speed.md, "Speed") names a heading the
// page has, that none cites a section of the README, which holds only the
// front door now, and that nothing cites a document that is not in the
// repository.
func TestCitationsResolve(t *testing.T) {
	t.Parallel()
	sections := map[string]map[string]bool{} // page → its headings
	for _, name := range docPages(t)[1:] {
		sections[name] = map[string]bool{}
		for _, line := range strings.Split(readText(t, name), "\n") {
			for _, prefix := range []string{"# ", "## ", "### "} {
				if h, ok := strings.CutPrefix(line, prefix); ok {
					sections[name][h] = true
				}
			}
		}
	}
	cite := regexp.MustCompile(`(docs/[a-z-]+\.md),?\s*(?://\s*|#\s*)?"([^"]{1,80})"`)
	readmeCite := regexp.MustCompile(`README,\s*(?://\s*|#\s*)?"([^"]{1,80})"`)
	checked := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
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
			name := strings.Join(strings.Fields(strings.NewReplacer("//", " ", "#", " ").Replace(m[2])), " ")
			switch {
			case sections[m[1]] == nil:
				t.Errorf("%s cites %s, which does not exist", path, m[1])
			case !sections[m[1]][name]:
				t.Errorf("%s cites %s section %q, which does not exist", path, m[1], name)
			}
		}
		if found := readmeCite.FindStringSubmatch(text); found != nil {
			t.Errorf("%s cites the README's section %q, which moved into docs/: cite the page, e.g. (docs/speed.md, \"Speed\")", path, found[1])
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

// TestDocLinks checks every link in README.md and docs/*.md: a relative
// link (or one to this repository's files on GitHub) names a file of this
// checkout, and an anchor into a Markdown page names one of its headings;
// any other link is https to a stable host.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	parsed := map[string]mdPage{}
	page := func(name string) mdPage {
		if p, ok := parsed[name]; ok {
			return p
		}
		p := parsePage(readText(t, name))
		parsed[name] = p
		return p
	}
	// local checks a path of this checkout, relative to the root, and an
	// anchor in it.
	local := func(file, fragment string) error {
		if file == ".." || strings.HasPrefix(file, "../") || path.IsAbs(file) {
			return errors.New("leaves the repository")
		}
		if _, err := os.Stat(filepath.FromSlash(file)); err != nil {
			return errors.New("no such file: " + file)
		}
		switch {
		case fragment == "":
		case strings.HasSuffix(file, ".md"):
			if !page(file).anchors[fragment] {
				return errors.New(file + " has no heading with the anchor #" + fragment)
			}
		case !regexp.MustCompile(`^L\d+(-L\d+)?$`).MatchString(fragment):
			return errors.New("an anchor into a file that is not Markdown")
		}
		return nil
	}
	checked := 0
	for _, name := range docPages(t) {
		for _, l := range page(name).links {
			checked++
			u, err := url.Parse(l.target)
			switch {
			case err != nil:
			case u.Scheme == "" && u.Host == "":
				file := name
				if u.Path != "" {
					file = path.Clean(path.Join(path.Dir(name), u.Path))
				}
				err = local(file, u.Fragment)
			case u.Scheme != "https":
				err = errors.New("not https")
			case u.Host == "github.com" && thisRepository.MatchString(u.Path):
				err = local(thisRepository.FindStringSubmatch(u.Path)[1], u.Fragment)
			case !stableHosts[u.Host]:
				err = errors.New(u.Host + " is not among the stable hosts (stableHosts in docs_test.go)")
			}
			if err != nil {
				t.Errorf("%s:%d: link %s: %v", name, l.line, l.target, err)
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d links found; the parser no longer reads them", checked)
	}
}

// TestReadmeBudget holds the README to its budget, and to linking every
// page in docs/.
func TestReadmeBudget(t *testing.T) {
	t.Parallel()
	text := readText(t, "README.md")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) > readmeMaxLines {
		t.Errorf("README.md has %d lines; its budget is %d: move the rest into a page in docs/", len(lines), readmeMaxLines)
	}
	first := 0
	linked := map[string]bool{}
	for _, l := range parsePage(text).links {
		if u, err := url.Parse(l.target); err == nil && u.Scheme == "" && strings.HasPrefix(u.Path, "docs/") {
			if first == 0 {
				first = l.line
			}
			linked[u.Path] = true
		}
	}
	switch {
	case first == 0:
		t.Error("README.md links no page in docs/")
	case first-1 > readmeMaxLinesBeforeDocs:
		t.Errorf("README.md's first link into docs/ is on line %d; a reader must reach one within %d lines", first, readmeMaxLinesBeforeDocs)
	}
	for _, name := range docPages(t)[1:] {
		if !linked[name] {
			t.Errorf("README.md does not link %s", name)
		}
	}
}

// TestReadmeCommands keeps the README's first two commands true: the first
// runs the tool on a sample this repository ships, and fails as the README
// says; the second is the test command .ci/run ends with.
func TestReadmeCommands(t *testing.T) {
	t.Parallel()
	text := readText(t, "README.md")
	_, rest, ok := strings.Cut(text, "```")
	if !ok || !strings.HasPrefix(rest, "sh\n") {
		t.Fatal("README.md does not open with a ```sh block")
	}
	block, _, _ := strings.Cut(strings.TrimPrefix(rest, "sh\n"), "```")
	var commands []string
	for _, line := range strings.Split(block, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			commands = append(commands, line)
		}
	}
	if len(commands) != 2 {
		t.Fatalf("README.md's first block has %d commands; want 2, one that runs the tool and one that runs the tests:\n%s", len(commands), block)
	}

	ci := strings.Split(strings.TrimSpace(readText(t, ".ci/run")), "\n")
	if last := strings.TrimSpace(ci[len(ci)-1]); commands[1] != last {
		t.Errorf("README.md's test command is %q, and .ci/run ends with %q: keep them equal", commands[1], last)
	}

	args := strings.Fields(commands[0])
	if len(args) != 5 || !slices.Equal(args[:4], []string{"go", "run", ".", "audit"}) {
		t.Fatalf("README.md's first command is %q; want go run . audit SAMPLE", commands[0])
	}
	if info, err := os.Stat(filepath.Join(args[4], workflow.Dir)); err != nil || !info.IsDir() {
		t.Fatalf("README.md's sample %s has no %s", args[4], workflow.Dir)
	}
	if testing.Short() {
		t.Skip("builds and runs the command; skipped with -short")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goCmd, args[1:]...)
	// A fresh terminal: no Actions runner, no token; and a proxy nobody
	// answers, so a request, if the audit made one, fails rather than
	// leaves the machine.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GITHUB_") || strings.HasPrefix(name, "INPUT_") || strings.HasPrefix(name, "RUNNER_") ||
			name == "GH_TOKEN" || strings.HasSuffix(strings.ToUpper(name), "_PROXY") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "GOPROXY=off")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("%s: %v; want exit status 1, as the README says\n%s", commands[0], err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "error[publish-before-check]") || !strings.Contains(stdout.String(), "warning[unchecked-credential]") {
		t.Errorf("%s does not find the sample's half release and its unchecked token, as the README says:\n%s\n%s", commands[0], stdout.String(), stderr.String())
	}
}

var update = flag.Bool("update", false, "rewrite testdata/workflows' copies of the docs' workflows, and docs/audit.md's AIBrix example")

// released matches a released (or main's) token-gate reference, which the
// linted copies replace by the checkout's own.
var released = regexp.MustCompile(`uses: token-gate/token-gate(/composite)?@(?:v[0-9.]+|main)\b`)

// TestDocWorkflows keeps every workflow example in README.md and docs/*.md
// a whole file that actionlint checks: each ```yaml block is written, with
// the released action replaced by the checkout's own (uses: ./), to
// testdata/workflows/doc-PAGE-N.yml (AIBrix's fixed files to
// testdata/workflows/aibrix/), which .ci/run lints against action.yml.
func TestDocWorkflows(t *testing.T) {
	t.Parallel()
	fixMarker := regexp.MustCompile(`<!-- audit --fix: ([a-z-]+\.ya?ml) -->\n$`)
	want := map[string]string{}
	var order []string
	for _, name := range docPages(t) {
		parts := strings.Split(readText(t, name), "```yaml\n")
		stem := strings.ToLower(strings.TrimSuffix(path.Base(name), ".md"))
		for i, part := range parts[1:] {
			block, _, ok := strings.Cut(part, "```")
			if !ok {
				t.Fatalf("an unterminated yaml block in %s", name)
			}
			for _, key := range []string{"\non:", "\njobs:", "name: "} {
				if !strings.Contains("\n"+block, key) {
					t.Errorf("%s's yaml block %d is not a whole workflow: it has no %q", name, i+1, strings.TrimSpace(key))
				}
			}
			local := released.ReplaceAllStringFunc(block, func(ref string) string {
				if strings.Contains(ref, "/composite@") {
					return "uses: ./composite"
				}
				return "uses: ./"
			})
			copyPath := filepath.Join("testdata", "workflows", "doc-"+stem+"-"+strconv.Itoa(i+1)+".yml")
			if m := fixMarker.FindStringSubmatch(parts[i]); m != nil {
				// AIBrix's own scripts, verbatim, carry shellcheck notes of
				// theirs; .ci/run lints these without shellcheck.
				copyPath = filepath.Join("testdata", "workflows", "aibrix", m[1])
			}
			if _, dup := want[copyPath]; dup {
				t.Errorf("two blocks are copied to %s", copyPath)
			}
			want[copyPath] = "# Generated from " + name + " by TestDocWorkflows; do not edit.\n" + local
			order = append(order, copyPath)
		}
	}
	if len(order) < 6 {
		t.Fatalf("only %d yaml blocks found in README.md and docs/", len(order))
	}
	for _, copyPath := range order {
		if *update {
			if err := os.WriteFile(copyPath, []byte(want[copyPath]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(copyPath); err != nil || string(got) != want[copyPath] {
			t.Errorf("%s does not match its block; run go test -run TestDocWorkflows . -update", copyPath)
		}
	}
	// No stale copies of blocks that are gone.
	var copies []string
	for _, pattern := range []string{"doc-*.yml", "readme-*.yml", filepath.Join("aibrix", "*.y*ml")} {
		found, _ := filepath.Glob(filepath.Join("testdata", "workflows", pattern))
		copies = append(copies, found...)
	}
	for _, copyPath := range copies {
		if _, ok := want[copyPath]; ok {
			continue
		}
		if *update {
			os.Remove(copyPath)
			continue
		}
		t.Errorf("%s is a copy of no block; run go test -run TestDocWorkflows . -update", copyPath)
	}
}

// TestEveryCodeHasItsAnchor keeps docs/codes.md and the codes in step: every
// code the gate or the audit emits has its heading there (GitHub makes it
// the anchor report.CodeURL links), and the page names no code that is not
// emitted.
func TestEveryCodeHasItsAnchor(t *testing.T) {
	t.Parallel()
	documented := map[string]bool{}
	for _, line := range strings.Split(readText(t, "docs/codes.md"), "\n") {
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
	for _, c := range inventory.Codes() {
		if emitted[string(c)] {
			t.Errorf("%s is both an inventory code and another's", c)
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

// The AIBrix example in docs/audit.md: the findings the audit gives on
// AIBrix's real workflows (testdata/golden/audit-aibrix.txt, from
// internal/command's TestAuditAIBrix), and the two files as --fix leaves
// them.
const (
	aibrixPage     = "docs/audit.md"
	aibrixFindings = "<!-- audit: AIBrix's findings (testdata/golden/audit-aibrix.txt) -->\n```text\n"
)

// TestAIBrixExample keeps docs/audit.md's AIBrix example what the audit says
// and what `token-gate audit --fix` writes. With -update it rewrites them
// (after TestAuditAIBrix -update has rewritten the golden file), and runs
// before TestDocWorkflows, which copies the fixed files for actionlint.
func TestAIBrixExample(t *testing.T) {
	if !*update {
		t.Parallel()
	}
	text := readText(t, aibrixPage)
	golden := readText(t, filepath.Join("testdata", "golden", "audit-aibrix.txt"))
	findingLine := regexp.MustCompile(`^\S+:\d+:\d+: (?:error|warning|notice)\[[a-z-]+\]: `)
	var findings strings.Builder
	for _, line := range strings.Split(golden, "\n") {
		if findingLine.MatchString(line) {
			findings.WriteString(line + "\n")
		}
	}
	if findings.Len() == 0 {
		t.Fatal("testdata/golden/audit-aibrix.txt holds no finding")
	}
	blocks := map[string]string{aibrixFindings: findings.String()}

	shared, why := fake.LookupAIBrix()
	names := []string{"docker-push-images.yml", "release-build.yaml"}
	if shared != "" {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, workflow.Dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			src, err := os.ReadFile(filepath.Join(shared, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, workflow.Dir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		repo, err := workflow.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		fixed := audit.Audit(repo, audit.Options{}).Fix()
		for _, name := range names {
			blocks["<!-- audit --fix: "+name+" -->\n```yaml\n"] = string(fixed[workflow.Dir+"/"+name])
		}
	}

	for _, marker := range slices.Sorted(maps.Keys(blocks)) {
		before, rest, ok := strings.Cut(text, marker)
		if !ok {
			t.Errorf("%s has no %q block", aibrixPage, marker)
			continue
		}
		block, after, _ := strings.Cut(rest, "```")
		if block == blocks[marker] {
			continue
		}
		if *update {
			text = before + marker + blocks[marker] + "```" + after
			continue
		}
		t.Errorf("%s's block after %q is not what the audit gives; run go test -run TestAIBrixExample . -update. It should read:\n%s", aibrixPage, strings.SplitN(marker, "\n", 2)[0], blocks[marker])
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(aibrixPage), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if shared == "" {
		t.Skip("the findings are checked; the fixed files are not: " + why)
	}
}
