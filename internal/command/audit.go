package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/suppress"
	"github.com/token-gate/token-gate/internal/version"
	"github.com/token-gate/token-gate/internal/workflow"
)

const auditUsage = `Usage: token-gate audit [--format text|json|sarif|github] [--fix] [--no-ignore] [--color=auto|always|never] [DIR]

Reads DIR/.github/workflows (DIR is . by default) and the local reusable
workflows they call, and reports every push credential (a secret that logs
docker, podman, buildah, skopeo or crane in, or that token-gate checks),
where it is used, the images it pushes, and what publishes before it is
proven. Nothing is sent anywhere; no token is needed.

  token-gate audit                         # the repository you stand in
  token-gate audit --fix                   # write the pre-flight job and its needs
  token-gate audit --format json ../app    # for tools (--json is the same)
  token-gate audit --format sarif > token-gate.sarif   # for GitHub code scanning
  token-gate audit --format github         # annotations, from a run: step

A finding is suppressed by a comment on its line, or alone on the line
above it: # token-gate: ignore[CODE] (or ignore[CODE1,CODE2]). The totals
count suppressed findings, --no-ignore shows them, and they fail nothing.

Exit status: 0 no error finding, 1 an error finding, 2 bad usage, no
.github/workflows in DIR, or an internal error (a bug in token-gate).
The format changes what is printed, not the exit status.

Flags:
`

// The audit's output formats (docs/formats.md).
const (
	formatText   = "text"
	formatJSON   = "json"
	formatSARIF  = "sarif"
	formatGitHub = "github"
)

// auditMain is `token-gate audit`: it reads, judges, renders and, with
// --fix, writes the fix and audits again, so that what it prints is what
// the files now say.
func (c *Command) auditMain(args []string) int {
	fs := flag.NewFlagSet("token-gate audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", formatText, "text, json, sarif or github: how to print the audit (docs/formats.md)")
	asJSON := fs.Bool("json", false, "the same as --format json")
	fix := fs.Bool("fix", false, "write the fix into the workflow files: a pre-flight job, and needs: on it")
	noIgnore := fs.Bool("no-ignore", false, "show the findings that # token-gate: ignore[CODE] comments suppress (they still fail nothing)")
	color := fs.String("color", "auto", colorHelp)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.Stdout, auditUsage)
			fs.SetOutput(c.Stdout)
			fs.PrintDefaults()
			return ExitPass
		}
		errorf(c.Stderr, "%s (see token-gate audit --help)", quoteArgs(err.Error(), args, fs))
		return ExitUsage
	}
	switch *format {
	case formatText, formatJSON, formatSARIF, formatGitHub:
	default:
		errorf(c.Stderr, "flag --format: %s is not one of text, json, sarif, github (see token-gate audit --help)", secret.Quote(clipArg(*format)))
		return ExitUsage
	}
	if *asJSON {
		if formatGiven(fs) && *format != formatJSON {
			errorf(c.Stderr, "--json is --format json; it cannot go with --format %s", *format)
			return ExitUsage
		}
		*format = formatJSON
	}
	st, err := c.style(*color)
	if err != nil {
		errorf(c.Stderr, "%s", err)
		return ExitUsage
	}
	if fs.NArg() > 1 {
		errorf(c.Stderr, "audit takes one folder, not %d (see token-gate audit --help)", fs.NArg())
		return ExitUsage
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	build := version.Read()
	opts := audit.Options{TokenGate: build.ActionRef()}
	opts.Repository, opts.RepositoryFrom = c.repository(dir)
	a, code := c.auditDir(dir, opts)
	if code != ExitPass {
		return code
	}
	if *fix {
		if err := writeFixes(dir, a.result.Fix(), a.links, c.Stderr); err != nil {
			errorf(c.Stderr, "--fix: %v", err)
			return ExitFail
		}
		if a, code = c.auditDir(dir, opts); code != ExitPass {
			return code
		}
	}
	for _, u := range a.comments.Unknown(audit.Codes()) {
		// Workflow text, redacted as the audit's report is, before errorf
		// escapes it: a token written there is not repeated whole.
		errorf(c.Stderr, "%s:%d: ignore[%s] names no code token-gate has, so it suppresses nothing (the codes: %s)",
			secret.RedactShaped(u.File), u.Line, secret.RedactShaped(joinCodes(u.Codes)), report.CodesURL)
	}
	rep := a.report
	show := report.AuditOptions{Style: st, ShowSuppressed: *noIgnore}
	switch *format {
	case formatJSON:
		fmt.Fprintf(c.Stdout, "%s\n", report.MarshalAudit(rep, show))
	case formatSARIF:
		fmt.Fprintf(c.Stdout, "%s\n", report.SARIF(rep, report.SARIFOptions{Version: build.Version, Sources: a.sources, ShowSuppressed: *noIgnore}))
	case formatGitHub:
		annotate(githubactions.New(githubactions.WithGetenv(c.getenv), githubactions.WithWriter(c.Stdout)), report.AuditAnnotations(rep, show))
		fmt.Fprint(c.Stdout, report.LogSafe("token-gate audit: "+report.AuditTotals(rep)+"\n"))
	default:
		fmt.Fprint(c.Stdout, report.AuditTerminal(rep, show))
	}
	return auditExit(rep)
}

// auditExit is the audit's exit status: 2 for a bug in token-gate (an
// internal-error finding), which is no verdict on the workflows; 1 for an
// error finding; else 0.
func auditExit(rep finding.Report) int {
	switch {
	case slices.ContainsFunc(rep.Findings, func(f finding.Finding) bool { return f.Code == audit.CodeInternal }):
		return ExitUsage
	case rep.HasErrors():
		return ExitFail
	}
	return ExitPass
}

// formatGiven reports whether --format was on the command line.
func formatGiven(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "format" })
	return given
}

func joinCodes(codes []finding.Code) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return strings.Join(out, ",")
}

// audited is one audit of a folder: the audit's result (for --fix), its
// report with the ignore comments applied, the comments, and the files'
// text by path.
type audited struct {
	result   audit.Result
	report   finding.Report
	comments suppress.Comments
	sources  map[string][]byte
	// links are the workflow files reached through a symbolic link, which
	// --fix does not write.
	links map[string]bool
}

func (c *Command) auditDir(dir string, opts audit.Options) (audited, int) {
	repo, err := workflow.Load(dir)
	switch {
	case errors.Is(err, workflow.ErrNoWorkflows):
		errorf(c.Stderr, "%s has no .github/workflows folder: run the audit at a repository's root, or name one: token-gate audit path/to/repo", secret.Quote(dir))
		return audited{}, ExitUsage
	case err != nil:
		errorf(c.Stderr, "cannot read %s: %v", secret.Quote(filepath.Join(dir, workflow.Dir)), err)
		return audited{}, ExitUsage
	}
	a := audited{sources: sources(repo), links: map[string]bool{}}
	for _, f := range repo.Files {
		a.links[f.Path] = f.Link
	}
	a.comments = suppress.Read(a.sources)
	opts.Ignored = a.comments.Suppresses // --fix leaves what they suppress alone
	a.result = audit.Audit(repo, opts)
	a.report = a.comments.Apply(a.result.Report)
	return a, ExitPass
}

// sources are the workflow files' text by their repository-relative path,
// as findings name them.
func sources(repo *workflow.Repo) map[string][]byte {
	out := make(map[string][]byte, len(repo.Files))
	for _, f := range repo.Files {
		out[f.Path] = f.Source
	}
	return out
}

// writeFixes writes each fixed file in place, through a temporary file
// renamed over it so that a failure leaves the file whole, and keeps its
// mode. A file reached through a link is not written (renaming over the
// link would replace it, and the file it points at may serve others), nor
// a read-only one: each is said, and its findings stay.
func writeFixes(root string, fixed map[string][]byte, links map[string]bool, log io.Writer) error {
	paths := make([]string, 0, len(fixed))
	for p := range fixed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		target := filepath.Join(root, filepath.FromSlash(p))
		shown := secret.RedactShaped(p) // a file's name is workflow text: redacted whole before it is shown
		info, err := os.Lstat(target)
		if err != nil {
			return err
		}
		switch {
		case links[p] || info.Mode()&os.ModeSymlink != 0:
			errorf(log, "not fixed: %s is a link; apply the fix shown to the file it points at", shown)
			continue
		case !info.Mode().IsRegular():
			errorf(log, "not fixed: %s is not a regular file", shown)
			continue
		case info.Mode().Perm()&0o200 == 0:
			errorf(log, "not fixed: %s is read-only; make it writable (chmod u+w) and run --fix again", shown)
			continue
		}
		tmp, err := os.CreateTemp(filepath.Dir(target), ".token-gate-fix-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(fixed[p])
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), info.Mode().Perm())); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), target); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		fmt.Fprint(log, report.LogSafe("token-gate: fixed "+report.Inline(shown)+"\n"))
	}
	return nil
}
