package audit

import (
	"fmt"

	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/expr"

	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/workflow"
)

// credSet gathers every credential of the runs: where it is used, the
// images it pushes, what checks it.
type credSet struct {
	order []credKey
	byKey map[credKey]*Credential
	// uses and checks are kept as sets: a fan of calls reaches one place
	// many times, and it is listed once.
	uses   map[credKey]map[placeKey]int
	checks map[credKey]map[CheckPlace]bool
	// unlisted are the credentials that push some image the audit cannot
	// name: nobody can say that they never push a given one.
	unlisted map[credKey]bool
	// pushes are the credentials that push, or may push, anything.
	pushes map[credKey]bool
	// templates are images named by what only the runner knows.
	templates map[credKey][]string
	// images are each credential's images, as a set.
	images map[credKey]map[string]bool
}

func (a *auditor) credentials(runs []*run) *credSet {
	cs := &credSet{byKey: map[credKey]*Credential{}, uses: map[credKey]map[placeKey]int{}, checks: map[credKey]map[CheckPlace]bool{},
		unlisted: map[credKey]bool{}, pushes: map[credKey]bool{}, templates: map[credKey][]string{}, images: map[credKey]map[string]bool{}}
	for _, r := range runs {
		for _, n := range r.nodes {
			for _, e := range n.events {
				if !e.hasCred {
					continue
				}
				c := cs.get(e.cred, n.rootUsername(e.username))
				use := e.place
				use.Step = ""
				switch e.kind {
				case evLogin:
					cs.use(e.cred, use)
					if e.exchanged != "" {
						c.CannotCheck = e.exchanged
					}
				case evCheck:
					cs.use(e.cred, use)
					if cs.checks[e.cred] == nil {
						cs.checks[e.cred] = map[CheckPlace]bool{}
					}
					cp := CheckPlace{File: e.place.File, Line: e.place.Line, Job: e.place.Job}
					if !cs.checks[e.cred][cp] {
						cs.checks[e.cred][cp] = true
						c.CheckedBy = append(c.CheckedBy, cp)
					}
				case evPush:
					switch {
					case e.image != "":
						if cs.images[e.cred] == nil {
							cs.images[e.cred] = map[string]bool{}
						}
						if !cs.images[e.cred][e.image] {
							cs.images[e.cred][e.image] = true
							c.Images = append(c.Images, e.image)
						}
					case e.template != "":
						if !slices.Contains(cs.templates[e.cred], e.template) {
							cs.templates[e.cred] = append(cs.templates[e.cred], e.template)
						}
					default:
						cs.unlisted[e.cred] = true
					}
				}
			}
		}
	}
	// A credential pushes when, in some way a run can go, one of its
	// pushes runs: a login whose pushes never run (a read-only token
	// chosen where nothing is pushed) makes no push credential.
	for _, r := range runs {
		p := a.planner(r)
		p.each(false, func(sc scenario) {
			o := p.simulate(sc)
			for e := range o.ran() {
				if e.kind == evPush && e.hasCred {
					cs.pushes[e.cred] = true
				}
			}
		})
	}
	for k, c := range cs.byKey {
		c.PushesUnnamed = cs.unlisted[k] && cs.pushes[k]
		if !cs.pushes[k] {
			c.Images = []string{}
			delete(cs.templates, k)
		}
	}
	return cs
}

// use records where a credential is used, once per place in a file: a
// place many calls reach is listed once, with how many (Times).
func (cs *credSet) use(k credKey, p Place) {
	if cs.uses[k] == nil {
		cs.uses[k] = map[placeKey]int{}
	}
	key := placeKey{p.File, p.Line, p.Column}
	c := cs.byKey[k]
	if i, seen := cs.uses[k][key]; seen {
		if c.Uses[i].Job != p.Job {
			c.Uses[i].Times = max(c.Uses[i].Times, 1) + 1
		}
		return
	}
	cs.uses[k][key] = len(c.Uses)
	c.Uses = append(c.Uses, p)
}

type placeKey struct {
	file         string
	line, column int
}

func (cs *credSet) get(k credKey, username string) *Credential {
	if c, ok := cs.byKey[k]; ok {
		if c.Username == "" {
			c.Username = username
		}
		return c
	}
	c := &Credential{Secret: k.secret, Registry: image.DisplayHost(k.registry), Username: username, Uses: []Place{}, Images: []string{}, CheckedBy: []CheckPlace{}}
	cs.byKey[k] = c
	cs.order = append(cs.order, k)
	return c
}

func (cs *credSet) list() []Credential {
	out := make([]Credential, 0, len(cs.order))
	for _, k := range cs.order {
		c := *cs.byKey[k]
		c.Images = append(slices.Clone(c.Images), cs.templates[k]...)
		sort.Strings(c.Images)
		out = append(out, c)
	}
	return out
}

// exchanged says why token-gate cannot check a credential (its registry's
// password is made from it at run time), "" when it can.
func (cs *credSet) exchanged(k credKey) string {
	if c := cs.byKey[k]; c != nil {
		return c.CannotCheck
	}
	return ""
}

// pushedAnywhere reports an image some credential matching k pushes, or
// may push (it pushes images the audit cannot name).
func (cs *credSet) pushedAnywhere(k credKey, img string) bool {
	for key := range cs.byKey {
		if k.matches(key) && (cs.images[key][img] || slices.Contains(cs.templates[key], img) || cs.unlisted[key]) {
			return true
		}
	}
	return false
}

// cannotCheck records a login whose credential token-gate cannot check,
// and says so once: what it is, and what would check it.
func (a *auditor) cannotCheck(n *node, s *workflow.Step, place Place, secretName, registry, why string) {
	what := "This login"
	if secretName != "" {
		what = secretName
	}
	where := ""
	if registry != "" {
		where = " to " + image.DisplayHost(registry)
	}
	a.add(Finding{Code: CodeCannotCheck, Severity: Notice, Place: place, Secret: secretName,
		Message: fmt.Sprintf("%s (%s) logs in%s with %s: token-gate cannot check it, since the registry's password is made from it at run time. Nothing checks it before it is used.",
			what, stepWords(n, s), where, why),
		Fix: "Check it with its cloud's own step in a job that runs before anything publishes: aws-actions/configure-aws-credentials and aws sts get-caller-identity for AWS, google-github-actions/auth for Google Cloud, azure/login for Azure fail early on a key that no longer works."})
}

// stepLabel names a step for a person: its name, else its id, else what it
// runs, with any password written into it hidden (-p VALUE, --password
// VALUE, password: VALUE) and anything shaped like a token redacted.
func stepLabel(s *workflow.Step) string {
	if s.Name != "" || s.ID != "" || s.Uses != nil || s.Run == nil {
		return secret.RedactShaped(s.Label())
	}
	// Redact before cutting: a cut must never leave part of a password.
	first, _, _ := strings.Cut(strings.TrimSpace(s.Run.Text), "\n")
	first = secret.RedactShaped(passwordValue().ReplaceAllString(first, "$1***"))
	if r := []rune(first); len(r) > 40 {
		first = string(r[:40]) + "…"
	}
	return "run: " + first
}

var passwordValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:^|\s)(?:-p|--password|--pass|-ApiKey|--api-key|--token|--key)(?:\s+|=)|password\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)`)
})

// words for a credential in messages.
func credWords(k credKey) string {
	return fmt.Sprintf("%s (%s)", k.secret, image.DisplayHost(k.registry))
}

// rootUsername writes a username as the root workflow names it: a called
// workflow's secrets.X by the caller's secret.
func (n *node) rootUsername(user string) string {
	if n.secrets == nil {
		return user
	}
	x, ok := soleExpr(strings.TrimSpace(user))
	if !ok {
		return user
	}
	if p, ok := exprNode(x).(expr.Property); ok && len(p.Path) == 2 && strings.EqualFold(p.Path[0], "secrets") {
		if root := n.rootSecret(p.Path[1]); root != "" {
			return "${{ secrets." + root + " }}"
		}
	}
	return user
}
