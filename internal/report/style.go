package report

import "strconv"

// CodesURL is where every finding's code is explained, one anchor a code
// (docs/codes.md; TestEveryCodeHasItsAnchor keeps them in step).
const CodesURL = "https://github.com/token-gate/token-gate/blob/main/docs/codes.md"

// CodeURL links one code's explanation.
func CodeURL(code string) string { return CodesURL + "#" + code }

// Style is how terminal text is dressed: with colour, or plain. The
// command decides (a terminal, NO_COLOR, FORCE_COLOR, --color); the
// renderers only obey.
type Style struct{ Color bool }

// ANSI SGR sequences: bold red, bold yellow, bold cyan, green, dim.
const (
	sgrError   = "\x1b[1;31m"
	sgrWarning = "\x1b[1;33m"
	sgrNotice  = "\x1b[1;36m"
	sgrPass    = "\x1b[32m"
	sgrDim     = "\x1b[2m"
	sgrBold    = "\x1b[1m"
	sgrReset   = "\x1b[0m"
)

func (s Style) paint(sgr, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return sgr + text + sgrReset
}

// severity paints a severity word (error, warning, notice) in its colour.
func (s Style) severity(sev, text string) string {
	switch sev {
	case "error":
		return s.paint(sgrError, text)
	case "warning":
		return s.paint(sgrWarning, text)
	case "notice":
		return s.paint(sgrNotice, text)
	}
	return text
}

// label writes `error[code]`, coloured by severity: what zizmor and rustc
// print, so that people and tools read it the same way.
func (s Style) label(sev, code string) string {
	return s.severity(sev, sev+"["+code+"]")
}

// plural writes "1 error", "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
