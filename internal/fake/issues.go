package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issue is one issue (or pull request) held by the fake issues API.
type Issue struct {
	Number      int
	Title       string
	Body        string
	State       string
	StateReason string
	Labels      []string
	Comments    []string
	PullRequest bool
	Created     time.Time
}

// Issues fakes the parts of the issues API reminders use, as GitHub's
// behaves: it lists newest first unless asked for direction=asc, paginates
// with Link, mixes pull requests into the list, refuses "labels": null with
// 422, and keeps its state across runs.
type Issues struct {
	mu     sync.Mutex
	issues []*Issue
	// Fail answers calls of a kind ("list", "create", "edit", "comment", or
	// "*" for all) with a recorded answer, e.g. "issues-disabled-410".
	fail map[string]string
	// PerPageCap caps per_page, to force pagination in tests.
	PerPageCap int
	// Token, when set, is the only credential the fake accepts.
	Token string
	// HTMLURL, when set, is the html_url each issue is answered with: a
	// hostile or broken server's, for tests.
	HTMLURL   func(number int) string
	calls     map[string]int
	mutations []time.Time
	clock     time.Time
}

func newIssues() *Issues {
	return &Issues{calls: map[string]int{}, fail: map[string]string{}, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Fail makes every call of kind ("*" for all) answer the recorded answer;
// an empty answer name clears it.
func (s *Issues) Fail(kind, answer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if answer == "" {
		delete(s.fail, kind)
		return
	}
	s.fail[kind] = answer
}

// Seed adds an existing issue and returns its number.
func (s *Issues) Seed(title, body string, labels ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(&Issue{Title: title, Body: body, State: "open", Labels: labels})
}

// SeedPullRequest adds an open pull request, which the issues list returns
// too.
func (s *Issues) SeedPullRequest(title, body string, labels ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(&Issue{Title: title, Body: body, State: "open", Labels: labels, PullRequest: true})
}

func (s *Issues) add(i *Issue) int {
	s.clock = s.clock.Add(time.Minute)
	i.Number = len(s.issues) + 1
	i.Created = s.clock
	s.issues = append(s.issues, i)
	return i.Number
}

// All returns copies of every issue, pull requests included.
func (s *Issues) All() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, i := range s.issues {
		c := *i
		c.Comments = slices.Clone(i.Comments)
		c.Labels = slices.Clone(i.Labels)
		out = append(out, c)
	}
	return out
}

// Open returns the open issues (not pull requests).
func (s *Issues) Open() []Issue {
	var out []Issue
	for _, i := range s.All() {
		if i.State == "open" && !i.PullRequest {
			out = append(out, i)
		}
	}
	return out
}

// Calls counts the calls by kind: "list", "create", "edit", "comment".
func (s *Issues) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// Mutations returns when each write arrived.
func (s *Issues) Mutations() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mutations)
}

func (s *Issues) json(i *Issue, base string) map[string]any {
	labels := []map[string]string{}
	for _, l := range i.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	m := map[string]any{
		"number": i.Number, "title": i.Title, "body": i.Body, "state": i.State, "labels": labels,
		"html_url":   fmt.Sprintf("https://github.com%s/%d", base, i.Number),
		"created_at": i.Created.Format(time.RFC3339),
	}
	if s.HTMLURL != nil {
		m["html_url"] = s.HTMLURL(i.Number)
	}
	if i.PullRequest {
		m["pull_request"] = map[string]string{"url": fmt.Sprintf("https://api.github.com/repos%s/pulls/%d", strings.TrimSuffix(base, "/issues"), i.Number)}
	}
	return m
}

// writeJSONAnswer sends a success of the issues API, in the shape of the
// examples of GitHub docs "List repository issues", "Create an issue", "Update
// an issue" and "Create an issue comment", trimmed to the fields used.
func writeJSONAnswer(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v)
	Answer{Status: status, Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Body: string(data)}.Write(w)
}

func (s *Issues) serve(w http.ResponseWriter, r *http.Request, path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Token != "" && bearer(r) != s.Token {
		Recorded("bad-credentials-401").Write(w)
		return
	}
	// path: /repos/OWNER/REPO/issues[/N[/comments]]
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 4 || parts[3] != "issues" {
		Recorded("issues-repo-not-found-404").Write(w)
		return
	}
	kind := ""
	switch {
	case len(parts) == 4 && r.Method == http.MethodGet:
		kind = "list"
	case len(parts) == 4 && r.Method == http.MethodPost:
		kind = "create"
	case len(parts) == 5 && r.Method == http.MethodPatch:
		kind = "edit"
	case len(parts) == 6 && parts[5] == "comments" && r.Method == http.MethodPost:
		kind = "comment"
	}
	s.calls[kind]++
	if kind != "list" {
		s.mutations = append(s.mutations, time.Now())
	}
	if answer, ok := s.fail[kind]; ok {
		Recorded(answer).Write(w)
		return
	}
	if answer, ok := s.fail["*"]; ok {
		Recorded(answer).Write(w)
		return
	}
	base := "/" + parts[1] + "/" + parts[2] + "/issues"
	var req map[string]json.RawMessage
	if body != "" {
		json.Unmarshal([]byte(body), &req)
	}
	str := func(k string) *string {
		var v *string
		if raw, ok := req[k]; ok {
			json.Unmarshal(raw, &v)
		}
		return v
	}
	var labels []string
	labelsRaw, hasLabels := req["labels"]
	if hasLabels && string(labelsRaw) == "null" {
		Recorded("issues-labels-null-422").Write(w)
		return
	}
	if hasLabels {
		json.Unmarshal(labelsRaw, &labels)
	}
	switch kind {
	case "list":
		s.list(w, r, base)
	case "create":
		i := &Issue{State: "open", Labels: labels}
		if t := str("title"); t != nil {
			i.Title = *t
		}
		if b := str("body"); b != nil {
			i.Body = *b
		}
		s.add(i)
		writeJSONAnswer(w, http.StatusCreated, s.json(i, base))
	case "edit", "comment":
		n, err := strconv.Atoi(parts[4])
		if err != nil || n < 1 || n > len(s.issues) {
			Recorded("issues-repo-not-found-404").Write(w)
			return
		}
		i := s.issues[n-1]
		if kind == "comment" {
			var c struct {
				Body string `json:"body"`
			}
			json.Unmarshal([]byte(body), &c)
			i.Comments = append(i.Comments, c.Body)
			writeJSONAnswer(w, http.StatusCreated, map[string]any{"id": len(i.Comments), "body": c.Body})
			return
		}
		if t := str("title"); t != nil {
			i.Title = *t
		}
		if b := str("body"); b != nil {
			i.Body = *b
		}
		if st := str("state"); st != nil {
			i.State = *st
		}
		if sr := str("state_reason"); sr != nil {
			i.StateReason = *sr
		}
		if hasLabels {
			i.Labels = labels
		}
		writeJSONAnswer(w, http.StatusOK, s.json(i, base))
	default:
		Recorded("issues-repo-not-found-404").Write(w)
	}
}

// list answers GET /repos/O/R/issues: issues and pull requests with every
// label asked for, newest first unless direction=asc, a page at a time.
func (s *Issues) list(w http.ResponseWriter, r *http.Request, base string) {
	q := r.URL.Query()
	want := strings.Split(q.Get("labels"), ",")
	state := q.Get("state")
	var match []*Issue
	for _, i := range s.issues {
		if (state == "" || state == "open") && i.State != "open" {
			continue
		}
		ok := true
		for _, l := range want {
			if l != "" && !slices.Contains(i.Labels, l) {
				ok = false
			}
		}
		if ok {
			match = append(match, i)
		}
	}
	if q.Get("direction") != "asc" {
		slices.Reverse(match)
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	if s.PerPageCap > 0 && per > s.PerPageCap {
		per = s.PerPageCap
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	start := min((page-1)*per, len(match))
	end := min(start+per, len(match))
	if end < len(match) {
		q.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
	}
	out := []map[string]any{}
	for _, i := range match[start:end] {
		out = append(out, s.json(i, base))
	}
	writeJSONAnswer(w, http.StatusOK, out)
}
