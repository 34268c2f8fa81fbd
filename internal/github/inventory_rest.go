package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/inventory"
)

// The REST half of the inventory's reads: the secrets at every level, each
// list to its end, and the listing and files when GraphQL is not there.

// restSecret is a secret as the REST API lists it.
type restSecret struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Visibility string    `json:"visibility"`
}

func (s restSecret) secret(level inventory.Level, repo, env string) inventory.Secret {
	return inventory.Secret{Name: s.Name, Level: level, Repository: repo, Environment: env, Visibility: s.Visibility, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// listSecrets reads a secrets list to its end.
func (r *Reader) listSecrets(ctx context.Context, first string) ([]restSecret, error) {
	var out []restSecret
	err := r.list(ctx, first, func(body json.RawMessage) error {
		var page struct {
			Secrets []restSecret `json:"secrets"`
		}
		err := json.Unmarshal(body, &page)
		out = append(out, page.Secrets...)
		return err
	})
	return out, err
}

// environments lists a repository's environment names to the end.
func (r *Reader) environments(ctx context.Context, owner, name string) ([]string, error) {
	var out []string
	err := r.list(ctx, r.rest("repos", owner, name, "environments"), func(body json.RawMessage) error {
		var page struct {
			Environments []struct {
				Name string `json:"name"`
			} `json:"environments"`
		}
		err := json.Unmarshal(body, &page)
		for _, e := range page.Environments {
			out = append(out, e.Name)
		}
		return err
	})
	return out, err
}

// selected lists the repositories a selected organization secret reaches.
func (r *Reader) selected(ctx context.Context, org, secret string) ([]string, error) {
	var out []string
	err := r.list(ctx, r.rest("orgs", org, "actions", "secrets", secret, "repositories"), func(body json.RawMessage) error {
		var page struct {
			Repositories []restRepo `json:"repositories"`
		}
		err := json.Unmarshal(body, &page)
		for _, repo := range page.Repositories {
			out = append(out, repo.FullName)
		}
		return err
	})
	return out, err
}

// restRepo is a repository as the REST API lists it.
type restRepo struct {
	FullName   string `json:"full_name"`
	Private    bool   `json:"private"`
	Visibility string `json:"visibility"`
	Archived   bool   `json:"archived"`
	Fork       bool   `json:"fork"`
}

func (r restRepo) visibility() string {
	switch {
	case r.Visibility != "":
		return r.Visibility
	case r.Private:
		return "private"
	}
	return "public"
}

// list reads a REST list to its end, following each answer's Link: next,
// and hands each page's body to page.
func (r *Reader) list(ctx context.Context, first string, page func(json.RawMessage) error) error {
	next := first
	for pages := 0; next != ""; pages++ {
		if pages >= maxPages {
			return fmt.Errorf("a list ran past %d pages of 100; it was cut there", maxPages)
		}
		var body json.RawMessage
		var err error
		if next, err = r.getJSON(ctx, next, &body); err != nil {
			return err
		}
		if err := page(body); err != nil {
			if errors.Is(err, errListCut) {
				return err
			}
			return fmt.Errorf("GitHub's answer could not be read: %v", err)
		}
	}
	return nil
}

// maxPages bounds one list: 100,000 items at 100 a page.
const maxPages = 1000

// rest builds a REST URL from escaped path segments, 100 items a page.
func (r *Reader) rest(segments ...string) string {
	u := *r.api
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	u.Path = strings.TrimRight(r.api.Path, "/") + "/" + strings.Join(segments, "/")
	u.RawPath = strings.TrimRight(r.api.EscapedPath(), "/") + "/" + strings.Join(escaped, "/")
	u.RawQuery = "per_page=100"
	return u.String()
}

// getJSON GETs one REST answer into into, and returns the next page's URL
// from its Link header.
func (r *Reader) getJSON(ctx context.Context, rawURL string, into any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := r.do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", withAccepted(Classify(ctx, &gh.Response{Response: resp}, gh.CheckResponse(resp)), resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return "", unexpected(resp)
	}
	return nextLink(resp.Header.Get("Link")), nil
}

// do sends one request within the bound on requests in flight.
func (r *Reader) do(req *http.Request) (*http.Response, error) {
	select {
	case r.sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, Classify(req.Context(), nil, req.Context().Err())
	}
	defer func() { <-r.sem }()
	r.setProgress(func(p *Progress) { p.Requests++ })
	resp, err := r.client.Do(req)
	var rl *facts.RateLimitError
	switch {
	case errors.As(err, &rl):
		return nil, rl // the Limiter's: not sent, for a limit past the run's bound
	case err != nil:
		return nil, Classify(req.Context(), nil, err)
	}
	return resp, nil
}

// nextLink reads the rel="next" URL of a Link header (GitHub docs, "Using
// pagination in the REST API").
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// AcceptedError is a refusal with the permissions GitHub said the endpoint
// takes (X-Accepted-GitHub-Permissions), for the words of a Gap.
type AcceptedError struct {
	Err      error
	Accepted string
}

func (e *AcceptedError) Error() string { return e.Err.Error() }
func (e *AcceptedError) Unwrap() error { return e.Err }

func withAccepted(err error, resp *http.Response) error {
	if a := resp.Header.Get("X-Accepted-GitHub-Permissions"); a != "" {
		return &AcceptedError{Err: err, Accepted: a}
	}
	return err
}

// gapFrom words a refused read as a Gap: what GitHub answered, and the
// permission that would show the part, unless no permission would (a rate
// limit, an outage).
func gapFrom(part, repo, env, secret string, err error) inventory.Gap {
	g := inventory.Gap{Part: part, Repository: repo, Environment: env, Secret: secret}
	var (
		rl  *facts.RateLimitError
		sso *facts.SSOError
		api *facts.APIError
		un  *facts.UnreachableError
		acc *AcceptedError
	)
	switch {
	case errors.As(err, &rl):
		g.Reason = "GitHub's rate limit stopped this read"
		if !rl.Reset.IsZero() {
			g.Reason += " until " + rl.Reset.UTC().Format("2006-01-02 15:04 UTC")
		}
		g.Reason += "; it is not missing: run again after the reset"
		return g
	case errors.As(err, &un):
		g.Reason = un.Error() + "; run again later"
		return g
	case errors.As(err, &sso):
		g.Reason = "the organization enforces SAML single sign-on and the token is not authorized for it"
		g.Permission = "authorize the token for the organization (the token's settings → Configure SSO)"
		return g
	case errors.As(err, &api):
		g.Reason = fmt.Sprintf("GitHub answered %d", api.Status)
		if api.Message != "" {
			g.Reason += ": " + api.Message
		}
		if api.Status == http.StatusNotFound {
			g.Reason += " (GitHub answers 404 too when the token may not read it)"
		}
	default:
		g.Reason = err.Error()
	}
	g.Permission = inventory.Permission(part)
	if errors.As(err, &acc) {
		g.Permission += "; GitHub's answer asks for " + acc.Accepted
	}
	return g
}

// notFound reports a REST answer of 404.
func notFound(err error) bool {
	var api *facts.APIError
	return errors.As(err, &api) && api.Status == http.StatusNotFound
}

// ownerKind asks the REST API whether the owner is an organization.
func (r *Reader) ownerKind(ctx context.Context, owner string) (string, error) {
	var a account
	if _, err := r.getJSON(ctx, r.rest("users", owner), &a); err != nil {
		if notFound(err) {
			return "", fmt.Errorf("%w: GitHub shows this token no organization or user named %s", ErrNoOwner, owner)
		}
		return "", err
	}
	return a.Type, nil
}

// ownerREST reads every repository of the owner through REST: the
// listing, then each repository's .github/workflows folder and files.
func (run *readRun) ownerREST(ctx context.Context) error {
	kind, err := run.r.ownerKind(ctx, run.t.Owner)
	if err != nil {
		return err
	}
	run.setKind(ctx, kind)
	first := run.r.rest("orgs", run.t.Owner, "repos")
	if kind != "Organization" {
		// This lists a user's public repositories only (GitHub docs,
		// "List repositories for a user"), whoever asks.
		first = run.r.rest("users", run.t.Owner, "repos")
		run.note("Only " + run.t.Owner + "'s public repositories can be listed through the REST API.")
	}
	first += "&type=all"
	count := 0
	complete := true
	err = run.r.list(ctx, first, func(body json.RawMessage) error {
		var repos []restRepo
		if err := json.Unmarshal(body, &repos); err != nil {
			return err
		}
		for _, repo := range repos {
			if count >= run.t.MaxRepos {
				complete = false
				return errListCut
			}
			l := listed{name: repo.FullName, visibility: repo.visibility(), archived: repo.Archived, fork: repo.Fork}
			if run.include(l) {
				count++
				run.start(ctx, l)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errListCut) {
		if run.fatal(err) {
			return nil
		}
		run.gap(gapFrom(inventory.PartRepositories, "", "", "", err))
		complete = false
	}
	run.endListing(count, complete)
	return nil
}

var errListCut = errors.New("the listing was cut at --max-repos")

// restFiles reads a repository's workflow folder and its files through
// REST. A 404 is a repository without workflows.
func (r *Reader) restFiles(ctx context.Context, owner, name string) ([]WorkflowFile, error) {
	var entries []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	_, err := r.getJSON(ctx, r.rest("repos", owner, name, "contents", ".github", "workflows"), &entries)
	switch {
	case notFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var files []WorkflowFile
	for _, e := range entries {
		if e.Type == "file" && isWorkflowName(e.Name) {
			files = append(files, r.restFile(ctx, owner, name, e.Name))
		}
	}
	return files, nil
}

// restFile reads one workflow file through REST; the contents API gives
// files up to 1 MB in base64 (GitHub docs, "Get repository content").
func (r *Reader) restFile(ctx context.Context, owner, name, file string) WorkflowFile {
	f := WorkflowFile{Path: path.Join(".github/workflows", file)}
	var c struct {
		Encoding string `json:"encoding"`
		Content  string `json:"content"`
		Size     int    `json:"size"`
	}
	if _, err := r.getJSON(ctx, r.rest("repos", owner, name, "contents", ".github", "workflows", file), &c); err != nil {
		f.Err = "it could not be read: " + err.Error()
		return f
	}
	if c.Encoding != "base64" {
		f.Err = fmt.Sprintf("GitHub gives its %d bytes only as a download, which token-gate does not fetch", c.Size)
		return f
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(c.Content, "\n", ""))
	if err != nil {
		f.Err = "its content was not base64"
		return f
	}
	f.Source = data
	return f
}
