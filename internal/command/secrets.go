package command

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// minSecret is the shortest fragment worth redacting: shorter ones would
// garble ordinary text and cannot be a usable token anyway.
const minSecret = 4

// secrets remembers every credential of the run and scrubs it from any text
// about to be written. Masking tells the runner; redaction makes sure our own
// bytes never needed it.
type secrets struct {
	mu     sync.Mutex
	values []string
}

// add records s and every whitespace-separated fragment of it: a token pasted
// with a space inside is still a secret in both halves.
func (s *secrets) add(v string) []string {
	var added []string
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, piece := range append([]string{strings.TrimSpace(v)}, strings.Fields(v)...) {
		if len(piece) < minSecret || slices.Contains(s.values, piece) {
			continue
		}
		s.values = append(s.values, piece)
		added = append(added, piece)
	}
	// Longest first, so a fragment never leaves part of a longer secret.
	sort.Slice(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
	return added
}

func (s *secrets) redact(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, "***")
		}
	}
	return text
}

// tokensValues returns the secret side of each `tokens` line. A line without
// '=' may be a bare token pasted by mistake, so all of it counts.
func tokensValues(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, value, ok := strings.Cut(line, "="); ok {
			out = append(out, value)
		} else {
			out = append(out, line)
		}
	}
	return out
}
