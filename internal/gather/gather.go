// Package gather owns asking the services: for each token it makes the
// requests the gate's plan calls for (GitHub's one inspecting request, the
// push probe of each image, one diagnosis per refused image) and returns what
// they said as plain facts. It is the only place, with the reminder issues,
// where a run does I/O; it judges nothing.
package gather

import (
	"context"
	"net/http"
	"sync"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/registry"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Deps are the outside world, injected so tests control the network.
type Deps struct {
	Transport http.RoundTripper
	Policy    transport.Policy
	// MaskIssued hides a token a server issued during the run (a registry
	// token), before anything could print it.
	MaskIssued func(string)
	// MaskBasic hides HTTP Basic credentials in every encoded form.
	MaskBasic func(user, pass string)
	// Scrub redacts and bounds what the servers said, once the run's
	// secrets are all known; nil leaves the facts as they came.
	Scrub facts.Scrubber
}

// Parallel bounds how many tokens, and how many image probes or diagnoses per
// token, are in flight at once: enough to make N close to the cost of one,
// few enough not to trip a secondary rate limit.
const Parallel = 4

// All gathers the facts of every entry concurrently, at most Parallel at a
// time, in input order. Only when every request is done, and so every
// secret of the run is known, is what the servers said scrubbed: redacted
// whole, then cut (docs/facts.md, "Server text").
func All(ctx context.Context, cfg config.Config, deps Deps) []facts.Token {
	out := make([]facts.Token, len(cfg.Entries))
	each(len(cfg.Entries), func(i int) { out[i] = One(ctx, cfg, cfg.Entries[i], deps) })
	if deps.Scrub != nil {
		for i := range out {
			out[i] = out[i].Scrubbed(deps.Scrub)
		}
	}
	return out
}

// each runs f(0..n-1), at most Parallel at once.
func each(n int, f func(int)) {
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// One gathers the facts of one entry.
func One(ctx context.Context, cfg config.Config, e config.Entry, deps Deps) facts.Token {
	var f facts.Token
	if gate.AsksRegistry(cfg, e) {
		return registryCredential(ctx, cfg, e, deps)
	}
	if !gate.AsksGitHub(cfg, e) {
		return f
	}
	client, err := github.NewClient(cfg.APIURL, e.Value, deps.Transport, deps.Policy)
	if err != nil {
		f.GitHub = &facts.GitHub{Err: &facts.RefusedError{Reason: err.Error()}}
		return f
	}
	answer := client.Inspect(ctx, token.KindOf(e.Value))
	f.GitHub = &answer
	if len(cfg.Packages) == 0 || gate.ProbeBlocker(cfg, e, f.GitHub, nil) != "" {
		return f
	}
	f.Images = probe(ctx, cfg, e.Value, deps)
	f.Diagnoses = diagnose(ctx, cfg, client, answer.Account.Login, f.Images)
	return f
}

// probe runs the push probe of every image. ghcr.io ignores the Basic user
// name; Docker clients send any.
func probe(ctx context.Context, cfg config.Config, secret string, deps Deps) []facts.ImageResult {
	return prober(cfg.Packages, "token-gate", secret, deps).ProbeAll(ctx, cfg.Packages)
}

// prober sends user:secret only to these images' registries (and their
// known token services), and masks the Basic credentials in every form
// before the first request.
func prober(images []image.Image, user, secret string, deps Deps) *registry.Prober {
	if deps.MaskBasic != nil {
		deps.MaskBasic(user, secret)
	}
	return &registry.Prober{
		Client:   registry.NewClient(deps.Transport, deps.Policy, images),
		Username: user,
		Secret:   secret,
		Mask:     deps.MaskIssued,
		Parallel: Parallel,
	}
}

// registryCredential checks a credential for a registry other than GitHub's:
// the login alone at the token service, then, if it was not refused, the
// push probe of every image. GitHub is never asked.
func registryCredential(ctx context.Context, cfg config.Config, e config.Entry, deps Deps) facts.Token {
	home := image.Image{Registry: cfg.Registry}
	p := prober(append([]image.Image{home}, cfg.Packages...), cfg.Username, e.Value, deps)
	login := p.Login(ctx, cfg.Registry)
	f := facts.Token{Login: &login}
	if len(cfg.Packages) > 0 && gate.ProbeBlocker(cfg, e, nil, &login) == "" {
		f.Images = p.ProbeAll(ctx, cfg.Packages)
	}
	return f
}

// diagnose asks GitHub why the registry refused each refused image, none
// on the happy path. Each owner is asked once what it is (a user, an
// organization, the token's own account), then about one of its refused
// images, and about its others only if that answer was about the one
// package alone: SSO and policies cover the organization. A fault of the
// token or of GitHub (a 401, a rate limit, GitHub down) covers the rest of
// the run, so the first owner is asked alone and later questions reuse it.
func diagnose(ctx context.Context, cfg config.Config, client *github.Client, login string, results []facts.ImageResult) map[string]facts.Diagnosis {
	byOwner := map[string][]image.Image{}
	var owners []string
	for _, r := range results {
		if !gate.NeedsDiagnosis(cfg, r) {
			continue
		}
		o := r.Image.Owner()
		if byOwner[o] == nil {
			owners = append(owners, o)
		}
		byOwner[o] = append(byOwner[o], r.Image)
	}
	if len(owners) == 0 {
		return nil
	}
	d := &diagnoser{client: client, login: login, out: map[string]facts.Diagnosis{}}
	d.owner(ctx, owners[0], byOwner[owners[0]])
	rest := owners[1:]
	each(len(rest), func(i int) { d.owner(ctx, rest[i], byOwner[rest[i]]) })
	return d.out
}

// diagnoser carries the diagnosis of one token's refused images.
type diagnoser struct {
	client *github.Client
	login  string

	mu      sync.Mutex
	out     map[string]facts.Diagnosis
	runWide error // an answer every further question would meet too
}

func (d *diagnoser) owner(ctx context.Context, owner string, imgs []image.Image) {
	var kind facts.OwnerKind
	first := d.ask(func() facts.Diagnosis {
		k, err := d.client.Owner(ctx, owner, d.login)
		kind = k
		if err != nil {
			return facts.Diagnosis{Owner: k, Err: err}
		}
		return d.client.Package(ctx, imgs[0], k)
	})
	d.set(imgs[0], first)
	if coversOwner(first) {
		for _, img := range imgs[1:] {
			d.set(img, first)
		}
		return
	}
	rest := imgs[1:]
	each(len(rest), func(k int) {
		d.set(rest[k], d.ask(func() facts.Diagnosis { return d.client.Package(ctx, rest[k], kind) }))
	})
}

// ask makes one question unless an earlier answer covers the run.
func (d *diagnoser) ask(question func() facts.Diagnosis) facts.Diagnosis {
	d.mu.Lock()
	if d.runWide != nil {
		err := d.runWide
		d.mu.Unlock()
		return facts.Diagnosis{Err: err}
	}
	d.mu.Unlock()
	answer := question()
	if coversRun(answer.Err) {
		d.mu.Lock()
		if d.runWide == nil {
			d.runWide = answer.Err
		}
		d.mu.Unlock()
	}
	return answer
}

func (d *diagnoser) set(img image.Image, answer facts.Diagnosis) {
	d.mu.Lock()
	d.out[img.String()] = answer
	d.mu.Unlock()
}

// coversOwner reports an answer about the whole owner rather than one
// package: SSO, a policy, no such account, or a fault that covers the run.
func coversOwner(d facts.Diagnosis) bool {
	switch d.Err.(type) {
	case *facts.SSOError, *facts.PolicyError:
		return true
	}
	return d.Owner == facts.OwnerMissing || coversRun(d.Err)
}

// coversRun reports a fault that any further question would meet: the
// token refused (401; GitHub locks out repeated bad credentials, so it is
// never asked twice), GitHub's lockout itself, a rate limit, GitHub
// unreachable, or a request token-gate refuses to send.
func coversRun(err error) bool {
	switch err.(type) {
	case *facts.BadCredentialsError, *facts.LockoutError, *facts.RateLimitError, *facts.UnreachableError, *facts.RefusedError:
		return true
	}
	return false
}
