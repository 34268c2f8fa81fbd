package command

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/report"
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

Exit status: 0 passes (warnings allowed), 1 fails the gate, 2 bad usage.

Flags:
`

func (c *Command) terminal(ctx context.Context) int {
	fs := flag.NewFlagSet("token-gate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apiDefault := c.getenv("GITHUB_API_URL")
	if apiDefault == "" {
		apiDefault = config.Defaults[config.InAPIURL]
	}
	flags := map[string]*string{}
	str := func(name, def, help string) { flags[name] = fs.String(name, def, help) }
	str(config.InTokenName, "token", "how messages name the token, e.g. the secret it will be saved as")
	str(config.InRequiredScopes, config.Defaults[config.InRequiredScopes], "classic scopes the token must hold, separated by commas or spaces; '' disables the check")
	str(config.InWarnWithinDays, config.Defaults[config.InWarnWithinDays], "warn when the token expires in fewer days than this; 0 turns it off")
	str(config.InFailWithinDays, config.Defaults[config.InFailWithinDays], "fail when the token expires in fewer days than this; 0 fails only a token that no longer works")
	str(config.InOnMissing, config.Defaults[config.InOnMissing], "fail, warn or skip: what an empty token does")
	str(config.InAPIURL, apiDefault, "the REST API base (default $GITHUB_API_URL, else https://api.github.com); GHES is https://HOST/api/v3")
	str(config.InPackages, "", "images to probe for push rights, REGISTRY/OWNER/NAME, separated by commas or spaces")
	tokensFile := fs.String("tokens-file", "", "a file of more tokens to check, one NAME=VALUE per line")
	fromStdin := fs.Bool("token-stdin", false, "read the token from standard input")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	showVersion := fs.Bool("version", false, "print the version")

	for _, arg := range c.Args {
		name := strings.TrimLeft(strings.SplitN(arg, "=", 2)[0], "-")
		if strings.HasPrefix(arg, "-") && (name == "token" || name == "github-token") {
			errorf(c.Stderr, "there is no --%s flag: a token on the command line ends up in shell history and ps. Set GH_TOKEN, or pipe it in with --token-stdin.", name)
			return ExitUsage
		}
	}
	if err := fs.Parse(c.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(fs)
			return ExitPass
		}
		errorf(c.Stderr, "%v (see --help)", err)
		return ExitUsage
	}
	if *showVersion {
		fmt.Fprintln(c.Stdout, "token-gate", version.String())
		return ExitPass
	}
	if fs.NArg() > 0 {
		errorf(c.Stderr, "unexpected argument %q; the token is read from GH_TOKEN, GITHUB_TOKEN or --token-stdin, never from the command line (see --help)", clipArg(fs.Arg(0)))
		return ExitUsage
	}

	raw := config.Raw{}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := flags[f.Name]; ok {
			raw[f.Name] = *p
		}
	})
	raw[config.InAPIURL] = *flags[config.InAPIURL]
	switch {
	case *fromStdin:
		data, err := io.ReadAll(io.LimitReader(c.Stdin, 1<<20))
		if err != nil {
			errorf(c.Stderr, "reading the token from standard input: %v", err)
			return ExitUsage
		}
		raw[config.InToken] = string(data)
	case c.getenv("GH_TOKEN") != "":
		raw[config.InToken] = c.getenv("GH_TOKEN")
	default:
		raw[config.InToken] = c.getenv("GITHUB_TOKEN")
	}
	if *tokensFile != "" {
		data, err := os.ReadFile(*tokensFile)
		if err != nil {
			errorf(c.Stderr, "flag --tokens-file: %v", err)
			return ExitUsage
		}
		raw[config.InTokens] = string(data)
	}

	sec := &secrets{}
	sec.add(raw[config.InToken])
	for _, v := range tokensValues(raw[config.InTokens]) {
		sec.add(v)
	}
	cfg, err := config.Parse(raw, c.getenv, true)
	if err != nil {
		errorf(c.Stderr, "%s", sec.redact(err.Error()))
		return ExitUsage
	}
	run := c.run(ctx, cfg, func(v string) { sec.add(v) })
	if *asJSON {
		data, _ := json.MarshalIndent(report.JSON(run), "", "  ")
		fmt.Fprintln(c.Stdout, sec.redact(string(data)))
	} else {
		fmt.Fprint(c.Stdout, sec.redact(report.Terminal(run)))
	}
	return exitStatus(run)
}

func (c *Command) usage(fs *flag.FlagSet) {
	fmt.Fprint(c.Stdout, usageHead)
	fs.SetOutput(c.Stdout)
	fs.PrintDefaults()
}

func clipArg(s string) string {
	// An argument might be a token pasted by mistake: show only its start.
	if len(s) > 8 {
		return s[:4] + "…"
	}
	return s
}
