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
	// Mask hides a secret learnt during the run (a registry token, the Basic
	// credentials sent), before anything could print it.
	Mask func(string)
	// MaskBasic hides HTTP Basic credentials in every encoded form.
	MaskBasic func(user, pass string)
}

// Parallel bounds how many tokens, and how many image probes or diagnoses per
// token, are in flight at once: enough to make N close to the cost of one,
// few enough not to trip a secondary rate limit.
const Parallel = 4

// All gathers the facts of every entry concurrently, at most Parallel at a
// time, in input order.
func All(ctx context.Context, cfg config.Config, deps Deps) []facts.Token {
	out := make([]facts.Token, len(cfg.Entries))
	each(len(cfg.Entries), func(i int) { out[i] = One(ctx, cfg, cfg.Entries[i], deps) })
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
		Mask:     deps.Mask,
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

// diagnose asks GitHub why the registry refused each refused image, at most
// one question per image and none on the happy path. An organization-wide
// answer (SSO, a policy) covers every refused image of that owner, so each
// owner is asked about one image first, and about its others only if the
// answer was about that package alone.
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
	var mu sync.Mutex
	out := map[string]facts.Diagnosis{}
	set := func(img image.Image, d facts.Diagnosis) {
		mu.Lock()
		out[img.String()] = d
		mu.Unlock()
	}
	each(len(owners), func(i int) {
		imgs := byOwner[owners[i]]
		first := client.Diagnose(ctx, imgs[0], login)
		set(imgs[0], first)
		if coversOwner(first) {
			for _, img := range imgs[1:] {
				set(img, first)
			}
			return
		}
		rest := imgs[1:]
		results := make([]facts.Diagnosis, len(rest))
		each(len(rest), func(k int) { results[k] = client.Diagnose(ctx, rest[k], login) })
		for k, img := range rest {
			set(img, results[k])
		}
	})
	return out
}

// coversOwner reports an answer about the whole organization rather than one
// package, or a fault that another question would only repeat.
func coversOwner(d facts.Diagnosis) bool {
	switch d.Err.(type) {
	case *facts.SSOError, *facts.PolicyError, *facts.RateLimitError, *facts.UnreachableError, *facts.RefusedError:
		return true
	}
	return false
}
