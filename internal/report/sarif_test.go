package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/finding"
)

// TestSARIFRulesFollowCodesDoc keeps the SARIF rules in step with
// docs/codes.md and with the audit: one rule per code the audit emits, in
// the docs' order, its full description the docs' paragraph and its short
// one that paragraph's first sentence.
func TestSARIFRulesFollowCodesDoc(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "## The audit")
	if start < 0 {
		t.Fatal(`docs/codes.md has no "## The audit" section`)
	}
	var codes []finding.Code
	for _, section := range strings.Split(strings.SplitN(doc[start:], "\n## ", 3)[0], "\n### ")[1:] {
		name, body, _ := strings.Cut(section, "\n")
		m := []string{section, name, body}
		codes = append(codes, finding.Code(m[1]))
		full := strings.Join(strings.Fields(m[2]), " ")
		i := slices.IndexFunc(auditRules, func(r auditRule) bool { return r.Code == finding.Code(m[1]) })
		if i < 0 {
			t.Errorf("docs/codes.md has %s; auditRules has not", m[1])
			continue
		}
		r := auditRules[i]
		if r.Full != full {
			t.Errorf("%s: Full is\n%q\ndocs/codes.md says\n%q", r.Code, r.Full, full)
		}
		if !strings.HasPrefix(full, r.Short) || !strings.HasSuffix(r.Short, ".") || strings.Contains(strings.TrimSuffix(r.Short, "."), ". ") {
			t.Errorf("%s: Short %q is not the first sentence of %q", r.Code, r.Short, full)
		}
		if r.Name == "" || strings.EqualFold(r.Name, string(r.Code)) || len(r.Name) > 255 || len(r.Full) > 1024 {
			t.Errorf("%s: name %q, full description of %d bytes", r.Code, r.Name, len(r.Full))
		}
	}
	var rules []finding.Code
	for _, r := range auditRules {
		rules = append(rules, r.Code)
	}
	if !slices.Equal(rules, codes) || !slices.Equal(rules, audit.Codes()) {
		t.Errorf("rules %v\ndocs/codes.md %v\naudit.Codes %v", rules, codes, audit.Codes())
	}
}

// The parts of a SARIF log the tests read.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, SemanticVersion string
				Rules                          []struct {
					ID, Name, HelpURI    string
					DefaultConfiguration struct{ Level string }
				}
			}
		}
		ColumnKind string
		Properties struct{ Suppressed int }
		Results    []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
					Region struct{ StartLine, StartColumn, EndLine, EndColumn int }
				}
			}
			PartialFingerprints map[string]string
			Suppressions        []struct {
				Kind, Status, Justification string
				Location                    struct {
					PhysicalLocation struct {
						Region struct{ StartLine int }
					}
				}
			}
			Properties struct{ Job, Step, Secret string }
		}
	}
}

func decodeSARIF(t *testing.T, data []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs", len(d.Runs))
	}
	return d
}

// Each finding is a result on its own workflow file, relative to the
// repository's root, with its level, rule, place in UTF-16 columns, and
// the message with its fix.
func TestSARIFResults(t *testing.T) {
	t.Parallel()
	file := ".github/workflows/ünïcode z`@octocat`.yml"
	src := "on: push\njobs:\n  a:\n    steps:\n      - run: echo 𝔘𝔘 && docker login -p $X\n"
	rep := finding.Report{
		Workflows: []string{file},
		Findings: []finding.Finding{
			{Code: "unchecked-credential", Severity: finding.Error, Place: finding.Place{File: file, Line: 5, Column: 21, Job: "a", Step: "run: echo"}, Secret: "X", Message: "X logs in.", Fix: "Check it."},
			{Code: "image-not-probed", Severity: finding.Warning, Place: finding.Place{File: file, Line: 3, Column: 3, Job: "a"}, Message: "m"},
			{Code: "unresolved", Severity: finding.Notice, Place: finding.Place{File: file, Line: 99, Column: 1}, Message: "n"},
		},
	}
	d := decodeSARIF(t, SARIF(rep, SARIFOptions{Version: "v1.4.0", Sources: map[string][]byte{file: []byte(src)}}))
	if d.Version != "2.1.0" || d.Schema == "" || d.Runs[0].ColumnKind != "utf16CodeUnits" {
		t.Errorf("version %q schema %q columnKind %q", d.Version, d.Schema, d.Runs[0].ColumnKind)
	}
	drv := d.Runs[0].Tool.Driver
	if drv.Name != "token-gate" || drv.Version != "1.4.0" || drv.SemanticVersion != "1.4.0" || len(drv.Rules) != len(auditRules) {
		t.Errorf("driver %+v", drv)
	}
	for _, r := range drv.Rules {
		if r.HelpURI != CodesURL+"#"+r.ID {
			t.Errorf("rule %s links %s", r.ID, r.HelpURI)
		}
	}
	rs := d.Runs[0].Results
	if len(rs) != 3 {
		t.Fatalf("%d results", len(rs))
	}
	var levels []string
	for _, r := range rs {
		levels = append(levels, r.Level)
		if drv.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != ".github/workflows/%C3%BCn%C3%AFcode%20z%60@octocat%60.yml" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("location %+v", loc.ArtifactLocation)
		}
		if !regexp.MustCompile(`^[0-9a-f]{16}:[0-9]+$`).MatchString(r.PartialFingerprints["primaryLocationLineHash"]) {
			t.Errorf("fingerprint %v", r.PartialFingerprints)
		}
	}
	if !slices.Equal(levels, []string{"error", "warning", "note"}) {
		t.Errorf("levels %v", levels)
	}
	// Two characters past U+FFFF before column 21 count four code units:
	// the column is 23; the line is 42 characters, 44 code units, and
	// the region ends after them.
	if reg := rs[0].Locations[0].PhysicalLocation.Region; reg != (struct{ StartLine, StartColumn, EndLine, EndColumn int }{5, 23, 5, 45}) {
		t.Errorf("region %+v", reg)
	}
	// A line past the file's end keeps its start and no end.
	if reg := rs[2].Locations[0].PhysicalLocation.Region; reg.StartLine != 99 || reg.EndLine != 0 {
		t.Errorf("region past the end %+v", reg)
	}
	if rs[0].Message.Text != "X logs in. Fix: Check it." || rs[0].Properties.Job != "a" || rs[0].Properties.Secret != "X" {
		t.Errorf("result %+v", rs[0])
	}
	if v := decodeSARIF(t, SARIF(rep, SARIFOptions{Version: "(devel)"})).Runs[0].Tool.Driver; v.Version != "0-devel" || v.SemanticVersion != "" {
		t.Errorf("a work tree's build is version %q, semantic %q", v.Version, v.SemanticVersion)
	}
}

// The fingerprint follows the finding, not its line: a finding moved, or
// quoting another line number, keeps it; another job, secret, code, file
// or message changes it; the same identity twice is :1 and :2.
func TestSARIFFingerprint(t *testing.T) {
	t.Parallel()
	base := finding.Finding{Code: "unchecked-credential", Severity: finding.Error, Place: finding.Place{File: ".github/workflows/a.yml", Line: 10, Column: 5, Job: "push"}, Secret: "CR_PAT", Message: "CR_PAT logs in at line 10, before the check at line 4."}
	id := fingerprint(base)
	moved := base
	moved.Line, moved.Column, moved.Message = 42, 9, "CR_PAT logs in at line 42,  before the check at line 7."
	if fingerprint(moved) != id {
		t.Error("moving the finding changed its fingerprint")
	}
	for name, change := range map[string]func(*finding.Finding){
		"job":     func(f *finding.Finding) { f.Job = "release" },
		"secret":  func(f *finding.Finding) { f.Secret = "HUB" },
		"code":    func(f *finding.Finding) { f.Code = "publish-before-check" },
		"file":    func(f *finding.Finding) { f.File = ".github/workflows/b.yml" },
		"message": func(f *finding.Finding) { f.Message = "HUB logs in." },
	} {
		f := base
		change(&f)
		if fingerprint(f) == id {
			t.Errorf("another %s kept the fingerprint", name)
		}
	}
	d := decodeSARIF(t, SARIF(finding.Report{Findings: []finding.Finding{base, moved}}, SARIFOptions{Version: "1.0.0"}))
	var got []string
	for _, r := range d.Runs[0].Results {
		got = append(got, r.PartialFingerprints["primaryLocationLineHash"])
	}
	if !slices.Equal(got, []string{id + ":1", id + ":2"}) {
		t.Errorf("fingerprints %v", got)
	}
}

// Suppressed findings are counted; with --no-ignore they are results that
// carry an accepted in-source suppression at their comment.
func TestSARIFSuppressions(t *testing.T) {
	t.Parallel()
	f := finding.Finding{Code: "unchecked-credential", Severity: finding.Error, Place: finding.Place{File: ".github/workflows/a.yml", Line: 10, Column: 5}, Message: "m"}
	rep := finding.Report{Suppressed: []finding.SuppressedFinding{{Finding: f, CommentLine: 9}}}
	hidden := decodeSARIF(t, SARIF(rep, SARIFOptions{Version: "1.0.0"}))
	if len(hidden.Runs[0].Results) != 0 || hidden.Runs[0].Properties.Suppressed != 1 {
		t.Errorf("without --no-ignore: %d results, %d suppressed", len(hidden.Runs[0].Results), hidden.Runs[0].Properties.Suppressed)
	}
	shown := decodeSARIF(t, SARIF(rep, SARIFOptions{Version: "1.0.0", ShowSuppressed: true}))
	if len(shown.Runs[0].Results) != 1 {
		t.Fatalf("with --no-ignore: %d results", len(shown.Runs[0].Results))
	}
	s := shown.Runs[0].Results[0].Suppressions
	if len(s) != 1 || s[0].Kind != "inSource" || s[0].Status != "accepted" || s[0].Location.PhysicalLocation.Region.StartLine != 9 || !strings.Contains(s[0].Justification, "ignore[unchecked-credential]") {
		t.Errorf("suppressions %+v", s)
	}
}
