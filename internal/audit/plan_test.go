package audit

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/workflow"
)

// planOf reads one workflow held in memory into its run and planner.
func planOf(t *testing.T, src string) *planner {
	t.Helper()
	f := workflow.Parse(workflow.Dir+"/w.yml", []byte(src))
	if f.Err != nil {
		t.Fatalf("%v\n%s", f.Err, src)
	}
	a := newAuditor(&workflow.Repo{Files: []*workflow.File{f}}, Options{})
	return a.planner(a.buildRun(f))
}

// halfReleased lists the jobs whose publishes ran, in some scenario, while
// the credential CR was expired and tried.
func halfReleased(p *planner) []string {
	var out []string
	k := credKey{"CR", "ghcr.io"}
	p.each(false, func(sc scenario) {
		o := p.simulate(sc.with(k, expired))
		if !o.triedCred(k) {
			return
		}
		for e := range o.ran() {
			if e.kind == evPublish && !slices.Contains(out, e.node.id) {
				out = append(out, e.node.id)
			}
		}
	})
	slices.Sort(out)
	return out
}

const (
	loginCR = "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: u\n          password: ${{ secrets.CR }}\n"
	pypi    = "      - uses: pypa/gh-action-pypi-publish@release/v1\n"
)

// GitHub's rules for what runs after what, each as a case whose half
// release depends on it (docs/facts.md, "Job dependencies").
func TestPlanSemantics(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{{
		name: "a job beside the login publishes whatever the login does",
		src:  "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR + "  pypi:\n    runs-on: x\n    steps:\n" + pypi,
		want: []string{"pypi"},
	}, {
		name: "a job that needs the login's job waits for it",
		src:  "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR + "  pypi:\n    needs: image\n    runs-on: x\n    steps:\n" + pypi,
		want: nil,
	}, {
		name: "implicit success() covers every ancestor, through an always() job (actions/runner#2205)",
		src: "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR +
			"  notes:\n    needs: image\n    if: always()\n    runs-on: x\n    steps:\n      - run: echo\n" +
			"  pypi:\n    needs: notes\n    runs-on: x\n    steps:\n" + pypi,
		want: nil,
	}, {
		name: "always() itself runs after the failure",
		src:  "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR + "  pypi:\n    needs: image\n    if: always()\n    runs-on: x\n    steps:\n" + pypi,
		want: []string{"pypi"},
	}, {
		name: "a job-level continue-on-error reads as a success to the jobs after it",
		src:  "on: push\njobs:\n  image:\n    continue-on-error: true\n    runs-on: x\n    steps:\n" + loginCR + "  pypi:\n    needs: image\n    runs-on: x\n    steps:\n" + pypi,
		want: []string{"pypi"},
	}, {
		name: "needs.X.result says how X ended",
		src:  "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR + "  pypi:\n    needs: image\n    if: always() && needs.image.result == 'success'\n    runs-on: x\n    steps:\n" + pypi,
		want: nil,
	}, {
		name: "a skipped job's dependents are skipped: a release that accepts it is not",
		src: "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR +
			"  manifest:\n    needs: image\n    runs-on: x\n    steps:\n      - run: echo\n" +
			"  release:\n    needs: manifest\n    if: always() && needs.manifest.result != 'failure'\n    runs-on: x\n    steps:\n" + pypi,
		want: []string{"release"},
	}, {
		name: "a step after the login in its job does not run after it failed",
		src:  "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + loginCR + pypi,
		want: nil,
	}, {
		name: "a step before the login in its job publishes first",
		src:  "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + pypi + loginCR,
		want: []string{"a"},
	}, {
		name: "a step with if: always() runs after the login failed",
		src:  "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + loginCR + "      - if: always()\n        uses: pypa/gh-action-pypi-publish@release/v1\n",
		want: []string{"a"},
	}, {
		name: "a login with continue-on-error lets the job go on",
		src:  "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + strings.Replace(loginCR, "      - uses:", "      - continue-on-error: true\n        uses:", 1) + pypi,
		want: []string{"a"},
	}, {
		name: "a login whose if: can be false proves nothing when it is",
		src:  "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + strings.Replace(loginCR, "      - uses:", "      - if: github.ref == 'refs/heads/main'\n        uses:", 1) + pypi + "      - if: github.ref == 'refs/heads/main'\n        run: docker push ghcr.io/acme/x\n",
		want: nil, // when the login is skipped, the credential is not used: nothing is half done
	}, {
		name: "the same atom on the login's job and the publish's is one",
		src: "on: push\njobs:\n  image:\n    if: vars.RELEASE == 'true'\n    runs-on: x\n    steps:\n" + loginCR +
			"  pypi:\n    needs: image\n    if: vars.RELEASE == 'true'\n    runs-on: x\n    steps:\n" + pypi,
		want: nil,
	}, {
		name: "the event fixes github.event_name",
		src: "on:\n  push:\n    tags: [v*]\njobs:\n  image:\n    if: github.event_name == 'pull_request'\n    runs-on: x\n    steps:\n" + loginCR +
			"  pypi:\n    runs-on: x\n    steps:\n" + pypi,
		want: nil, // the login never runs on a tag push
	}, {
		name: "tags-only filters fix the kind of ref",
		src: "on:\n  push:\n    tags: [v*]\njobs:\n  image:\n    if: startsWith(github.ref, 'refs/tags/')\n    runs-on: x\n    steps:\n" + loginCR +
			"  pypi:\n    runs-on: x\n    steps:\n" + pypi,
		want: []string{"pypi"},
	}, {
		name: "a background step's failure shows at the wait",
		src: "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + strings.Replace(loginCR, "      - uses:", "      - background: true\n        uses:", 1) + pypi +
			"      - wait-all: true\n",
		want: []string{"a"},
	}, {
		name: "a called workflow's jobs run when its caller does",
		src:  "on: push\njobs:\n  image:\n    runs-on: x\n    steps:\n" + loginCR + "  release:\n    needs: image\n    uses: ./.github/workflows/w.yml\n",
		want: nil,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := halfReleased(planOf(t, c.src)); !slices.Equal(got, c.want) {
				t.Errorf("published while CR was bad: %v; want %v\n%s", got, c.want, c.src)
			}
		})
	}
}

// explore tries an atom both ways only where a simulation asks about it.
func TestExplore(t *testing.T) {
	var runs []map[string]bool
	explore(&workflow.Trigger{Event: "push"}, false, func(sc scenario) {
		got := map[string]bool{}
		if sc.ask("a") {
			got["a"] = true
			got["b"] = sc.ask("b")
		} else {
			got["a"] = false
		}
		runs = append(runs, got)
	})
	// a false asks nothing more; a true asks b both ways: three runs.
	if len(runs) != 3 || runs[0]["a"] || !runs[1]["a"] || runs[1]["b"] || !runs[2]["b"] {
		t.Errorf("runs %v", runs)
	}
}

// Empty secrets: the events whose runs may have them (a fork's pull
// request, Dependabot's) and no others.
func TestEmptySecrets(t *testing.T) {
	for _, c := range []struct {
		event workflow.Trigger
		want  bool
	}{
		{workflow.Trigger{Event: "pull_request"}, true},
		{workflow.Trigger{Event: "pull_request_target"}, false},
		{workflow.Trigger{Event: "push", HasTags: true}, false},
		{workflow.Trigger{Event: "push"}, true},
		{workflow.Trigger{Event: "push", HasBranches: true}, true},
		{workflow.Trigger{Event: "workflow_dispatch"}, false},
		{workflow.Trigger{Event: "release"}, false},
		{workflow.Trigger{Event: "pull_request_review_comment"}, true},
	} {
		event, want := c.event, c.want
		if got := emptySecrets(event); got != want {
			t.Errorf("%+v: %v; want %v", event, got, want)
		}
	}
}

// joinedIs is strings.ToLower(strings.Join(parts, ".")) == name without
// the allocations, for the names triggerContext asks about.
func TestJoinedIs(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"event", "EVENT", "Event_Name", "event_name", "action", "ACTION", "ref_type", "Ref_Type", "", ".", "event.action", "\u212a", "é", "\xff", "ref", "_type"}
	for range 50000 {
		parts := make([]string, 1+rng.IntN(3))
		for i := range parts {
			parts[i] = pieces[rng.IntN(len(pieces))]
		}
		for _, name := range []string{"event_name", "event.action", "ref_type"} {
			if got, want := joinedIs(parts, name), strings.ToLower(strings.Join(parts, ".")) == name; got != want {
				t.Errorf("joinedIs(%q, %q) = %v, want %v", parts, name, got, want)
			}
		}
	}
}

// whileBad keeps its answer: the second question of one credential is
// answered without simulating, and every answer is what a fresh sweep of
// the scenarios gives.
func TestWhileBadAnswersOnce(t *testing.T) {
	k := credKey{"CR", "ghcr.io"}
	swept := func(p *planner, mode badMode) (out [][]int) {
		p.each(false, func(sc scenario) {
			o := p.simulate(sc.with(k, mode))
			if !o.triedCred(k) {
				return
			}
			var ran []int
			for e := range o.ran() {
				ran = append(ran, e.idx)
			}
			out = append(out, ran)
		})
		return out
	}
	asked := func(p *planner, mode badMode) (out [][]int) {
		p.whileBad(k, mode, func(ran iter.Seq[*event]) {
			var got []int
			for e := range ran {
				got = append(got, e.idx)
			}
			out = append(out, got)
		})
		return out
	}
	src := "on: [push, release]\njobs:\n  image:\n    if: vars.IMAGES == 'on'\n    runs-on: x\n    steps:\n" + loginCR +
		"      - run: docker push ghcr.io/o/a\n  pypi:\n    if: github.event_name == 'release' || vars.PYPI\n    runs-on: x\n    steps:\n" + pypi
	for _, mode := range []badMode{expired, noRights} {
		want := swept(planOf(t, src), mode)
		if len(want) < 2 {
			t.Fatalf("mode %d: %d scenarios tried the credential, want several to compare", mode, len(want))
		}
		p := planOf(t, src)
		if got := asked(p, mode); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("mode %d: first answer %v, a fresh sweep %v", mode, got, want)
		}
		p.scratch = nil // simulate sets it again: the second answer must not
		if got := asked(p, mode); !slices.EqualFunc(got, want, slices.Equal) || p.scratch != nil {
			t.Errorf("mode %d: second answer %v (simulated again: %v), want %v kept", mode, got, p.scratch != nil, want)
		}
	}
}

// whileBad keeps its answers a bit an event: a hostile file's scenarios,
// for each of its credentials and both ways of being bad, held as lists of
// events took gigabytes (3.2 GB where the sweeps themselves took 0.5).
// Here, 256 scenarios of about a hundred events for 10 credentials: what
// is kept must be well under what lists of the events would hold.
func TestWhileBadKeepsLittle(t *testing.T) {
	var b strings.Builder
	b.WriteString("on: push\njobs:\n")
	for i := range 8 {
		fmt.Fprintf(&b, "  g%d:\n    if: vars.A%d == 'on'\n    runs-on: x\n    steps:\n      - run: echo hi\n", i, i)
	}
	for j := range 10 {
		fmt.Fprintf(&b, "  p%d:\n    runs-on: x\n    steps:\n", j)
		for k := range 5 {
			fmt.Fprintf(&b, "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: u\n          password: ${{ secrets.S%d }}\n      - run: docker push ghcr.io/acme/i%d-%d\n", (j*5+k)%10, j, k)
		}
	}
	p := planOf(t, b.String())
	creds := runCreds(p.r)
	if len(creds) != 10 {
		t.Fatalf("%d credentials, want 10", len(creds))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	asLists := 0 // bytes the answers would take as lists of event numbers
	for _, k := range creds {
		for _, mode := range []badMode{expired, noRights} {
			p.whileBad(k, mode, func(ran iter.Seq[*event]) {
				for range ran {
					asLists += 4
				}
			})
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	if asLists < 1<<20 {
		t.Fatalf("the answers are %d KB as lists; want a megabyte or more, to measure against", asLists>>10)
	}
	if kept := int64(after.HeapAlloc) - int64(before.HeapAlloc); kept > int64(asLists/4) {
		t.Errorf("the kept answers hold %d KB, as lists they would take %d KB", kept>>10, asLists>>10)
	}
}
