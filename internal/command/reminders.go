package command

import (
	"context"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/reminder"
)

// syncReminders keeps the reminder issues with github-token, which config
// has already checked is none of the tokens being judged.
func syncReminders(ctx context.Context, cfg config.Config, vs []gate.Verdict, deps gate.Deps) ([]gate.Reminder, []gate.Finding) {
	client, err := github.NewClient(cfg.APIURL, cfg.GitHubToken, deps.Transport, deps.Policy)
	if err != nil {
		return nil, []gate.Finding{{Severity: gate.Warning, Title: "Reminder issues not updated", Message: err.Error()}}
	}
	owner, repo, _ := strings.Cut(cfg.Repository, "/")
	return reminder.Sync(ctx, client.REST(), reminder.Options{
		Owner:          owner,
		Repo:           repo,
		Labels:         cfg.ReminderLabels,
		Mentions:       cfg.ReminderMentions,
		RequiredScopes: cfg.RequiredScopes,
		Links:          gate.Links{Server: cfg.ServerURL, Repository: cfg.Repository},
		RunID:          cfg.RunID,
		Now:            deps.Now(),
	}, vs)
}
