package command

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/workflow"
)

const auditUsage = `Usage: token-gate audit [--json] [--fix] [--color=auto|always|never] [DIR]

Reads DIR/.github/workflows (DIR is . by default) and the local reusable
workflows they call, and reports every push credential (a secret that logs
docker, podman, buildah, skopeo or crane in, or that token-gate checks),
where it is used, the images it pushes, and what publishes before it is
proven. Nothing is sent anywhere; no token is needed.

  token-gate audit                 # the repository you stand in
  token-gate audit --fix           # write the pre-flight job and its needs
  token-gate audit --json ../app   # for tools

Exit status: 0 no error finding, 1 an error finding, 2 bad usage or no
.github/workflows in DIR.

Flags:
`

// auditMain is `token-gate audit`: it reads, judges, renders and, with
// --fix, writes the fix and audits again, so that what it prints is what
// the files now say.
func (c *Command) auditMain(args []string) int {
	fs := flag.NewFlagSet("token-gate audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the audit as JSON (version 1)")
	fix := fs.Bool("fix", false, "write the fix into the workflow files: a pre-flight job, and needs: on it")
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
	opts := audit.Options{Repository: c.getenv("GITHUB_REPOSITORY")}
	res, code := c.auditDir(dir, opts)
	if code != ExitPass {
		return code
	}
	if *fix {
		if err := writeFixes(dir, res.Fix(), c.Stderr); err != nil {
			errorf(c.Stderr, "--fix: %v", err)
			return ExitFail
		}
		if res, code = c.auditDir(dir, opts); code != ExitPass {
			return code
		}
	}
	if *asJSON {
		data, _ := json.MarshalIndent(report.AuditJSON(res.Report), "", "  ")
		fmt.Fprintln(c.Stdout, string(data))
	} else {
		fmt.Fprint(c.Stdout, report.AuditTerminal(res.Report, st))
	}
	if res.HasErrors() {
		return ExitFail
	}
	return ExitPass
}

func (c *Command) auditDir(dir string, opts audit.Options) (audit.Result, int) {
	repo, err := workflow.Load(dir)
	switch {
	case errors.Is(err, workflow.ErrNoWorkflows):
		errorf(c.Stderr, "%s has no .github/workflows folder: run the audit at a repository's root, or name one: token-gate audit path/to/repo", secret.Quote(dir))
		return audit.Result{}, ExitUsage
	case err != nil:
		errorf(c.Stderr, "cannot read %s: %v", secret.Quote(filepath.Join(dir, workflow.Dir)), err)
		return audit.Result{}, ExitUsage
	}
	return audit.Audit(repo, opts), ExitPass
}

// writeFixes writes each fixed file in place, through a temporary file
// renamed over it so that a failure leaves the file whole, and keeps its
// mode.
func writeFixes(root string, fixed map[string][]byte, log io.Writer) error {
	paths := make([]string, 0, len(fixed))
	for p := range fixed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		target := filepath.Join(root, filepath.FromSlash(p))
		info, err := os.Stat(target)
		if err != nil {
			return err
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
		fmt.Fprintf(log, "token-gate: fixed %s\n", p)
	}
	return nil
}
