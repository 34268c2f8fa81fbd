package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Answer is one recorded answer of a real service: its status, headers and
// body, and the public source it was copied from. The corpus lives in
// testdata/answers, one file per situation; adding a case means adding a
// file. Placeholders in capitals (ORG, NAME, TOKEN, MESSAGE) are filled in by
// the fake that serves the answer.
type Answer struct {
	Source  string            `json:"source"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

var corpus = sync.OnceValues(func() (map[string]Answer, error) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "answers")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no recorded answers in %s: %v", dir, err)
	}
	out := map[string]Answer{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var a Answer
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if a.Source == "" || a.Status == 0 {
			return nil, fmt.Errorf("%s: every recorded answer names its source and status", p)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = a
	}
	return out, nil
})

// Recorded returns the recorded answer name. A missing name is a broken test,
// so it panics.
func Recorded(name string) Answer {
	all, err := corpus()
	if err != nil {
		panic(err)
	}
	a, ok := all[name]
	if !ok {
		panic("no recorded answer " + name)
	}
	h := make(map[string]string, len(a.Headers))
	for k, v := range a.Headers {
		h[k] = v
	}
	a.Headers = h
	return a
}

// With returns the answer with one header set, to an empty value too.
func (a Answer) With(header, value string) Answer {
	a = a.Without(header)
	a.Headers[header] = value
	return a
}

// Without returns the answer without a header.
func (a Answer) Without(header string) Answer {
	h := make(map[string]string, len(a.Headers)+1)
	for k, v := range a.Headers {
		if !strings.EqualFold(k, header) {
			h[k] = v
		}
	}
	a.Headers = h
	return a
}

// Fill replaces a placeholder in the body and the headers. In a JSON body
// the value is escaped as a JSON string's content.
func (a Answer) Fill(placeholder, value string) Answer {
	body := value
	if strings.Contains(a.Headers["Content-Type"], "json") {
		quoted, _ := json.Marshal(value)
		body = string(quoted[1 : len(quoted)-1])
	}
	a.Body = strings.ReplaceAll(a.Body, placeholder, body)
	h := make(map[string]string, len(a.Headers))
	for k, v := range a.Headers {
		h[k] = strings.ReplaceAll(v, placeholder, value)
	}
	a.Headers = h
	return a
}

// WithBody returns the answer with another body: a hostile server's words
// in a real answer's shape, for tests.
func (a Answer) WithBody(body string) Answer {
	a.Body = body
	return a
}

// WithStatus returns the answer with another status.
func (a Answer) WithStatus(status int) Answer {
	a.Status = status
	return a
}

// Write sends the answer, keeping headers already set on w (a request id)
// unless the answer sets them too.
func (a Answer) Write(w http.ResponseWriter) {
	for k, v := range a.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.Status)
	fmt.Fprint(w, a.Body)
}
