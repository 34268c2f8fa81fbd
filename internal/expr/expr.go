// Package expr reads GitHub Actions expressions, ${{ … }}: where they stand
// in a string (Scan), what they are (Parse), what they refer to (Refs), and,
// when everything they refer to is known, what they evaluate to (Eval). It
// is the workflow audit's one reader of expressions, after GitHub's
// "Evaluate expressions in workflows and actions" reference: literals,
// property access by . and [], the operators ! < <= > >= == != && ||, and
// the functions. It does no I/O and never panics on any input (fuzzed).
package expr

// The reader works in stages, a file each: scan.go finds the expressions in
// a string, lex.go and parse.go read one into a Node, tree.go walks, writes
// back and rewrites a Node, eval.go evaluates it, truth.go decides an if:
// when only part of what it reads is known, and template.go fills a
// string's expressions in.
