package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/destination"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
)

// Input is one input: its name, action.yml's default (an expression there
// for api-url and github-token, which the runner evaluates), and its parser.
type Input struct {
	Name    string
	Default string
	parse   func(p *parser, v string) error
}

// inputs is the one list of inputs. Order matters: a parser may use what an
// earlier one set (packages need api-url's registry; token needs token-name
// and tokens).
var inputs = []Input{
	{Name: InRequiredScopes, Default: "write:packages", parse: (*parser).requiredScopes},
	{Name: InWarnWithinDays, Default: "14", parse: (*parser).warnDays},
	{Name: InFailWithinDays, Default: "0", parse: (*parser).failDays},
	{Name: InOnMissing, Default: "fail", parse: (*parser).onMissing},
	{Name: InAPIURL, Default: "${{ github.api_url }}", parse: (*parser).apiURL},
	{Name: InRegistry, Default: "", parse: (*parser).registry},
	{Name: InUsername, Default: "", parse: (*parser).username},
	{Name: InPackages, Default: "", parse: (*parser).packages},
	{Name: InTokenName, Default: "token", parse: (*parser).parseTokenName},
	{Name: InTokens, Default: "", parse: (*parser).tokens},
	{Name: InToken, parse: (*parser).token},
	{Name: InReminder, Default: "off", parse: (*parser).reminder},
	{Name: InGitHubToken, Default: "${{ github.token }}", parse: (*parser).githubToken},
	{Name: InReminderLabels, Default: "token-expiry", parse: (*parser).labels},
	{Name: InReminderMentions, Default: "", parse: (*parser).mentions},
	{Name: InAudit, Default: "warn", parse: (*parser).audit},
	{Name: InMaxAgeDays, Default: "90", parse: (*parser).maxAgeDays},
	{Name: InMaxRepos, Default: "5000", parse: (*parser).maxRepos},
	{Name: InInventoryInclude, Default: "", parse: (*parser).inventoryInclude},
	{Name: InInventory, Default: "", parse: (*parser).inventory},
}

// Inputs lists every input, as action.yml must declare them.
func Inputs() []Input { return slices.Clone(inputs) }

// Default is the value an absent input takes: action.yml's, except where
// action.yml's is an expression only the runner can evaluate. Those default
// to empty, and an empty api-url then falls back to the runner's own.
func Default(name string) string {
	for _, in := range inputs {
		if in.Name == name && !strings.Contains(in.Default, "${{") {
			return in.Default
		}
	}
	return ""
}

// label names an input as this run's reader sets it.
func (p *parser) label(name string) string { return Label(name, p.c.Terminal) }

// parser carries one Parse: the raw inputs, the environment and the Config
// being built.
type parser struct {
	raw       Raw
	env       func(string) string
	c         Config
	tokenName string
	others    []Entry // from `tokens`
}

var (
	namePattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
	loginPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?$`)
	})
)

// IsSecretName reports whether s can name an Actions secret: letters, digits
// and _, not starting with a digit.
func IsSecretName(s string) bool { return namePattern().MatchString(s) }

func (p *parser) requiredScopes(v string) error {
	scopes, err := token.ParseRequiredScopes(v)
	var ue *token.UnknownScopeError
	switch {
	case errors.As(err, &ue):
		fix := "Use a classic scope name, such as write:packages or repo"
		if ue.Suggestion != "" {
			fix = fmt.Sprintf("Did you mean %q?", ue.Suggestion)
		}
		return bad(InRequiredScopes, ue.Scope, "not a GitHub classic scope", fix)
	case err != nil:
		return bad(InRequiredScopes, v, err.Error(), "")
	}
	p.c.RequiredScopes = scopes
	return nil
}

func days(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= 0 && n <= 3650
}

func (p *parser) warnDays(v string) error {
	n, ok := days(v)
	if !ok {
		return bad(InWarnWithinDays, v, "not a whole number of days >= 0", "Use a number such as 14, or 0 to turn the warning off")
	}
	p.c.WarnDays = n
	return nil
}

func (p *parser) failDays(v string) error {
	n, ok := days(v)
	if !ok {
		return bad(InFailWithinDays, v, "not a whole number of days >= 0", "Use a number such as 3, or 0 to fail only a token that no longer works")
	}
	if p.c.WarnDays != 0 && n > p.c.WarnDays {
		return bad(InFailWithinDays, v,
			fmt.Sprintf("greater than %s (%d), so the warning could never fire", InWarnWithinDays, p.c.WarnDays),
			fmt.Sprintf("Make %s at most %d, or raise %s", InFailWithinDays, p.c.WarnDays, InWarnWithinDays))
	}
	p.c.FailDays = n
	return nil
}

func (p *parser) onMissing(v string) error {
	switch m := OnMissing(strings.ToLower(strings.TrimSpace(v))); m {
	case MissingFail, MissingWarn, MissingSkip:
		p.c.OnMissing = m
		return nil
	}
	return bad(InOnMissing, v, "not one of fail, warn, skip", "Use fail (the default), warn or skip")
}

func (p *parser) maxAgeDays(v string) error {
	n, ok := days(v)
	if !ok {
		return bad(InMaxAgeDays, v, "not a whole number of days >= 0", "Use a number such as 90, or 0 to turn secret-old off")
	}
	p.c.Inventory.MaxAgeDays = n
	return nil
}

// MaxReposLimit bounds max-repos: GitHub's largest organizations hold a few
// hundred thousand repositories; more than a million is a typo.
const MaxReposLimit = 1_000_000

func (p *parser) maxRepos(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > MaxReposLimit {
		return bad(InMaxRepos, v, fmt.Sprintf("not a whole number between 1 and %d", MaxReposLimit), "Use a number such as 5000")
	}
	p.c.Inventory.MaxRepos = n
	return nil
}

func (p *parser) inventoryInclude(v string) error {
	for _, w := range token.SplitList(v) {
		switch strings.ToLower(w) {
		case "archived":
			p.c.Inventory.IncludeArchived = true
		case "forks":
			p.c.Inventory.IncludeForks = true
		default:
			return bad(InInventoryInclude, w, "not archived or forks", "List archived, forks, or both, separated by commas or spaces")
		}
	}
	return nil
}

var (
	ownerPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`) })
	repoPattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`) })
)

// inventory reads `inventory`: OWNER, or OWNER/REPO, as GitHub spells
// logins (letters, digits and hyphens, at most 39) and repository names.
func (p *parser) inventory(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	const fix = "Name an organization or user, e.g. vllm-project, or one repository, e.g. vllm-project/aibrix"
	if token.PrefixOf(v) != "" {
		return bad(InInventory, "", "looks like a token, not an owner", "Put the token in "+p.label(InToken)+"; "+fix)
	}
	owner, repo, hasRepo := strings.Cut(v, "/")
	switch {
	case !ownerPattern().MatchString(owner):
		return bad(InInventory, v, "not an organization or user name (letters, digits and hyphens, at most 39)", fix)
	case hasRepo && (!repoPattern().MatchString(repo) || repo == "." || repo == ".."):
		return bad(InInventory, v, "not OWNER/REPO (a repository name is letters, digits, '.', '-' and '_')", fix)
	}
	p.c.Inventory.Owner, p.c.Inventory.Repo = owner, repo
	return nil
}

func (p *parser) audit(v string) error {
	switch m := AuditMode(strings.ToLower(strings.TrimSpace(v))); m {
	case AuditOff, AuditWarn, AuditFail:
		p.c.Audit = m
		return nil
	}
	return bad(InAudit, v, "not one of off, warn, fail", "Use warn (the default), fail, or off")
}

// apiURL reads api-url. Empty means the runner's own API (GITHUB_API_URL),
// then github.com's: an `api-url: ”` must not send a GHES token to
// github.com.
func (p *parser) apiURL(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		v = strings.TrimSpace(p.env("GITHUB_API_URL"))
	}
	if v == "" {
		v = DefaultAPIURL
	}
	const fix = "Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server"
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad(InAPIURL, redactURLText(v), "not an absolute URL", fix)
	}
	quoted := u.Redacted()
	switch {
	case u.User != nil:
		return bad(InAPIURL, quoted, "holds credentials; the token goes in "+p.label(InToken), fix)
	case u.RawQuery != "" || u.Fragment != "":
		return bad(InAPIURL, quoted, "has a query or fragment", fix)
	case !validPort(u.Port()):
		return bad(InAPIURL, quoted, fmt.Sprintf("port %s is not between 1 and 65535", u.Port()), fix)
	case u.Scheme != "https" && u.Scheme != "http":
		return bad(InAPIURL, quoted, fmt.Sprintf("scheme %q is not https", u.Scheme), fix)
	case destination.CheckScheme(u) != nil:
		return bad(InAPIURL, quoted, "plain http to a host that is not loopback would send the token in clear text", fix)
	}
	p.c.APIURL = u
	p.c.GitHubRegistry = image.GitHubRegistry(u.Host)
	return nil
}

func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// registry reads which registry the token is a credential for. Empty, or the
// GitHub registry of api-url's server, means a GitHub token; docker.io means
// Docker Hub; any other host is that registry.
func (p *parser) registry(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	const fix = "Write the registry's host as docker/login-action takes it, e.g. docker.io, or leave it empty for " + "GitHub's registry"
	host := image.RegistryFromInput(v)
	if len(host) > MaxHostLength {
		// Checked first: a long value must never reach a message whole.
		return bad(InRegistry, v, fmt.Sprintf("%d characters long, longer than any host name and port (at most %d)", len(host), MaxHostLength), fix)
	}
	if !image.IsHost(host) {
		return bad(InRegistry, v, "not a registry host", fix)
	}
	if !validPort(portOf(host)) {
		return bad(InRegistry, v, fmt.Sprintf("port %s is not between 1 and 65535", portOf(host)), fix)
	}
	if host != p.c.GitHubRegistry {
		p.c.Registry = host
	}
	return nil
}

func (p *parser) username(v string) error {
	p.c.Username = strings.TrimSpace(v)
	if len(p.c.Username) > MaxUsernameLength {
		return bad(InUsername, p.c.Username, fmt.Sprintf("%d characters long, more than any registry's account names (at most %d here)", len(p.c.Username), MaxUsernameLength), "Write the account name as you log in with it")
	}
	if strings.ContainsFunc(p.c.Username, func(r rune) bool { return r < ' ' || r == 0x7f || r == ':' }) {
		return bad(InUsername, p.c.Username, "contains a control character or ':'", "Write the account name as you log in with it")
	}
	if token.PrefixOf(p.c.Username) != "" {
		return bad(InUsername, p.c.Username, "looks like a token, not an account name", "Put the token in "+p.label(InToken)+" and the account name here")
	}
	return nil
}

// packages reads the images to probe. A credential is sent only to the
// registry it belongs to: a GitHub token to its own server's registry (and to
// loopback registries, for tests and local mirrors), a registry credential to
// its registry. Any other host is refused here, before anything is sent.
func (p *parser) packages(v string) error {
	const fix = "Write each image as REGISTRY/OWNER/NAME, e.g. ghcr.io/aibrix/gateway-plugins"
	home := p.c.GitHubRegistry
	if p.c.OtherRegistry() {
		home = p.c.Registry
	}
	var out []image.Image
	for _, ref := range token.SplitList(v) {
		img, err := image.Parse(ref, home)
		if err != nil {
			return bad(InPackages, "", err.Error(), fix)
		}
		if !validPort(portOf(img.Registry)) {
			return bad(InPackages, ref, fmt.Sprintf("port %s is not between 1 and 65535", portOf(img.Registry)), fix)
		}
		switch {
		case p.c.OtherRegistry() && img.Registry != home:
			return bad(InPackages, ref, fmt.Sprintf("%s is not %s, the registry input; a credential is sent only to the registry it belongs to", image.DisplayHost(img.Registry), image.DisplayHost(home)),
				fmt.Sprintf("List only images on %s here (OWNER/NAME is enough), and check %s's images in a step with its own credentials", image.DisplayHost(home), image.DisplayHost(img.Registry)))
		case !p.c.OtherRegistry() && img.Registry != home && !img.OnLoopback():
			return bad(InPackages, ref, fmt.Sprintf("%s is not %s, the container registry of %s; the GitHub token is sent to no other registry", image.DisplayHost(img.Registry), home, p.c.APIURL.Host),
				fmt.Sprintf("Fix the registry name (e.g. %s/%s), or check that registry with its own credentials in a separate step (%s and %s)", home, img.Repository, p.label(InRegistry), p.label(InUsername)))
		}
		if !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	if len(out) > image.MaxImages {
		return bad(InPackages, "", fmt.Sprintf("%d images listed; at most %d may be probed in one run", len(out), image.MaxImages), "Split them over several steps")
	}
	p.c.Packages = out
	return nil
}

func portOf(hostport string) string {
	return (&url.URL{Host: hostport}).Port()
}

func (p *parser) parseTokenName(v string) error {
	name := strings.TrimSpace(v)
	if name == "" {
		name = "token"
	}
	// The name appears in code spans, issue markers and secret links, so it
	// keeps the grammar of a secret name.
	if token.PrefixOf(name) != "" {
		return bad(InTokenName, name, "looks like a token, not a secret's name", "Put the token in "+p.label(InToken)+" and the name of its secret here, e.g. GHCR_PUSH_TOKEN")
	}
	if !IsSecretName(name) {
		return bad(InTokenName, name, "not a secret name (letters, digits and _, not starting with a digit)",
			"Use the name of the secret that holds the token, e.g. GHCR_PUSH_TOKEN")
	}
	if len(name) > MaxNameLength {
		return bad(InTokenName, name, fmt.Sprintf("%d characters long, more than %d", len(name), MaxNameLength),
			"Use a shorter name: it goes into issue titles, which GitHub cuts at 256 characters")
	}
	p.tokenName = name
	return nil
}

func (p *parser) tokens(v string) error {
	fix := "Write one NAME=VALUE per line, e.g. DOCS_DEPLOY_TOKEN=${{ secrets.DOCS_DEPLOY_TOKEN }}"
	if p.c.Terminal {
		// A file holds the tokens themselves; a workflow expression means
		// nothing there.
		fix = "Write one NAME=VALUE per line in the file: the name the token goes by (the secret it is saved as), '=', then the token itself, e.g. DOCS_DEPLOY_TOKEN=ghp_…"
	}
	seen := map[string]bool{}
	for _, l := range TokenLines(v) {
		switch {
		case !l.HasEquals:
			// The line may be a bare token; never quote it.
			return bad(InTokens, "", fmt.Sprintf("line %d has no '=' (expected NAME=VALUE)", l.Number), fix)
		case l.Suspect:
			// A bare base64 secret ending in == reads as NAME= plus "=": the
			// "name" is the secret, so neither is quoted.
			return bad(InTokens, "", fmt.Sprintf("line %d is not NAME=VALUE with a secret name (letters, digits and _, not starting with a digit); it may be a bare secret, so it is not shown", l.Number), fix)
		case len(l.Name) > MaxNameLength:
			return bad(InTokens, "", fmt.Sprintf("line %d: the name is %d characters long, more than %d", l.Number, len(l.Name), MaxNameLength), "Use a shorter name: it goes into issue titles, which GitHub cuts at 256 characters")
		case seen[strings.ToUpper(l.Name)]:
			// GitHub treats secret names without regard to case.
			return bad(InTokens, "", fmt.Sprintf("line %d: %q appears twice (names are compared without regard to case)", l.Number, l.Name), "Give each token a distinct name")
		}
		seen[strings.ToUpper(l.Name)] = true
		p.others = append(p.others, newEntry(l.Name, l.Value))
		if len(p.others) > MaxTokens {
			return bad(InTokens, "", fmt.Sprintf("more than %d tokens", MaxTokens), "Split them over several steps")
		}
	}
	return nil
}

// token reads `token`. It may be empty when `tokens` is set; alone, an empty
// one is judged by on-missing.
func (p *parser) token(v string) error {
	if strings.TrimSpace(v) == "" && len(p.others) > 0 {
		p.c.Entries = p.others
		return nil
	}
	e := newEntry(p.tokenName, v)
	for _, other := range p.others {
		if strings.EqualFold(other.Name, e.Name) {
			return bad(InTokens, other.Name, "names the same token as "+p.label(InTokenName), "Give each token a distinct name")
		}
	}
	p.c.Entries = append([]Entry{e}, p.others...)
	return nil
}

func newEntry(name, raw string) Entry {
	tok, err := token.Clean(raw)
	if err != nil {
		return Entry{Name: name, Bad: err.Error()}
	}
	return Entry{Name: name, Value: tok}
}

func (p *parser) reminder(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "":
		return nil
	case "issue":
		p.c.Reminder = true
		return nil
	}
	return bad(InReminder, v, "not one of off, issue", "Use off (the default) or issue")
}

func (p *parser) githubToken(v string) error {
	p.c.GitHubToken = strings.TrimSpace(v)
	return nil
}

func (p *parser) labels(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(p.c.ReminderLabels, s) {
			p.c.ReminderLabels = append(p.c.ReminderLabels, s)
		}
	}
	return nil
}

func (p *parser) mentions(v string) error {
	for _, m := range token.SplitList(v) {
		m = strings.TrimPrefix(m, "@")
		if !loginPattern().MatchString(m) {
			return bad(InReminderMentions, m, "not a GitHub login or team", "Write logins such as octocat or @octocat, separated by commas or spaces")
		}
		p.c.ReminderMentions = append(p.c.ReminderMentions, m)
	}
	return nil
}

// finish applies the rules that join several inputs, and reads the runner's
// environment for links.
func (p *parser) finish() error {
	if err := p.registryRules(); err != nil {
		return err
	}
	if p.c.Reminder {
		if p.c.GitHubToken == "" {
			return bad(InGitHubToken, "", "empty, but reminder: issue needs it to manage issues", "Leave github-token at its default (${{ github.token }}) and grant permissions: issues: write")
		}
		for _, e := range p.c.Entries {
			if e.Value != "" && e.Value == p.c.GitHubToken {
				return bad(InGitHubToken, "", "is the same token as "+e.Name+", one of the tokens being checked", "Use ${{ github.token }} for github-token")
			}
		}
		if !strings.Contains(p.env("GITHUB_REPOSITORY"), "/") {
			return bad(InReminder, "issue", "needs GITHUB_REPOSITORY (OWNER/REPO) to know where to open issues", "Run it inside GitHub Actions, or set GITHUB_REPOSITORY")
		}
	}
	p.c.ServerURL = strings.TrimRight(p.env("GITHUB_SERVER_URL"), "/")
	if p.c.ServerURL == "" {
		p.c.ServerURL = serverFromAPI(p.c.APIURL)
	}
	p.c.Repository = p.env("GITHUB_REPOSITORY")
	p.c.RunID = p.env("GITHUB_RUN_ID")
	p.c.Workspace = p.env("GITHUB_WORKSPACE")
	p.c.Workflow = workflowPath(p.env("GITHUB_WORKFLOW_REF"), p.c.Repository)
	p.c.Job = p.env("GITHUB_JOB")
	return nil
}

// workflowPath reads the running workflow's file from GITHUB_WORKFLOW_REF,
// OWNER/REPO/.github/workflows/FILE@REF (docs/facts.md, "Runner
// environment"); "" when it is not that.
func workflowPath(ref, repository string) string {
	rest, ok := strings.CutPrefix(ref, repository+"/")
	if !ok || repository == "" {
		return ""
	}
	file, _, _ := strings.Cut(rest, "@")
	if !strings.HasPrefix(file, ".github/workflows/") {
		return ""
	}
	return file
}

// registryRules keep each credential with the registry it belongs to: a
// GitHub token never goes to another registry, and a Docker Hub token never
// goes to GitHub.
func (p *parser) registryRules() error {
	tok := strings.TrimSpace(p.raw.get(InToken))
	prefix := token.PrefixOf(tok)
	github := prefix != "" && !strings.HasPrefix(prefix, "dckr_")
	switch {
	case p.c.OtherRegistry() && p.c.Username == "":
		return bad(InUsername, "", "empty, but "+image.DisplayHost(p.c.Registry)+" needs the account name that goes with the token", p.usernameFix())
	case p.c.OtherRegistry() && len(p.others) > 0:
		return bad(InTokens, "", "is for GitHub tokens; the inventory does not mix in registry credentials", "Check "+image.DisplayHost(p.c.Registry)+"'s credential in a run of its own, with "+p.label(InToken)+", "+p.label(InUsername)+" and "+p.label(InRegistry))
	case p.c.OtherRegistry() && github:
		return bad(InToken, "", fmt.Sprintf("is a GitHub token (%s…), but registry is %s; a GitHub token is never sent to another registry", prefix, image.DisplayHost(p.c.Registry)),
			"Give that registry's own credentials (an account name in "+p.label(InUsername)+" and its access token), or leave "+p.label(InRegistry)+" empty to check the token for GitHub's registry")
	case !p.c.OtherRegistry() && strings.HasPrefix(prefix, "dckr_"):
		return bad(InToken, "", fmt.Sprintf("is a Docker Hub token (%s…), which GitHub does not take; it is not sent there", prefix),
			"Set "+p.label(InRegistry)+" to docker.io and "+p.label(InUsername)+" to check it against Docker Hub")
	}
	p.c.ScopesIgnored = p.c.OtherRegistry() && p.raw.get(InRequiredScopes) != Default(InRequiredScopes)
	return nil
}

func (p *parser) usernameFix() string {
	if p.c.Terminal {
		return "Give the account name with --username"
	}
	return "Set username as for docker/login-action, e.g. ${{ secrets.DOCKER_HUB_USERNAME }}"
}

// serverFromAPI derives the web host for links when GITHUB_SERVER_URL is not
// set (the terminal): api.github.com → github.com; api.SUBDOMAIN.ghe.com →
// SUBDOMAIN.ghe.com (GHE.com); HOST/api/v3 → HOST.
func serverFromAPI(u *url.URL) string {
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	if sub, ok := image.GHEComSubdomain(u.Host); ok {
		return u.Scheme + "://" + sub + ".ghe.com"
	}
	return u.Scheme + "://" + u.Host
}
