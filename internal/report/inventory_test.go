package report

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
	inv "github.com/token-gate/token-gate/internal/inventory"
)

var invNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// bigInventory has n repositories, each with a secret, a finding and a gap.
func bigInventory(n int) inv.Inventory {
	i := inv.Inventory{Owner: "acme", Workflows: n}
	for k := range n {
		repo := fmt.Sprintf("acme/svc-%04d", k)
		i.Repositories = append(i.Repositories, repo)
		i.Secrets = append(i.Secrets, inv.Row{Secret: inv.Secret{Name: "DEPLOY_TOKEN", Level: inv.LevelRepository, Repository: repo, UpdatedAt: invNow.Add(-time.Duration(k) * time.Hour)},
			AgeDays: k / 24, UsedBy: []inv.Use{{Repository: repo, SecretRef: finding.SecretRef{Secret: "DEPLOY_TOKEN", Place: finding.Place{File: ".github/workflows/deploy.yml", Line: 12, Job: "deploy"}, Role: finding.RolePush}}}})
		i.Findings = append(i.Findings, inv.Finding{Repository: repo, Finding: finding.Finding{Code: inv.CodeMissing, Severity: finding.Error, Secret: "X",
			Place: finding.Place{File: ".github/workflows/deploy.yml", Line: 9, Column: 3, Job: "deploy"}, Message: strings.Repeat("m", 200), Fix: fmt.Sprintf("fix %d", k)}})
		i.NotVisible = append(i.NotVisible, inv.Gap{Part: inv.PartEnvironmentSecrets, Repository: repo, Environment: "prod", Reason: "GitHub answered 403", Permission: inv.Permission(inv.PartEnvironmentSecrets)})
	}
	return i
}

// TestInventoryIssueWithinBudget: the issue body stays within its budget
// however large the organization, and each part says what it left out.
func TestInventoryIssueWithinBudget(t *testing.T) {
	t.Parallel()
	const budget = 63000
	body := InventoryIssue(bigInventory(2000), budget)
	if n := utf8.RuneCountInString(body); n > budget {
		t.Errorf("the issue body is %d characters, more than %d", n, budget)
	}
	if !strings.Contains(body, "more findings, left out to keep within GitHub's limit") {
		t.Errorf("the cut is not said:\n%s", body[len(body)-500:])
	}
	if strings.Contains(body, "| Age |") {
		t.Error("the issue shows ages, which change daily")
	}
	small := InventoryIssue(bigInventory(3), budget)
	if strings.Contains(small, "left out") || !strings.Contains(small, "acme/svc-0002") {
		t.Errorf("a small inventory was cut:\n%s", small)
	}
}

// TestInventorySummaryWithinLimit: the step summary stays within GitHub's
// 1 MiB and says where the rest is.
func TestInventorySummaryWithinLimit(t *testing.T) {
	t.Parallel()
	s := InventorySummary(bigInventory(6000))
	if len(s) > MaxSummary {
		t.Errorf("summary %d bytes", len(s))
	}
	if !strings.Contains(s, "the run's log lists it all") || !strings.Contains(s, "| Age |") {
		t.Error("no note of the cut, or no ages")
	}
}

// TestInventoryHostileText: names and words from GitHub and the workflows
// are server text: no escape sequence reaches a terminal, and no link,
// image, HTML or mention is made in Markdown.
func TestInventoryHostileText(t *testing.T) {
	t.Parallel()
	i := inv.Inventory{Owner: "acme", Repositories: []string{"acme/app"}}
	env := "prod\x1b[2J<img src=x>[click](https://evil.example)@octocat"
	i.Secrets = []inv.Row{{Secret: inv.Secret{Name: "TOKEN", Level: inv.LevelEnvironment, Repository: "acme/app", Environment: env, UpdatedAt: invNow}}}
	i.NotVisible = []inv.Gap{{Part: inv.PartEnvironmentSecrets, Repository: "acme/app", Environment: env, Reason: "GitHub answered 403: \x1b]8;;https://evil\x07here"}}
	term := InventoryTerminal(i, Style{})
	if strings.ContainsAny(term, "\x1b\x07") {
		t.Errorf("a control character reached the terminal: %q", term)
	}
	for _, md := range []string{InventorySummary(i), InventoryIssue(i, 60000)} {
		for _, bad := range []string{"<img", "[click](", "@octocat", "\x1b"} {
			if strings.Contains(md, bad) {
				t.Errorf("%q survived into Markdown:\n%s", bad, md)
			}
		}
	}
}

// TestInventoryJSONShape: an organization-level finding has no place; a
// finding in a file has its line.
func TestInventoryJSONShape(t *testing.T) {
	t.Parallel()
	i := inv.Inventory{Owner: "acme", Findings: []inv.Finding{
		{Finding: finding.Finding{Code: inv.CodeUnused, Severity: finding.Warning, Secret: "ORG_X"}},
		{Repository: "acme/app", Wins: inv.LevelRepository, Via: ".github/workflows/c.yml:4", Finding: finding.Finding{Code: inv.CodeShadowed, Severity: finding.Warning, Secret: "X", Place: finding.Place{File: ".github/workflows/a.yml", Line: 7}}},
	}}
	doc := InventoryJSON(i)
	if doc.Version != 1 || doc.Findings[0].Line != nil || doc.Findings[0].File != "" || doc.Findings[0].Repository != "" {
		t.Errorf("organization-level: %+v", doc.Findings[0])
	}
	if f := doc.Findings[1]; f.Line == nil || *f.Line != 7 || f.Wins != "repository" || f.Via == "" {
		t.Errorf("in a file: %+v", f)
	}
	if doc.Secrets == nil || doc.NotVisible == nil {
		t.Error("empty lists must be [], not null")
	}
}
