package command

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/token-gate/token-gate/internal/report"
)

// writeOutputs appends the outputs to the runner's GITHUB_OUTPUT file as
// NAME<<DELIMITER heredocs with a random delimiter, as actions/toolkit does.
// go-githubactions' SetOutput uses a fixed delimiter, so a value equal to it
// would end the heredoc early (docs/facts.md, "Workflow commands").
func writeOutputs(path string, outputs []report.Output) error {
	return appendFileCommand("GITHUB_OUTPUT", path, outputs)
}

// appendFileCommand appends NAME<<DELIMITER heredocs to one of the runner's
// file commands (GITHUB_OUTPUT, GITHUB_ENV), called file in errors.
func appendFileCommand(file, path string, outputs []report.Output) error {
	var b strings.Builder
	for _, o := range outputs {
		delim, err := delimiterFor(o.Value)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", file, err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", file, err)
	}
	return f.Close()
}

// delimiterFor returns a random delimiter that no line of value equals.
func delimiterFor(value string) (string, error) {
	for range 3 {
		var buf [16]byte
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no output delimiter absent from the value")
}
