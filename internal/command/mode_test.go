package command

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/fake"
)

// actionArgs are the arguments action.yml's runs.args gives the container,
// which the runner passes after the image's entrypoint.
var actionArgs = sync.OnceValues(func() ([]string, error) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Runs struct {
			Args []string `yaml:"args"`
		} `yaml:"runs"`
	}
	err = yaml.Unmarshal(data, &meta)
	return meta.Runs.Args, err
})

func runnerArgs(t *testing.T) []string {
	t.Helper()
	args, err := actionArgs()
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// action.yml starts the container as the action, by its one argument.
func TestActionYMLStartsTheAction(t *testing.T) {
	t.Parallel()
	if got := runnerArgs(t); len(got) != 1 || got[0] != ActionArg {
		t.Errorf("action.yml runs.args = %q; want [%s]", got, ActionArg)
	}
}

// The command line is the command line everywhere: in a run: step
// (GITHUB_ACTIONS=true), flags and --version work, and INPUT_* variables,
// if any, are ignored with one line that says so. The action runs only as
// `token-gate action`, or with no arguments and INPUT_* variables.
func TestWhichModeRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages"})
	runStep := map[string]string{"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_API_URL": e.gh.URL}
	with := func(base map[string]string, extra ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			out[extra[i]] = extra[i+1]
		}
		return out
	}
	const ignored = "flags given, so the INPUT_* variables are ignored"

	t.Run("--version in a run: step", func(t *testing.T) {
		r := e.run(t, with(runStep), []string{"--version"}, "")
		if r.Code != ExitPass || !strings.HasPrefix(r.Stdout, "token-gate ") || r.Stderr != "" || len(r.Annotations) > 0 {
			t.Errorf("exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("a check in a run: step", func(t *testing.T) {
		r := e.run(t, with(runStep, "GH_TOKEN", fake.Classic), []string{"--packages", "ghcr.io/aibrix/controller-manager", "--token-name", "CR_PAT"}, "")
		if strings.Contains(r.All(), "Token is empty") || len(r.Annotations) > 0 || !strings.Contains(r.Stdout, "1 token checked") {
			t.Errorf("not the terminal check: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if strings.Contains(r.Stderr, ignored) {
			t.Errorf("no INPUT_* set, yet: %s", r.Stderr)
		}
	})
	t.Run("flags and INPUT_* both", func(t *testing.T) {
		r := e.run(t, with(runStep, "INPUT_TOKEN", fake.Classic, "INPUT_TOKEN-NAME", "FROM_INPUT"), []string{"--version"}, "")
		if r.Code != ExitPass || !strings.HasPrefix(r.Stdout, "token-gate ") || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, ignored) {
			t.Errorf("exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("token-gate action", func(t *testing.T) {
		r := e.run(t, with(runStep, "INPUT_TOKEN", fake.Classic, "INPUT_TOKEN-NAME", "CR_PAT"), []string{ActionArg}, "")
		if r.Code != ExitPass || !strings.HasPrefix(r.Stdout, "::add-mask::") {
			t.Errorf("not the action: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("no arguments and INPUT_* (the composite, docker://)", func(t *testing.T) {
		r := e.run(t, with(runStep, "INPUT_TOKEN", fake.Classic, "INPUT_TOKEN-NAME", "CR_PAT"), nil, "")
		if r.Code != ExitPass || !strings.HasPrefix(r.Stdout, "::add-mask::") {
			t.Errorf("not the action: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("no arguments and no INPUT_*", func(t *testing.T) {
		r := e.run(t, with(runStep), nil, "")
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, "no token to check") || len(r.Annotations) > 0 {
			t.Errorf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("token-gate action with flags", func(t *testing.T) {
		r := e.run(t, with(runStep), []string{ActionArg, "--token=" + fake.Classic}, "")
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, "action takes no flags") || r.Stdout != "" {
			t.Errorf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
}

// The audit never watches signals (it goes to no network, and the
// watcher's threads cost a short process more than its work); every other
// mode asks for an interrupt to end its context, and stops watching when
// it returns.
func TestInterruptsOnlyForTheNetwork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"audit", dir}, false},
		{[]string{"audit", "--json", dir}, false},
		{[]string{"--version"}, true},
		{[]string{"inventory"}, true},
		{[]string{ActionArg}, true},
	} {
		asked, stopped := false, false
		var out strings.Builder
		cmd := &Command{Args: c.args, LookupEnv: func(string) (string, bool) { return "", false }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
			Interrupts: func(ctx context.Context) (context.Context, context.CancelFunc) {
				asked = true
				ctx, cancel := context.WithCancel(ctx)
				return ctx, func() { stopped = true; cancel() }
			}}
		cmd.Main(context.Background())
		if asked != c.want || stopped != c.want {
			t.Errorf("%q: interrupts asked %v, stopped %v; want %v", c.args, asked, stopped, c.want)
		}
	}
}
