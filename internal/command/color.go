package command

import (
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
)

// IsTerminal reports whether f is a terminal, as the terminal driver
// answers (a character device is not enough: /dev/null is one too). main
// asks it once; the command only reads the answer.
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// colorHelp is --color's help, and the environment it honours.
const colorHelp = "auto, always or never: colour the report (auto colours a terminal; NO_COLOR turns it off, FORCE_COLOR on)"

// style decides colour (docs/facts.md, "Colour"): --color=always or never
// first; then FORCE_COLOR, then NO_COLOR, each when set and not empty;
// then a terminal that is not TERM=dumb.
func (c *Command) style(flagValue string) (report.Style, error) {
	switch flagValue {
	case "always":
		return report.Style{Color: true}, nil
	case "never":
		return report.Style{}, nil
	case "auto", "":
	default:
		return report.Style{}, fmt.Errorf("flag --color: %s is not one of auto, always, never", secret.Quote(clipArg(flagValue)))
	}
	switch {
	case c.getenv("FORCE_COLOR") != "":
		return report.Style{Color: true}, nil
	case c.getenv("NO_COLOR") != "":
		return report.Style{}, nil
	}
	return report.Style{Color: c.StdoutIsTerminal && c.getenv("TERM") != "dumb"}, nil
}
