package command

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/version"
)

const usageHead = `Usage: token-gate [flags]

Checks that a GitHub token works, holds the scopes a push to ghcr.io needs,
is not about to expire, and can push to the given images, before the token
is saved as a secret or a long build starts.

The token is read from GH_TOKEN or GITHUB_TOKEN, or from standard input with
--token-stdin. It is never taken from a flag: flags end up in shell history
and in ps.

  GH_TOKEN=$(cat token.txt) token-gate --packages ghcr.io/OWNER/NAME
  pbpaste | token-gate --token-stdin --required-scopes 'repo, write:packages'

To find what to check, read the repository's workflows (no token needed):

  token-gate audit [--fix] [DIR]      (see token-gate audit --help)

To list an organization's secrets, where each is used and what is wrong:

  token-gate inventory OWNER[/REPO]   (see token-gate inventory --help)

Exit status: 0 passes (warnings allowed), 1 fails the gate, 2 bad usage.

This is the command line wherever it runs, a run: step included. The GitHub
Action starts the same binary as "token-gate action" (action.yml does), and
then it reads its inputs from INPUT_* variables.

Environment: GH_TOKEN or GITHUB_TOKEN holds the token; NO_COLOR turns colour
off and FORCE_COLOR on (--color wins over both); GITHUB_API_URL is the
default --api-url.

Flags:
`

// flagInputs are the inputs the terminal takes as flags of the same name.
// The token inputs are absent on purpose: a token on the command line ends up
// in shell history and ps.
var flagInputs = []struct{ name, help string }{
	{config.InTokenName, "how messages name the token, e.g. the secret it will be saved as"},
	{config.InRequiredScopes, "classic scopes the token must hold, separated by commas or spaces; '' disables the check"},
	{config.InWarnWithinDays, "warn when the token expires in fewer days than this; 0 turns it off"},
	{config.InFailWithinDays, "fail when the token expires in fewer days than this; 0 fails only a token that no longer works"},
	{config.InOnMissing, "fail, warn or skip: what an empty token does"},
	{config.InAPIURL, "the REST API base (default $GITHUB_API_URL, else https://api.github.com); GHES is https://HOST/api/v3"},
	{config.InPackages, "images to probe for push rights, REGISTRY/OWNER/NAME, separated by commas or spaces"},
	{config.InRegistry, "the registry the token is a credential for, e.g. docker.io; empty means GitHub's"},
	{config.InUsername, "the account to log in to --registry as"},
}

// terminalOptions are the parsed command line: the same raw inputs the
// action reads, plus what only a terminal has.
type terminalOptions struct {
	raw         config.Raw
	tokensFile  string
	fromStdin   bool
	asJSON      bool
	color       string
	showVersion bool
	showHelp    bool
}

// parseFlags turns the command line into raw inputs. It reads no token.
func parseFlags(args []string) (terminalOptions, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("token-gate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]*string{}
	for _, f := range flagInputs {
		values[f.name] = fs.String(f.name, config.Default(f.name), f.help)
	}
	var o terminalOptions
	fs.StringVar(&o.tokensFile, "tokens-file", "", "a file of more tokens to check, one NAME=VALUE per line")
	fs.BoolVar(&o.fromStdin, "token-stdin", false, "read the token from standard input")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.showVersion, "version", false, "print the version")
	fs.StringVar(&o.color, "color", "auto", colorHelp)

	if err := refuseTokenFlag(args); err != nil {
		return o, fs, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			o.showHelp = true
			return o, fs, nil
		}
		return o, fs, fmt.Errorf("%s (see --help)", quoteArgs(err.Error(), args, fs))
	}
	if fs.NArg() > 0 {
		return o, fs, fmt.Errorf("unexpected argument %s; the token is read from GH_TOKEN, GITHUB_TOKEN or --token-stdin, never from the command line (see --help)", secret.Quote(clipArg(fs.Arg(0))))
	}
	o.raw = config.Raw{}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := values[f.Name]; ok {
			o.raw[f.Name] = *p
		}
	})
	return o, fs, nil
}

// refuseTokenFlag refuses --token and --github-token, saying why there are
// none: a token on the command line ends up in shell history and ps.
func refuseTokenFlag(args []string) error {
	for _, arg := range args {
		name := strings.TrimLeft(strings.SplitN(arg, "=", 2)[0], "-")
		if strings.HasPrefix(arg, "-") && (name == config.InToken || name == config.InGitHubToken) {
			return fmt.Errorf("there is no --%s flag: a token on the command line ends up in shell history and ps. Set GH_TOKEN, or pipe it in with --token-stdin", name)
		}
	}
	return nil
}

func (c *Command) terminal(ctx context.Context) int {
	o, fs, err := parseFlags(c.Args)
	switch {
	case err != nil:
		errorf(c.Stderr, "%s", err)
		return ExitUsage
	case o.showHelp:
		c.usage(fs)
		return ExitPass
	case o.showVersion:
		fmt.Fprintln(c.Stdout, "token-gate", version.String())
		return ExitPass
	}
	st, err := c.style(o.color)
	if err != nil {
		errorf(c.Stderr, "%s", err)
		return ExitUsage
	}
	raw := o.raw
	from := "GH_TOKEN"
	switch {
	case o.fromStdin:
		from = "standard input (--token-stdin)"
		data, err := io.ReadAll(io.LimitReader(c.Stdin, maxTokenStdin+1))
		if err != nil {
			errorf(c.Stderr, "reading the token from standard input: %v", err)
			return ExitUsage
		}
		if len(data) > maxTokenStdin {
			errorf(c.Stderr, "%s", tooLong(from))
			return ExitUsage
		}
		raw[config.InToken] = string(data)
	case c.getenv("GH_TOKEN") != "":
		raw[config.InToken] = c.getenv("GH_TOKEN")
	default:
		from = "GITHUB_TOKEN"
		raw[config.InToken] = c.getenv("GITHUB_TOKEN")
	}
	// No token is longer than token.MaxLength (docs/facts.md, "Token
	// kinds"). A longer value is a file piped in by mistake: it is refused
	// here, before anything records or quotes it, since every
	// whitespace-separated piece of a token is recorded as a secret of its
	// own, and standard input is not read beyond that length.
	if len(strings.TrimSpace(raw[config.InToken])) > token.MaxLength {
		errorf(c.Stderr, "%s", tooLong(from))
		return ExitUsage
	}
	if o.tokensFile != "" {
		data, err := readBounded(o.tokensFile, maxTokenFile)
		if err != nil {
			errorf(c.Stderr, "flag --tokens-file: %v", err)
			return ExitUsage
		}
		for _, l := range config.TokenLines(string(data)) {
			// Refused before anything records what the line may hold, as
			// a token from standard input is.
			if len(strings.TrimSpace(l.Value)) > token.MaxLength || len(l.Name) > token.MaxLength {
				errorf(c.Stderr, "flag --tokens-file: line %d holds more than any NAME=TOKEN line (a token is at most %d bytes); it is not shown, and nothing was sent", l.Number, token.MaxLength)
				return ExitUsage
			}
		}
		raw[config.InTokens] = string(data)
	}
	if strings.TrimSpace(raw[config.InToken]) == "" && strings.TrimSpace(raw[config.InTokens]) == "" {
		errorf(c.Stderr, "no token to check: set GH_TOKEN, or pipe it with --token-stdin (see --help)")
		return ExitUsage
	}

	sec := secret.NewSet(nil)
	maskInputs(sec, raw)
	cfg, err := config.Parse(raw, c.getenv, true)
	if err != nil {
		errorf(c.Stderr, "%s", report.TerminalText(sec.Redact(err.Error())))
		return ExitUsage
	}
	run := c.run(ctx, cfg, sec)
	if o.asJSON {
		data, _ := json.MarshalIndent(report.JSON(run), "", "  ")
		fmt.Fprintln(c.Stdout, string(report.SafeJSON(data)))
	} else {
		fmt.Fprint(c.Stdout, report.Terminal(run, st))
	}
	return exitStatus(run)
}

// maxTokenFile bounds what --tokens-file reads: 50 tokens of at most 4 KiB
// each, with room for names and comments. /dev/zero or a file picked by
// mistake is refused, not read whole.
const maxTokenFile = 1 << 20

// maxTokenStdin bounds what --token-stdin reads: one token, with room for
// the spaces and line break around it.
const maxTokenStdin = token.MaxLength + 64

// tooLong refuses a token longer than any token, without a word of it.
func tooLong(from string) string {
	return fmt.Sprintf("the token from %s is longer than any token (more than %d bytes), so nothing was sent and none of it is shown. Give the token alone, e.g. GH_TOKEN=$(cat token.txt) with the file holding only the token, or a file of NAME=TOKEN lines with --tokens-file", from, token.MaxLength)
}

// readBounded reads at most limit bytes of path, and refuses a longer file.
// Its errors quote the path through secret.Quote: a path is what was typed
// after --tokens-file, which may be a token given where a path belongs, or
// anything at all.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New(secret.QuotePaths(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, errors.New(secret.QuotePaths(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB; it holds NAME=VALUE lines, at most %d of them", secret.Quote(path), limit>>10, config.MaxTokens)
	}
	return data, nil
}

func (c *Command) usage(fs *flag.FlagSet) {
	fmt.Fprint(c.Stdout, usageHead)
	fs.SetOutput(c.Stdout)
	fs.PrintDefaults()
}

// quoteArgs rewrites a flag package error so that every argument it quotes
// goes through secret.Quote, cut to its start as an unexpected argument is:
// `--json=ghp_…` and `-ghp_…` put a token on the command line, and the flag
// package prints it whole. A defined flag's name is kept as it is; anything
// else an argument holds is a possible secret.
func quoteArgs(msg string, args []string, fs *flag.FlagSet) string {
	type piece struct {
		text    string
		keepMax int // shown whole up to this length; a longer one only by its start
	}
	var pieces []piece
	for _, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if hasValue {
			pieces = append(pieces, piece{value, 8})
		}
		if fs.Lookup(name) == nil {
			// A mistyped flag is worth showing whole; a pasted token is not.
			pieces = append(pieces, piece{name, 20})
		}
		if !strings.HasPrefix(a, "-") {
			pieces = append(pieces, piece{a, 8})
		}
	}
	slices.SortFunc(pieces, func(x, y piece) int { return len(y.text) - len(x.text) })
	for _, p := range pieces {
		if p.text == "" {
			continue
		}
		shown := p.text
		if len(shown) > p.keepMax {
			shown = clipArg(shown)
		}
		q := secret.Quote(shown)
		msg = strings.ReplaceAll(msg, strconv.Quote(p.text), q)
		msg = strings.ReplaceAll(msg, p.text, strings.Trim(q, `"`))
	}
	return msg
}

func clipArg(s string) string {
	// An argument might be a token pasted by mistake: show only its start.
	if len(s) > 8 {
		return s[:4] + "…"
	}
	return s
}
