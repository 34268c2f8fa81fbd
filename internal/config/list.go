package config

import "strings"

// SplitList reads a list input as the action reads it once the runner has
// filled in its expressions (token.SplitList: commas, spaces and newlines),
// but as the workflow file writes it: a ${{ … }} stays one item with the
// text around it, and # comment lines are dropped, so that the audit reads
// packages: and tags: the way the check will.
func SplitList(v string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		depth, start := 0, 0
		for i := 0; i < len(line); i++ {
			switch {
			case strings.HasPrefix(line[i:], "${{"):
				depth++
				i += 2
			case strings.HasPrefix(line[i:], "}}") && depth > 0:
				depth--
				i++
			case depth == 0 && (line[i] == ',' || line[i] == ' ' || line[i] == '\t'):
				add(line[start:i])
				start = i + 1
			}
		}
		add(line[start:])
	}
	return out
}
