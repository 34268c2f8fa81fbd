package command

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/report"
)

// --json is --format json, byte for byte; --format says which, and a
// format that does not exist, or --json beside another, is bad usage.
func TestAuditFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := repoOf(t, "probes/.github/workflows/ci.yml")
	asJSON := auditRun(t, e, nil, "--json", root)
	formatJSON := auditRun(t, e, nil, "--format", "json", root)
	if asJSON.Stdout != formatJSON.Stdout || asJSON.Code != ExitFail || formatJSON.Code != ExitFail {
		t.Errorf("--json and --format json differ (exit %d, %d)", asJSON.Code, formatJSON.Code)
	}
	if both := auditRun(t, e, nil, "--json", "--format=json", root); both.Stdout != asJSON.Stdout {
		t.Error("--json --format=json is not --format json")
	}
	text := auditRun(t, e, nil, root)
	if explicit := auditRun(t, e, nil, "--format=text", root); explicit.Stdout != text.Stdout {
		t.Error("--format text is not the default")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format=xml", root}, `flag --format: "xml" is not one of text, json, sarif, github`},
		{[]string{"--json", "--format=sarif", root}, "--json is --format json; it cannot go with --format sarif"},
		{[]string{"--format=" + fake.Classic, root}, `"ghp_…"`},
	} {
		r := auditRun(t, e, nil, c.args...)
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, c.want) || r.Stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, r.Code, r.Stderr, c.want)
		}
	}
	// The format decides what is printed, never the exit status.
	for _, f := range []string{"text", "json", "sarif", "github"} {
		if r := auditRun(t, e, nil, "--format", f, root); r.Code != ExitFail {
			t.Errorf("--format %s: exit %d; the audit has errors", f, r.Code)
		}
	}
	if r := auditRun(t, e, nil, "--help"); !strings.Contains(r.Stdout, "-format") || !strings.Contains(r.Stdout, "-no-ignore") || !strings.Contains(r.Stdout, "# token-gate: ignore[CODE]") {
		t.Errorf("--help does not name the formats and ignore comments:\n%s", r.Stdout)
	}
}

// --format github prints each finding as the workflow command that
// annotates its place, as the runner reads it, and the totals.
func TestAuditFormatGitHub(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := repoOf(t, "probes/.github/workflows/ci.yml", "dynamic-matrix/.github/workflows/matrix.yml")
	r := auditRun(t, e, map[string]string{"GITHUB_ACTIONS": "true"}, "--format", "github", root)
	j := auditRun(t, e, nil, "--format", "json", root)
	var doc report.AuditDocument
	if err := json.Unmarshal([]byte(j.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(r.Annotations) != len(doc.Findings) || len(doc.Findings) == 0 {
		t.Fatalf("%d commands for %d findings:\n%s", len(r.Annotations), len(doc.Findings), r.Stdout)
	}
	// Annotations come errors first (the runner shows ten of each kind);
	// each is one finding, and each finding has one.
	unmatched := slices.Clone(doc.Findings)
	for i, a := range r.Annotations {
		p := a.Properties
		j := slices.IndexFunc(unmatched, func(f finding.Finding) bool {
			return p["file"] == f.File && p["line"] == strconv.Itoa(f.Line) && p["col"] == strconv.Itoa(f.Column) && p["title"] == "token-gate audit: "+string(f.Code) && strings.HasPrefix(a.Message, "["+string(f.Code)+"] "+f.Message)
		})
		if j < 0 {
			t.Errorf("command %d matches no finding: %+v", i, a)
			continue
		}
		f := unmatched[j]
		unmatched = slices.Delete(unmatched, j, j+1)
		if want := string(f.Severity); a.Command != want || !strings.HasSuffix(a.Message, report.CodeURL(string(f.Code))) {
			t.Errorf("command %d: %+v\nfor finding %+v", i, a, f)
		}
	}
	last := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if tail := last[len(last)-1]; !strings.HasPrefix(tail, "token-gate audit: 2 workflows read, ") {
		t.Errorf("last line %q", tail)
	}
}

// The SARIF log is the format's own: Microsoft's SARIF Multitool validates
// it, with GitHub code scanning's ingestion rules, and the SARIF 2.1.0
// schema the Multitool ships accepts it, for AIBrix's real workflows and
// for every pattern under testdata/audit (the hostile names too), its
// suppressions with --no-ignore included. A broken log fails both, so the
// checks are seen to check.
func TestSARIFValidates(t *testing.T) {
	t.Parallel()
	tool, schema := sarifMultitool(t)
	e := newEnv(t)
	dirs := map[string]string{}
	if aibrix, why := fake.LookupAIBrix(); aibrix != "" {
		var files []string
		entries, err := os.ReadDir(aibrix)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if strings.HasSuffix(en.Name(), ".yml") || strings.HasSuffix(en.Name(), ".yaml") {
				files = append(files, filepath.Join(aibrix, en.Name()))
			}
		}
		dirs["aibrix"] = repoOf(t, files...)
	} else if !testing.Short() {
		t.Fatal(why)
	}
	patterns, err := os.ReadDir(filepath.Join("..", "..", "testdata", "audit"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patterns {
		dir := filepath.Join("..", "..", "testdata", "audit", p.Name())
		if _, err := os.Stat(filepath.Join(dir, ".github")); err == nil {
			dirs[p.Name()] = dir
			continue
		}
		// A folder of single workflows (testdata/audit/patterns).
		files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
		if len(files) > 0 {
			dirs[p.Name()] = repoOf(t, files...)
		}
	}
	dir := t.TempDir()
	logs := map[string]string{} // file name → SARIF
	for name, root := range dirs {
		for _, args := range [][]string{{"--format", "sarif", root}, {"--format", "sarif", "--no-ignore", root}} {
			r := auditRun(t, e, nil, args...)
			if r.Code == ExitUsage || !strings.HasPrefix(r.Stdout, "{") {
				t.Fatalf("%s %q: exit %d\n%s", name, args, r.Code, r.Stderr)
			}
			file := name + ".sarif"
			if len(args) == 4 {
				file = name + ".no-ignore.sarif"
			}
			logs[file] = r.Stdout
		}
	}
	// The controls: a result without its message, and a level SARIF does
	// not have.
	good := logs["probes.sarif"]
	logs["control-no-message.sarif"] = strings.Replace(good, `"message": {`, `"note": {`, 1)
	bogus := strings.Replace(good, `"level": "warning"`, `"level": "bogus"`, 1)
	for file, sarif := range logs {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(sarif), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found := multitoolValidate(t, tool, dir)
	for file, sarif := range logs {
		if file == "control-no-message.sarif" {
			if len(found[file]) == 0 {
				t.Error("the Multitool accepts a result without a message: is it validating?")
			}
			continue
		}
		if len(found[file]) > 0 {
			t.Errorf("%s: the SARIF Multitool finds:\n%s", file, strings.Join(found[file], "\n"))
		}
		if err := schemaValidate(schema, sarif); err != nil {
			t.Errorf("%s: the SARIF 2.1.0 schema refuses it: %v", file, err)
		}
	}
	if err := schemaValidate(schema, bogus); err == nil {
		t.Error(`the schema accepts "level": "bogus": is it validating?`)
	}
	t.Logf("validated %d SARIF logs", len(logs)-1)
}

// sarifMultitool finds the SARIF Multitool that .ci/run installs (npm
// install --global @microsoft/sarif-multitool): the platform's binary,
// which takes its arguments without a shell (the npm wrapper passes them
// through one), and the SARIF 2.1.0 schema shipped beside it. Without it,
// -short skips, and the full suite fails: CI must validate.
func sarifMultitool(t *testing.T) (tool, schema string) {
	t.Helper()
	missing := func(why string) {
		const how = "install it with: npm install --global @microsoft/sarif-multitool@5.7.0 (.ci/run does)"
		if testing.Short() {
			t.Skipf("-short: the SARIF Multitool is not installed (%s); %s", why, how)
		}
		t.Fatalf("the SARIF Multitool is needed to validate the SARIF output (%s); %s", why, how)
	}
	tool = os.Getenv("SARIF_MULTITOOL")
	if tool == "" {
		wrapper, err := exec.LookPath("sarif-multitool")
		if err != nil {
			missing("sarif-multitool is not on PATH")
		}
		bin, err := filepath.EvalSymlinks(wrapper)
		if err != nil {
			missing(err.Error())
		}
		// The wrapper's package exports the path of the platform's binary.
		out, err := exec.Command("node", "-p", "require(process.argv[1])", filepath.Dir(bin)).Output()
		if err != nil {
			missing("node cannot load " + filepath.Dir(bin) + ": " + err.Error())
		}
		tool = strings.TrimSpace(string(out))
	}
	schema = filepath.Join(filepath.Dir(tool), "sarif-2.1.0.json")
	if _, err := os.Stat(schema); err != nil {
		missing(err.Error())
	}
	return tool, schema
}

// multitoolValidate runs `sarif-multitool validate` once on every log in
// dir, with its SARIF rules and GitHub's (Gh), and returns the errors and
// warnings it reports, by file name. The Multitool exits 0 whatever it
// finds, so its own SARIF log is read; one run for all, since each run
// costs seconds of start-up.
func multitoolValidate(t *testing.T, tool, dir string) map[string][]string {
	t.Helper()
	work := t.TempDir()
	out := filepath.Join(work, "validation.sarif")
	// SARIF2006 fetches every URL in the log, which a machine without the
	// internet cannot, and it only ever says "note".
	config := filepath.Join(work, "config.xml")
	if err := os.WriteFile(config, []byte(`<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" />
  </Properties>
</Properties>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "validate", dir, "--rule-kind", "Gh;Sarif", "--level", "Error;Warning", "--config", config, "--output", out, "--log", "ForceOverwrite")
	// .NET needs no culture data to validate; without ICU it would stop.
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s validate %s: %v\n%s", tool, dir, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
					}
				}
			}
			Invocations []struct{ ExecutionSuccessful bool }
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, run := range log.Runs {
		for _, inv := range run.Invocations {
			if !inv.ExecutionSuccessful {
				t.Fatalf("the validation did not run to its end:\n%s", data)
			}
		}
		for _, r := range run.Results {
			file := "?"
			if len(r.Locations) > 0 {
				file = filepath.Base(r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
			}
			found[file] = append(found[file], r.Level+" "+r.RuleID+": "+r.Message.Text)
		}
	}
	return found
}

// schemaValidate checks a SARIF log against the SARIF 2.1.0 JSON schema,
// strictly (the Multitool's own schema check lets an unknown level pass).
func schemaValidate(schemaFile, sarif string) error {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaFile)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(sarif))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}

// Code scanning tracks a finding across commits by its fingerprint: lines
// added above it move it, and keep every fingerprint; a renamed job makes
// its findings new ones.
func TestSARIFFingerprintsSurviveEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "probes", ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	prints := func(ci string) (map[string]int, []int) {
		root := patternWith(t, ci)
		var log struct {
			Runs []struct {
				Results []struct {
					PartialFingerprints map[string]string
					Locations           []struct {
						PhysicalLocation struct{ Region struct{ StartLine int } }
					}
				}
			}
		}
		r := auditRun(t, e, nil, "--format", "sarif", root)
		if err := json.Unmarshal([]byte(r.Stdout), &log); err != nil {
			t.Fatal(err)
		}
		ids, lines := map[string]int{}, []int{}
		for _, res := range log.Runs[0].Results {
			ids[res.PartialFingerprints["primaryLocationLineHash"]]++
			lines = append(lines, res.Locations[0].PhysicalLocation.Region.StartLine)
		}
		return ids, lines
	}
	before, beforeLines := prints(string(src))
	moved := strings.Replace(string(src), "jobs:\n", "jobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n", 1)
	after, afterLines := prints("# A comment\n# or two\n" + moved)
	if len(before) != 6 || len(after) != len(before) {
		t.Fatalf("fingerprints %v and %v", before, after)
	}
	for id := range before {
		if after[id] != 1 {
			t.Errorf("fingerprint %s lost when lines moved", id)
		}
	}
	for i := range beforeLines {
		if afterLines[i] != beforeLines[i]+6 {
			t.Errorf("result %d on line %d, then %d; the test meant to move it by 6", i, beforeLines[i], afterLines[i])
		}
	}
	renamed, _ := prints(strings.ReplaceAll(string(src), "  quay:", "  quay-push:"))
	same := 0
	for id := range renamed {
		same += before[id]
	}
	if same == len(before) {
		t.Error("renaming a job kept every fingerprint")
	}
}

// docs/formats.md has a section for each format and subject it promises;
// its workflows are whole files that TestDocWorkflows copies to
// testdata/workflows/doc-formats-N.yml, which .ci/run lints.
func TestFormatsDoc(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "formats.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"## text", "## JSON", "## SARIF", "## github", "## Ignore comments", "## Which mode runs", "## Annotations in the action", "## Uploading SARIF to code scanning", "### Private repositories"} {
		if !strings.Contains(string(doc), "\n"+h+"\n") {
			t.Errorf("docs/formats.md has no %q", h)
		}
	}
	upload := regexp.MustCompile(`uses: github/codeql-action/upload-sarif@[0-9a-f]{40} # v[0-9.]+\n`)
	if !upload.Match(doc) || !strings.Contains(string(doc), "audit --format sarif > token-gate.sarif") {
		t.Error("docs/formats.md's workflow does not upload the SARIF with upload-sarif pinned by commit")
	}
}
