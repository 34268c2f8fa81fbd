package config

import "strings"

// TokenLine is one meaningful line of the `tokens` input, NAME=VALUE. It is
// the one reading of that grammar: the parser judges the lines, and the
// masking code masks what they may hold before anything is printed.
type TokenLine struct {
	Number    int // 1-based, counting every line
	Name      string
	Value     string
	HasEquals bool
	// Suspect is set when the line may be a bare secret rather than
	// NAME=VALUE: the name is no secret name, or the value is only '='
	// characters (a base64 secret's padding).
	Suspect bool
	// Whole is the trimmed line, masked in full when the line has no '=' or
	// is suspect.
	Whole string
}

// TokenLines reads the `tokens` input; blank lines and # comments are
// skipped.
func TokenLines(v string) []TokenLine {
	var out []TokenLine
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		l := TokenLine{Number: i + 1, Name: name, Value: value, HasEquals: ok, Whole: line}
		l.Suspect = ok && (!IsSecretName(name) || strings.Trim(strings.TrimSpace(value), "=") == "" && strings.TrimSpace(value) != "")
		out = append(out, l)
	}
	return out
}

// Secrets lists what must be masked in the `tokens` input: each value, and
// the whole line where the line may itself be a secret.
func (l TokenLine) Secrets() []string {
	if !l.HasEquals || l.Suspect {
		return []string{l.Whole, l.Value}
	}
	return []string{l.Value}
}
