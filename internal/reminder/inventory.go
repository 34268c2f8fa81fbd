package reminder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"

	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/report"
)

// The inventory issue is kept by the same machinery as the reminders: one
// open issue per owner, found again by a hidden marker, edited only when
// what it says has changed (a digest of its title and body, without the
// footer's date), its duplicates closed, every write paced and never sent
// twice.

var inventoryMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`<!-- token-gate-inventory: ([A-Za-z0-9][A-Za-z0-9._-]*) -->`)
})

func inventoryKey(owner string) string { return "inventory:" + strings.ToLower(owner) }

// Document is an issue's content: its title, and its body without the
// marker and footer Keep adds.
type Document struct {
	Title string
	Body  string
}

// KeepInventory makes the open inventory issue of owner say doc: it opens
// one when there is none, edits it when what it says changed, and closes
// any duplicate. A refusal by the issues API becomes one warning.
func KeepInventory(ctx context.Context, client *gh.Client, opts Options, owner string, doc Document) ([]gate.Reminder, []gate.Finding) {
	s := newSyncer(client, opts, "The inventory above stands.")
	open, truncated, err := s.list(ctx)
	if err != nil {
		return nil, []gate.Finding{s.refused("list the open issues", err)}
	}
	name := "inventory of " + owner
	var done []gate.Reminder
	existing := open[inventoryKey(owner)]
	var kept openIssue
	if len(existing) > 0 {
		kept = existing[0]
		for _, dup := range existing[1:] {
			comment := fmt.Sprintf("Closing as a duplicate of #%d, the token inventory token-gate keeps for %s.", kept.number, owner)
			if err := s.closeIssue(ctx, dup.number, comment, "not_planned"); err != nil {
				return done, []gate.Finding{s.refused("close a duplicate inventory issue", err)}
			}
			done = append(done, gate.Reminder{Name: name, Action: "closed-duplicate", Number: dup.number, URL: dup.url})
		}
	}
	title := report.CutRunes(s.o.Redact(doc.Title), MaxTitle) // redacted whole, then cut
	body := s.o.Redact(doc.Body)
	sum := sha256.Sum256([]byte(title + "\n" + body))
	digest := hex.EncodeToString(sum[:6])
	full := fmt.Sprintf("<!-- token-gate-inventory: %s -->\n<!-- token-gate-digest: %s -->\n", owner, digest) + body +
		fmt.Sprintf("\n_Kept by token-gate. Last written %s. %s_\n", s.o.Now.UTC().Format("2006-01-02"), s.runLink())
	switch {
	case kept.number == 0 && truncated:
		return done, []gate.Finding{{Code: gate.CodeRemindersFailed, Severity: gate.Warning, Title: "Inventory issue not updated",
			Message: fmt.Sprintf("More than %d open issues matched the labels, so the inventory issue may exist beyond them and none is opened, to avoid a duplicate. Give the inventory issue a label of its own (reminder-labels).", s.o.MaxPages*100)}}
	case kept.number == 0:
		opened, err := s.create(ctx, name, title, full)
		if err != nil {
			return done, []gate.Finding{s.refused("open the inventory issue", err)}
		}
		return append(done, opened), nil
	case kept.digest == digest:
		return done, nil // it already says all this
	}
	if err := s.edit(ctx, kept.number, title, full); err != nil {
		return done, []gate.Finding{s.refused("update the inventory issue", err)}
	}
	return append(done, gate.Reminder{Name: name, Action: "updated", Number: kept.number, URL: kept.url}), nil
}
