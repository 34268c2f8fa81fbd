package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
)

// SARIF 2.1.0 as GitHub code scanning reads it (docs/facts.md, "Code
// scanning"; docs/formats.md, "SARIF"): one run, one rule per code, one
// result per finding on its workflow file.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	// srcRoot is the base every result's path is relative to: the
	// repository's root, where GitHub resolves a relative path.
	srcRoot = "%SRCROOT%"
	// informationURI is token-gate's home.
	informationURI = "https://github.com/token-gate/token-gate"
)

// SARIFOptions are what the SARIF log needs besides the report.
type SARIFOptions struct {
	// Version is token-gate's version, as --version prints it.
	Version string
	// Sources are the workflow files' text by the path findings name,
	// for each region's end and columns in UTF-16 code units.
	Sources map[string][]byte
	// ShowSuppressed puts the findings ignore comments suppress in the
	// log too, each with its suppression (--no-ignore).
	ShowSuppressed bool
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool            `json:"tool"`
	OriginalURIBaseIDs map[string]sarifBase `json:"originalUriBaseIds"`
	Results            []sarifResult        `json:"results"`
	ColumnKind         string               `json:"columnKind"`
	Properties         struct {
		// Suppressed counts the findings ignore comments suppress.
		Suppressed int `json:"suppressed"`
	} `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	InformationURI  string      `json:"informationUri"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ShortDescription     sarifText `json:"shortDescription"`
	FullDescription      sarifText `json:"fullDescription"`
	HelpURI              string    `json:"helpUri"`
	Help                 sarifHelp `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties struct {
		Tags            []string `json:"tags"`
		ProblemSeverity string   `json:"problem.severity"`
	} `json:"properties"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifBase struct {
	Description sarifText `json:"description"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifPlace         `json:"properties"`
}

// sarifPlace says which job, step and secret a result is about, as the
// JSON format does.
type sarifPlace struct {
	Job    string `json:"job,omitempty"`
	Step   string `json:"step,omitempty"`
	Secret string `json:"secret,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	} `json:"artifactLocation"`
	Region sarifRegion `json:"region"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string        `json:"kind"`
	Status        string        `json:"status"`
	Justification string        `json:"justification"`
	Location      sarifLocation `json:"location"`
}

// SARIF renders an audit as a SARIF 2.1.0 log for GitHub code scanning,
// indented and safe to print in a run: step (SafeJSON).
func SARIF(res finding.Report, o SARIFOptions) []byte {
	run := sarifRun{ColumnKind: "utf16CodeUnits", Results: []sarifResult{}}
	run.Tool.Driver = sarifDriver{Name: "token-gate", InformationURI: informationURI, Version: toolVersion(o.Version), SemanticVersion: semanticVersion(o.Version)}
	run.OriginalURIBaseIDs = map[string]sarifBase{srcRoot: {Description: sarifText{"The repository's root: the folder whose .github/workflows token-gate audit read."}}}
	run.Properties.Suppressed = len(res.Suppressed)
	index := map[finding.Code]int{}
	for i, r := range auditRules {
		index[r.Code] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(r))
	}
	seen := map[string]int{}
	add := func(f finding.Finding, commentLine int) {
		i, known := index[f.Code]
		if !known {
			// A code without a rule would make the log invalid: give
			// it one, so that a new code never breaks an upload.
			i = len(run.Tool.Driver.Rules)
			index[f.Code] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(auditRule{Code: f.Code, Level: f.Severity, Short: string(f.Code), Full: string(f.Code)}))
		}
		text := Inline(f.Message)
		if f.Fix != "" {
			text += " Fix: " + Inline(f.Fix)
		}
		id := fingerprint(f)
		seen[id]++
		r := sarifResult{
			RuleID:    string(f.Code),
			RuleIndex: i,
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{text},
			Locations: []sarifLocation{location(f.File, f.Line, f.Column, o.Sources[f.File])},
			// Code scanning reads only this key, and upload-sarif keeps
			// one that is given (docs/facts.md, "Code scanning").
			PartialFingerprints: map[string]string{"primaryLocationLineHash": fmt.Sprintf("%s:%d", id, seen[id])},
			Properties:          sarifPlace{Job: f.Job, Step: f.Step, Secret: f.Secret},
		}
		if commentLine > 0 {
			// Only with --no-ignore: code scanning ignores suppressions
			// and would open an alert (docs/facts.md, "Code scanning").
			r.Suppressions = []sarifSuppression{{Kind: "inSource", Status: "accepted",
				Justification: fmt.Sprintf("# token-gate: ignore[%s] on line %d", f.Code, commentLine),
				Location:      location(f.File, commentLine, 0, o.Sources[f.File])}}
		}
		run.Results = append(run.Results, r)
	}
	for _, f := range res.Findings {
		add(f, 0)
	}
	if o.ShowSuppressed {
		for _, sf := range res.Suppressed {
			add(sf.Finding, sf.CommentLine)
		}
	}
	data, _ := json.MarshalIndent(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}, "", "  ")
	return SafeJSON(data)
}

func sarifRuleFor(r auditRule) sarifRule {
	out := sarifRule{ID: string(r.Code), Name: ruleName(r.Code), ShortDescription: sarifText{r.Short}, FullDescription: sarifText{r.Full}, HelpURI: CodeURL(string(r.Code))}
	out.Help = sarifHelp{Text: r.Full + "\n\n" + CodeURL(string(r.Code)), Markdown: r.Full + "\n\n[" + string(r.Code) + "](" + CodeURL(string(r.Code)) + ")"}
	out.DefaultConfiguration.Level = sarifLevel(r.Level)
	out.Properties.Tags = []string{"github-actions", "credentials"}
	out.Properties.ProblemSeverity = map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Notice: "recommendation"}[r.Level]
	return out
}

// sarifLevel is SARIF's word for a severity: a notice is a note.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "error"
	case finding.Warning:
		return "warning"
	}
	return "note"
}

var semver = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)
})

// toolVersion is the version as SARIF wants it, starting with a number
// (the Multitool's SARIF2005): v1.2.3 is 1.2.3, and a build that records
// no version ("devel", or Go's own "(devel)") is 0-devel.
func toolVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v != "" && v[0] >= '0' && v[0] <= '9' {
		return v
	}
	return "0-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return -1
	}, v)
}

// semanticVersion is the version without its v when it is Semantic
// Versioning's, else "": code scanning prefers semanticVersion.
func semanticVersion(v string) string {
	if m := semver().FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// location is a place on a workflow file, relative to the repository's
// root. The region runs from the column to the end of its line (code
// scanning asks for an end); columns are counted in UTF-16 code units,
// SARIF's default, from the line's text when it is known.
func location(file string, line, column int, src []byte) sarifLocation {
	var l sarifLocation
	l.PhysicalLocation.ArtifactLocation.URI = (&url.URL{Path: file}).EscapedPath()
	l.PhysicalLocation.ArtifactLocation.URIBaseID = srcRoot
	r := sarifRegion{StartLine: max(line, 1), StartColumn: column}
	if text, ok := sourceLine(src, r.StartLine); ok {
		if column > 0 {
			r.StartColumn = utf16Column(text, column)
		}
		end := utf16Column(text, utf8.RuneCountInString(text)+1)
		if end > r.StartColumn {
			r.EndLine, r.EndColumn = r.StartLine, end
		}
	}
	if r.StartColumn < 1 {
		r.StartColumn = 1
	}
	l.PhysicalLocation.Region = r
	return l
}

// sourceLine is line n of src, without its line break; lines end at LF,
// CRLF or a CR alone, as YAML reads them.
func sourceLine(src []byte, n int) (string, bool) {
	if src == nil {
		return "", false
	}
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	ls := strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
	if n < 1 || n > len(ls) {
		return "", false
	}
	return ls[n-1], true
}

// utf16Column turns a column counted in characters into one counted in
// UTF-16 code units: a character past U+FFFF is two.
func utf16Column(line string, col int) int {
	units, i := 1, 1
	for _, r := range line {
		if i >= col {
			break
		}
		units++
		if r > 0xFFFF {
			units++
		}
		i++
	}
	return units + (col - i)
}

var digits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]+`) })

// fingerprint identifies a finding across commits without its line: a
// hash of its code, file, job, secret and message, the message with its
// numbers taken out and its spaces joined, so that moving the lines, or
// a line number quoted in the message, keeps the alert the same alert.
// SARIF adds ":N" for the Nth finding of the same identity in a log.
func fingerprint(f finding.Finding) string {
	msg := strings.Join(strings.Fields(digits().ReplaceAllString(f.Message, "#")), " ")
	sum := sha256.Sum256([]byte(strings.Join([]string{string(f.Code), f.File, f.Job, f.Secret, msg}, "\x00")))
	return hex.EncodeToString(sum[:8])
}
