package gate

import (
	"time"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Input is everything one verdict is made from: the checked inputs, the
// token, what the services said, and the time.
type Input struct {
	Config config.Config
	Entry  config.Entry
	Facts  facts.Token
	Now    time.Time
}

// The gather step asks the gate what to ask, so that the rules about what a
// credential may be used for live here, once.

// AsksGitHub reports whether GitHub is to be asked about the entry at all. An
// empty, malformed or refresh token is judged without a request, and so is a
// credential for another registry.
func AsksGitHub(cfg config.Config, e config.Entry) bool {
	kind := token.KindOf(e.Value)
	return e.Bad == "" && kind != token.None && kind != token.Refresh && !cfg.OtherRegistry()
}

// AsksRegistry reports whether the entry is a registry credential to check
// at its registry.
func AsksRegistry(cfg config.Config, e config.Entry) bool {
	return cfg.OtherRegistry() && e.Bad == "" && e.Value != ""
}

// ProbeBlocker says why the images are not to be probed with this entry, or
// "" when they are. A kind GitHub's docs say ghcr.io refuses (a
// fine-grained PAT) is probed all the same: the registry decides. github is GitHub's answer and login the registry's, each
// nil when it was not asked.
func ProbeBlocker(cfg config.Config, e config.Entry, github *facts.GitHub, login *facts.ImageResult) string {
	kind := token.KindOf(e.Value)
	switch {
	case e.Bad != "" || e.Value == "":
		return "no usable token to probe with"
	case cfg.OtherRegistry() && login != nil && login.Outcome == facts.Denied:
		return "the registry refused the credentials"
	case cfg.OtherRegistry() && login != nil && login.Outcome != facts.Accepted:
		return "the credentials could not be checked"
	case cfg.OtherRegistry():
		return ""
	case kind == token.Refresh:
		return "no usable token to probe with"
	case github != nil && isBadCredentials(github.Err):
		return "the token was refused by GitHub"
	}
	return ""
}

// NeedsDiagnosis reports whether a probe result calls for one question to
// GitHub about the image's package: a refusal by GitHub's own registry (or a
// loopback registry standing in for it). Only such a question can see SSO and
// organization policies (docs/facts.md, "Where organization rules bite").
func NeedsDiagnosis(cfg config.Config, r facts.ImageResult) bool {
	if r.Outcome != facts.Denied || cfg.OtherRegistry() {
		return false
	}
	return r.Image.Registry == cfg.GitHubRegistry || r.Image.OnLoopback()
}

// JudgeAll judges every entry against its facts, in input order.
func JudgeAll(cfg config.Config, fs []facts.Token, now time.Time) []Verdict {
	out := make([]Verdict, len(cfg.Entries))
	for i, e := range cfg.Entries {
		out[i] = Judge(Input{Config: cfg, Entry: e, Facts: fs[i], Now: now})
	}
	return out
}

// Judge judges one token. Every failure found is reported, not only the
// first.
func Judge(in Input) Verdict {
	j := newJudge(in)
	v := j.v
	switch {
	case in.Entry.Bad != "":
		j.malformed()
	case v.Kind == token.None:
		j.missing()
	case v.Kind == token.Refresh && !in.Config.OtherRegistry():
		j.refresh()
	case in.Config.OtherRegistry():
		j.registryCredential()
	default:
		j.kind()
		if in.Facts.GitHub != nil {
			j.github(*in.Facts.GitHub)
		}
		j.ssoRow()
	}
	j.images()
	return *v
}

// judge carries one judgement: the input, the verdict being built, and the
// links and names every message needs.
type judge struct {
	in    Input
	cfg   config.Config
	v     *Verdict
	links Links
	name  string
	now   time.Time
}

func newJudge(in Input) *judge {
	return &judge{
		in:    in,
		cfg:   in.Config,
		v:     &Verdict{TokenName: in.Entry.Name, Kind: kindOf(in), Expiry: ExpiryUnknown},
		links: Links{Server: in.Config.ServerURL, Repository: in.Config.Repository},
		name:  in.Entry.Name,
		now:   in.Now,
	}
}

func kindOf(in Input) token.Kind {
	switch {
	case in.Entry.Bad != "":
		return token.Unknown
	case in.Config.OtherRegistry():
		return token.RegistryKindOf(in.Entry.Value)
	}
	return token.KindOf(in.Entry.Value)
}
