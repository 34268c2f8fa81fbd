package command

import (
	"context"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
)

func syncReminders(ctx context.Context, cfg config.Config, vs []gate.Verdict, deps gate.Deps) ([]gate.Reminder, []gate.Finding) {
	return nil, nil
}
