package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Issue is one issue held by the fake issues API.
type Issue struct {
	Number   int
	Title    string
	Body     string
	State    string
	Labels   []string
	Comments []string
}

// Issues fakes the parts of the issues API reminders use: list by label with
// pagination, create, edit and comment.
type Issues struct {
	mu     sync.Mutex
	issues []*Issue
	// Forbidden answers every call 403 "Resource not accessible by
	// integration", as GITHUB_TOKEN without issues: write gets.
	Forbidden bool
	// PerPageCap caps per_page, to force pagination in tests.
	PerPageCap int
	// Token, when set, is the only credential the fake accepts.
	Token string
	calls map[string]int
}

func newIssues() *Issues { return &Issues{calls: map[string]int{}} }

// Seed adds an existing issue and returns its number.
func (s *Issues) Seed(title, body string, labels ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.issues) + 1
	s.issues = append(s.issues, &Issue{Number: n, Title: title, Body: body, State: "open", Labels: labels})
	return n
}

// All returns copies of every issue.
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

func (s *Issues) json(i *Issue, base string) map[string]any {
	labels := []map[string]string{}
	for _, l := range i.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	return map[string]any{
		"number": i.Number, "title": i.Title, "body": i.Body, "state": i.State, "labels": labels,
		"html_url": fmt.Sprintf("https://github.com%s/%d", base, i.Number),
	}
}

func (s *Issues) serve(w http.ResponseWriter, r *http.Request, path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Forbidden || s.Token != "" && bearer(r) != s.Token {
		status := http.StatusForbidden
		msg := "Resource not accessible by integration"
		if s.Token != "" && bearer(r) != s.Token {
			status, msg = http.StatusUnauthorized, "Bad credentials"
		}
		writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": strconv.Itoa(status)})
		return
	}
	// path: /repos/OWNER/REPO/issues[/N[/comments]]
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 4 || parts[3] != "issues" {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	base := "/" + parts[1] + "/" + parts[2] + "/issues"
	var req struct {
		Title  *string  `json:"title"`
		Body   *string  `json:"body"`
		State  *string  `json:"state"`
		Labels []string `json:"labels"`
	}
	if body != "" {
		json.Unmarshal([]byte(body), &req)
	}
	switch {
	case len(parts) == 4 && r.Method == http.MethodGet:
		s.calls["list"]++
		want := strings.Split(r.URL.Query().Get("labels"), ",")
		state := r.URL.Query().Get("state")
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
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per <= 0 {
			per = 30
		}
		if s.PerPageCap > 0 && per > s.PerPageCap {
			per = s.PerPageCap
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page <= 0 {
			page = 1
		}
		start := min((page-1)*per, len(match))
		end := min(start+per, len(match))
		if end < len(match) {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
		}
		out := []map[string]any{}
		for _, i := range match[start:end] {
			out = append(out, s.json(i, base))
		}
		writeJSON(w, http.StatusOK, out)
	case len(parts) == 4 && r.Method == http.MethodPost:
		s.calls["create"]++
		i := &Issue{Number: len(s.issues) + 1, State: "open", Labels: req.Labels}
		if req.Title != nil {
			i.Title = *req.Title
		}
		if req.Body != nil {
			i.Body = *req.Body
		}
		s.issues = append(s.issues, i)
		writeJSON(w, http.StatusCreated, s.json(i, base))
	case len(parts) >= 5:
		n, err := strconv.Atoi(parts[4])
		if err != nil || n < 1 || n > len(s.issues) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		i := s.issues[n-1]
		switch {
		case len(parts) == 5 && r.Method == http.MethodPatch:
			s.calls["edit"]++
			if req.Title != nil {
				i.Title = *req.Title
			}
			if req.Body != nil {
				i.Body = *req.Body
			}
			if req.State != nil {
				i.State = *req.State
			}
			if req.Labels != nil {
				i.Labels = req.Labels
			}
			writeJSON(w, http.StatusOK, s.json(i, base))
		case len(parts) == 6 && parts[5] == "comments" && r.Method == http.MethodPost:
			s.calls["comment"]++
			var c struct {
				Body string `json:"body"`
			}
			json.Unmarshal([]byte(body), &c)
			i.Comments = append(i.Comments, c.Body)
			writeJSON(w, http.StatusCreated, map[string]any{"id": len(i.Comments), "body": c.Body})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}
