// Package workflow reads GitHub Actions workflow files into a model that
// keeps where everything stands: the triggers, the env at each level, the
// jobs with their needs, if, matrix and steps, each step's uses, with, run
// and env, and reusable workflow calls with their inputs and secrets. It
// judges nothing (that is the audit's job) and edits nothing (the fix edits
// the text at these positions, never re-serialising YAML).
//
// The YAML tree comes from go.yaml.in/yaml/v3 (the YAML organisation's
// maintained yaml.v3), whose nodes keep every line and column; the model is
// checked against actionlint's parser in the tests, and the choice is
// measured in docs/speed.md. A file written in plain block YAML, as most
// workflows are, is read into the same tree by plainDocument, at a sixth of
// the cost; the tests hold the two to each other node for node.
package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in a file, both 1-based; Col counts characters.
type Pos struct{ Line, Col int }

// Style says how a scalar is written.
type Style int

// The scalar styles.
const (
	Plain  Style = iota // key: value
	Quoted              // key: 'value' or "value"
	Block               // key: | or >, the text on the lines below
)

// Value is a scalar as YAML reads it, where it stands; or, for a sequence
// or a mapping, its items and its decoded form.
type Value struct {
	Text  string
	Pos   Pos // the value's first character: its quote, or its block indicator
	Style Style
	// Items are a sequence's values; Flow marks [a, b] rather than - a.
	Items []Value
	Seq   bool
	Map   bool
	Flow  bool
	// Raw is a scalar decoded: string, float64, bool or nil. A sequence
	// or mapping is decoded only where the model needs it (Matrix).
	Raw any
	// Alias marks a value read through a YAML alias: its text stands at
	// the anchor, shared with every other use, and is no place to edit.
	Alias bool
	// blockIndent is the indentation of a block scalar's lines.
	blockIndent int
}

// At returns where the byte at offset of a scalar's text stands: on the
// lines below a block scalar's indicator, or on the value's own line.
func (v Value) At(offset int) Pos {
	if v.Style != Block {
		return v.Pos
	}
	before := v.Text[:min(max(offset, 0), len(v.Text))]
	line := v.Pos.Line + 1 + strings.Count(before, "\n")
	start := strings.LastIndexByte(before, '\n') + 1
	return Pos{Line: line, Col: v.blockIndent + 1 + utf8.RuneCountInString(before[start:])}
}

// Var is one name: value pair of an env or a with.
type Var struct {
	Name  string
	Key   Pos
	Value Value
}

// Lookup finds a name in vars, without regard to case (GitHub's rule for
// inputs and env names on Windows runners is exact; for with: inputs it is
// not, and env lookups here only resolve secrets).
func Lookup(vars []Var, name string) (Value, bool) {
	for _, v := range vars {
		if strings.EqualFold(v.Name, name) {
			return v.Value, true
		}
	}
	return Value{}, false
}

// File is one workflow.
type File struct {
	// Path is the file's path from the repository's root, with /.
	Path   string
	Source []byte
	Name   string
	// On lists the events that trigger it; Triggers holds each with its
	// filters, in the same order.
	On       []string
	Triggers []Trigger
	// Call is on.workflow_call, when it can be called.
	Call *Call
	Env  []Var
	Jobs []*Job
	// JobsKey is where `jobs:` stands; JobsBlock is set when jobs is a
	// block mapping, whose text can be edited line by line.
	JobsKey   Pos
	JobsBlock bool
	// Err is set when the file could not be read as a workflow.
	Err *Error
	// Link marks a file reached through a symbolic link inside the
	// repository: a fix edits the file it points to, never the link.
	Link bool

	lineStart []int // the byte offset each line starts at
}

// Error is a file that is not a readable workflow, and where. Bound marks
// a file refused by one of token-gate's own bounds (its size, its
// aliases, its encoding), which GitHub may still run.
type Error struct {
	Pos   Pos
	Msg   string
	Bound bool
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// Trigger is one event of on: with what it filters: the activity types,
// and the branches and tags of a push or a pull request.
type Trigger struct {
	Event string
	Pos   Pos
	Types []string
	// Branches and Tags are the patterns a run's ref must match;
	// BranchesIgnore and TagsIgnore those it must not. HasBranches and
	// HasTags say that a filter was written at all (an empty one matches
	// nothing).
	Branches, BranchesIgnore, Tags, TagsIgnore []string
	HasBranches, HasTags                       bool
	// Inputs are workflow_dispatch's inputs, with their defaults.
	Inputs []Var
}

// Call is what a reusable workflow declares under on.workflow_call.
type Call struct {
	Inputs  []Var // with their defaults, where given
	Secrets []string
}

// Job is one job.
type Job struct {
	ID  string
	Pos Pos // the job's key
	// BodyCol is the column of the job's keys; 0 when its body is not a
	// block mapping.
	BodyCol int
	Name    *Value
	If      *Value
	// Needs are the jobs it needs; NeedsKey is where `needs:` stands, and
	// NeedsValue its value as written (a name, [a, b], or - a lines).
	Needs      []Value
	NeedsKey   *Pos
	NeedsValue *Value
	Env        []Var
	Matrix     *Matrix
	Steps      []*Step
	// StepsKey is where `steps:` stands.
	StepsKey *Pos
	// Uses, With, Secrets and InheritSecrets are a reusable workflow call;
	// SecretsKey is where `secrets:` stands.
	Uses           *Value
	With           []Var
	Secrets        []Var
	InheritSecrets bool
	SecretsKey     *Pos
	Permissions    *Value
	// IDTokenWrite says the job's permissions: grant id-token: write (or
	// write-all): it may ask GitHub for an OIDC token.
	IDTokenWrite bool
	// RunsOn is the job's runs-on as written.
	RunsOn *Value
	// Environment is the environment's name as written (environment: NAME
	// or environment: {name: NAME}), nil when the job names none.
	Environment *Value
	// ContinueOnError is the job's continue-on-error as written: a job
	// that may fail reads as a success to the jobs that need it.
	ContinueOnError *Value
	// Exprs are the job's scalars that hold an expression, outside its
	// steps, in file order: where it may read a secret.
	Exprs []Value
	// Alias marks a job whose body is an alias (b: *a): its text is
	// another job's, and no place to edit; StepsFlow a steps: [ … ] list.
	Alias     bool
	StepsFlow bool
}

// Step is one step of a job.
type Step struct {
	Index int // 0-based
	Pos   Pos // its dash's item
	ID    string
	Name  string
	If    *Value
	Uses  *Value
	With  []Var
	Run   *Value
	Env   []Var
	// ContinueOnError is set when the step may fail without failing the job.
	ContinueOnError bool
	// Exprs are the step's scalars that hold an expression, in file order.
	Exprs []Value
	// Flow marks a step written { uses: …, with: { … } }, or read
	// through an alias: no place to insert a line.
	Flow bool
	// Background marks a step that runs beside the steps after it, until
	// a step that waits (Wait); its failure shows there (parallel steps,
	// GitHub changelog 2026-06-25; docs/facts.md, "Workflows").
	Background bool
	Wait       bool
}

// Label names a step for a person: its name, else its id, else what it
// runs.
func (s *Step) Label() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.ID != "":
		return s.ID
	case s.Uses != nil:
		return s.Uses.Text
	case s.Run != nil:
		first, _, _ := strings.Cut(strings.TrimSpace(s.Run.Text), "\n")
		if r := []rune(first); len(r) > 40 {
			first = string(r[:40]) + "…"
		}
		return "run: " + first
	}
	return fmt.Sprintf("step %d", s.Index+1)
}

// Matrix is a job's strategy.matrix.
type Matrix struct {
	Pos Pos
	// Expr is set when the whole matrix is an expression (fromJSON …).
	Expr *Value
	Rows []Row
	// Include and Exclude are the combinations listed; IncludeExpr and
	// ExcludeExpr are set when either is an expression.
	Include     []map[string]any
	Exclude     []map[string]any
	IncludeExpr *Value
	ExcludeExpr *Value
}

// Row is one key of a matrix with its values.
type Row struct {
	Key    string
	Pos    Pos
	Values []any
	// Expr is set when the row's values are an expression.
	Expr *Value
}

// Parse reads one workflow. A file that is not a readable workflow comes
// back with Err set and what could be read.
func Parse(path string, src []byte) *File {
	f, doc, done := readDocument(path, src)
	defer done() // the model keeps no node
	if doc == nil {
		return f
	}
	r := newReader(f)
	r.budget = max(visitsFloor, visitsPerNode*countNodes(doc))
	root := r.resolve(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		f.Err = &Error{Pos: pos(doc.Content[0]), Msg: "a workflow is a mapping of keys (name, on, jobs, …)"}
		return f
	}
	r.workflow(root)
	if r.err != nil && f.Err == nil {
		f.Err = r.err
	}
	return f
}

// readDocument reads a file's source as one YAML document, for Parse and
// ParseAction: the file comes back with Err set, and no document, when its
// source is past token-gate's bounds, not YAML, or empty.
//
// done lets the tree go, once the caller's model holds none of its nodes.
func readDocument(path string, src []byte) (f *File, doc *yaml.Node, done func()) {
	f = &File{Path: path, Source: src, lineStart: lineStarts(src)}
	if err := checkSize(src); err != nil {
		f.Err = err
		return f, nil, func() {}
	}
	if doc, done, ok := plainDocument(src); ok {
		return f, doc, done // as yaml.v3 would read it, at a fraction of the cost
	}
	var node yaml.Node
	if err := yaml.Unmarshal(src, &node); err != nil {
		f.Err = syntaxError(err, src)
		return f, nil, func() {}
	}
	if node.Kind != yaml.DocumentNode || len(node.Content) == 0 {
		f.Err = &Error{Pos: Pos{1, 1}, Msg: "the file is empty"}
		return f, nil, func() {}
	}
	return f, &node, func() {}
}

var (
	errorLine   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })
	errorAnchor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`unknown anchor '([^']*)'`) })
)

// syntaxError turns the YAML parser's error into a place and words. The
// parser gives a line for most errors and none for an alias without its
// anchor, whose line the source tells.
func syntaxError(err error, src []byte) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := errorLine().FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Pos: Pos{max(line, 1), 1}, Msg: "YAML: " + m[2]}
	}
	if m := errorAnchor().FindStringSubmatch(msg); m != nil {
		if at := strings.Index(string(src), "*"+m[1]); at >= 0 {
			return &Error{Pos: Pos{1 + strings.Count(string(src[:at]), "\n"), 1}, Msg: "the alias *" + m[1] + " names no anchor"}
		}
	}
	return &Error{Pos: Pos{1, 1}, Msg: "YAML: " + msg}
}

// lineStarts finds where each line starts, breaking lines as YAML does: at
// LF, CRLF, and a CR alone.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' || c == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// Offset is the byte offset of p in the file's source.
func (f *File) Offset(p Pos) int {
	if p.Line < 1 || p.Line > len(f.lineStart) {
		return len(f.Source)
	}
	off := f.lineStart[p.Line-1]
	for col := 1; col < p.Col && off < len(f.Source) && f.Source[off] != '\n' && f.Source[off] != '\r'; col++ {
		_, size := utf8.DecodeRune(f.Source[off:])
		off += size
	}
	return off
}

// Line returns line n of the source, without its newline.
func (f *File) Line(n int) string {
	if n < 1 || n > len(f.lineStart) {
		return ""
	}
	end := len(f.Source)
	if n < len(f.lineStart) {
		end = f.lineStart[n] - 1
	}
	return strings.TrimSuffix(string(f.Source[f.lineStart[n-1]:end]), "\r")
}

// Lines is how many lines the source has.
func (f *File) Lines() int { return len(f.lineStart) }

// Job finds a job by its ID, without regard to case (GitHub's rule).
func (f *File) Job(id string) *Job {
	for _, j := range f.Jobs {
		if strings.EqualFold(j.ID, id) {
			return j
		}
	}
	return nil
}

// reader carries one Parse.
type reader struct {
	file *File
	err  *Error
	// visits counts the values read, aliases followed: a few hundred
	// bytes of aliases can name billions of values (a "billion laughs"),
	// and past budget the file is refused instead of read.
	visits, budget int
}

// visitsPerNode bounds the values one file's reading may visit, aliases
// followed: a few times the nodes the file holds, plus room for small
// files that use aliases as intended. A file that names more through its
// aliases is refused (a "billion laughs").
const (
	visitsPerNode = 8
	visitsFloor   = 50_000
)

func newReader(f *File) *reader { return &reader{file: f, budget: visitsFloor} }

// countNodes counts a document's nodes without following aliases.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// spend counts one visit; false once the file has spent its bound, and the
// file is then refused.
func (r *reader) spend(n *yaml.Node) bool {
	r.visits++
	if r.visits > r.budget {
		if r.err == nil || r.err.Msg != aliasBomb {
			r.err = &Error{Pos: pos(n), Msg: aliasBomb, Bound: true}
		}
		return false
	}
	return true
}

const aliasBomb = "its aliases name many times more values than the file holds (an alias of a list of aliases of …), so token-gate does not read on"

// checkSize refuses a source past MaxFileSize before any parsing.
func checkSize(src []byte) *Error {
	if len(src) > MaxFileSize {
		return &Error{Pos: Pos{1, 1}, Msg: "the file is larger than any workflow (more than 4 MiB)", Bound: true}
	}
	if isUTF16(src) {
		return &Error{Pos: Pos{1, 1}, Msg: "the file is UTF-16, and token-gate reads workflows as UTF-8", Bound: true}
	}
	return nil
}

// isUTF16 reports a UTF-16 byte-order mark, or the zero bytes of UTF-16
// text without one.
func isUTF16(src []byte) bool {
	if len(src) >= 2 && (src[0] == 0xFF && src[1] == 0xFE || src[0] == 0xFE && src[1] == 0xFF) {
		return true
	}
	return len(src) >= 4 && (src[1] == 0 && src[3] == 0 || src[0] == 0 && src[2] == 0)
}

func (r *reader) fail(n *yaml.Node, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Pos: pos(n), Msg: fmt.Sprintf(format, args...)}
	}
}

func pos(n *yaml.Node) Pos {
	if n == nil || n.Line == 0 {
		return Pos{1, 1}
	}
	return Pos{n.Line, max(n.Column, 1)}
}

// resolve looks through aliases to the node meant. GitHub reads YAML
// anchors and aliases in workflows (docs/facts.md, "Workflows").
func (r *reader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 64 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key of a mapping and its value.
type pair struct{ key, value *yaml.Node }

// pairs walks a mapping's keys and values in order. A merge key (<<:) is
// refused, as GitHub refuses it, and so is a key given twice.
func (r *reader) pairs(n *yaml.Node) []pair {
	n = r.resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || !r.spend(n) {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	// A workflow's mappings are small: a key is looked for among the keys
	// before it, and a set is made only for a large mapping (a matrix, a
	// long env:), which a linear search would make quadratic.
	var seen map[string]bool
	if len(n.Content)/2 > 16 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch {
		case k.Tag == "!!merge":
			r.fail(k, "GitHub does not read YAML merge keys (<<:); write the keys out, or use an alias for the whole value")
		case seen != nil && seen[k.Value] || seen == nil && slices.ContainsFunc(out, func(p pair) bool { return p.key.Value == k.Value }):
			r.fail(k, "the key %s is given twice in this mapping", k.Value)
		}
		if seen != nil {
			seen[k.Value] = true
		}
		out = append(out, pair{k, n.Content[i+1]})
	}
	return out
}

func isMapping(n *yaml.Node) bool { return n != nil && n.Kind == yaml.MappingNode }

func keyOf(p pair) string { return p.key.Value }

// value reads a node as a Value.
func (r *reader) value(n *yaml.Node) Value {
	alias := n != nil && n.Kind == yaml.AliasNode
	n = r.resolve(n)
	if n == nil || !r.spend(n) {
		return Value{Pos: Pos{1, 1}}
	}
	v := Value{Pos: pos(n), Alias: alias}
	switch n.Kind {
	case yaml.ScalarNode:
		v.Raw = r.decode(n)
		if n.Tag != "!!null" {
			v.Text = n.Value
		}
		switch {
		case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
			v.Style = Quoted
		case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			v.Style = Block
			v.blockIndent = r.blockIndent(v.Pos.Line)
		}
	case yaml.SequenceNode:
		v.Seq, v.Flow = true, n.Style&yaml.FlowStyle != 0
		for _, item := range n.Content {
			iv := r.value(item)
			iv.Alias = iv.Alias || alias
			v.Items = append(v.Items, iv)
		}
	case yaml.MappingNode:
		v.Map, v.Flow = true, n.Style&yaml.FlowStyle != 0
	}
	return v
}

// usesPtr reads a uses: value. The self-repository form $/path (GitHub
// changelog 2026-07-30) names the running commit's file as ./path does,
// and reads as ./path (docs/facts.md, "Workflows").
func (r *reader) usesPtr(n *yaml.Node) *Value {
	v := r.value(n)
	if rest, ok := strings.CutPrefix(v.Text, "$/"); ok {
		v.Text = "./" + rest
	}
	return &v
}

// valuePtr is value, for the model's optional fields.
func (r *reader) valuePtr(n *yaml.Node) *Value {
	v := r.value(n)
	return &v
}

// blockIndent is the indentation of the first non-blank line after a block
// scalar's indicator.
func (r *reader) blockIndent(indicatorLine int) int {
	for l := indicatorLine + 1; l <= r.file.Lines(); l++ {
		line := r.file.Line(l)
		if strings.TrimSpace(line) != "" {
			return len(line) - len(strings.TrimLeft(line, " "))
		}
	}
	return 0
}

// decode turns a node into plain values, as JSON would hold them: numbers
// are float64, as GitHub's expressions compare them.
func (r *reader) decode(n *yaml.Node) any {
	n = r.resolve(n)
	if n == nil || !r.spend(n) {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			return strings.EqualFold(n.Value, "true")
		case "!!int", "!!float":
			if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
				return f
			}
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				return float64(i)
			}
		}
		return n.Value
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			out = append(out, r.decode(item))
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		for _, kv := range r.pairs(n) {
			out[keyOf(kv)] = r.decode(kv.value)
		}
		return out
	}
	return nil
}

func (r *reader) vars(n *yaml.Node) []Var {
	kvs := r.pairs(n)
	if len(kvs) == 0 {
		return nil
	}
	out := make([]Var, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, Var{Name: keyOf(kv), Key: pos(kv.key), Value: r.value(kv.value)})
	}
	return out
}

func (r *reader) workflow(root *yaml.Node) {
	f := r.file
	var jobs *pair
	for _, kv := range r.pairs(root) {
		switch keyOf(kv) {
		case "name":
			f.Name = r.value(kv.value).Text
		case "on":
			r.triggers(kv.value)
		case "env":
			f.Env = r.vars(kv.value)
		case "jobs":
			jobs = &kv
		}
	}
	if jobs == nil {
		r.fail(root, "the workflow has no jobs")
		return
	}
	f.JobsKey = pos(jobs.key)
	m := r.resolve(jobs.value)
	if !isMapping(m) {
		r.fail(jobs.value, "jobs is a mapping of job IDs to jobs")
		return
	}
	f.JobsBlock = m.Style&yaml.FlowStyle == 0
	for _, kv := range r.pairs(m) {
		f.Jobs = append(f.Jobs, r.job(kv))
	}
	sort.SliceStable(f.Jobs, func(a, b int) bool { return f.Jobs[a].Pos.Line < f.Jobs[b].Pos.Line })
}

func (r *reader) triggers(n *yaml.Node) {
	f := r.file
	n = r.resolve(n)
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		f.On = append(f.On, n.Value)
		f.Triggers = append(f.Triggers, Trigger{Event: n.Value, Pos: pos(n)})
	case yaml.SequenceNode:
		for _, item := range n.Content {
			v := r.value(item)
			f.On = append(f.On, v.Text)
			f.Triggers = append(f.Triggers, Trigger{Event: v.Text, Pos: v.Pos})
		}
	case yaml.MappingNode:
		for _, kv := range r.pairs(n) {
			event := keyOf(kv)
			f.On = append(f.On, event)
			f.Triggers = append(f.Triggers, r.trigger(event, kv))
			if event == "workflow_call" {
				f.Call = r.call(kv.value)
			}
		}
	}
}

// trigger reads one event's filters: types, branches, tags and their
// -ignore forms, and workflow_dispatch's inputs.
func (r *reader) trigger(event string, kv pair) Trigger {
	t := Trigger{Event: event, Pos: pos(kv.key)}
	strs := func(n *yaml.Node) []string {
		v := r.value(n)
		if !v.Seq {
			if v.Text == "" {
				return nil
			}
			return []string{v.Text}
		}
		out := make([]string, 0, len(v.Items))
		for _, item := range v.Items {
			out = append(out, item.Text)
		}
		return out
	}
	for _, f := range r.pairs(kv.value) {
		switch keyOf(f) {
		case "types":
			t.Types = strs(f.value)
		case "branches":
			t.Branches, t.HasBranches = strs(f.value), true
		case "branches-ignore":
			t.BranchesIgnore, t.HasBranches = strs(f.value), true
		case "tags":
			t.Tags, t.HasTags = strs(f.value), true
		case "tags-ignore":
			t.TagsIgnore, t.HasTags = strs(f.value), true
		case "inputs":
			if event == "workflow_dispatch" {
				t.Inputs = append(t.Inputs, r.inputs(f.value)...)
			}
		}
	}
	return t
}

// inputs reads a mapping of inputs (workflow_call's, workflow_dispatch's,
// an action's), each with its default where one is given.
func (r *reader) inputs(n *yaml.Node) []Var {
	var out []Var
	for _, in := range r.pairs(n) {
		v := Var{Name: keyOf(in), Key: pos(in.key)}
		if def, ok := Lookup(r.vars(in.value), "default"); ok {
			v.Value = def
		}
		out = append(out, v)
	}
	return out
}

func (r *reader) call(n *yaml.Node) *Call {
	c := &Call{}
	for _, kv := range r.pairs(n) {
		switch keyOf(kv) {
		case "inputs":
			c.Inputs = append(c.Inputs, r.inputs(kv.value)...)
		case "secrets":
			for _, s := range r.pairs(kv.value) {
				c.Secrets = append(c.Secrets, keyOf(s))
			}
		}
	}
	return c
}

func (r *reader) job(kv pair) *Job {
	j := &Job{ID: keyOf(kv), Pos: pos(kv.key), Alias: kv.value.Kind == yaml.AliasNode}
	body := r.resolve(kv.value)
	if !isMapping(body) {
		r.fail(kv.value, "job %s is not a mapping of its keys (runs-on:, steps:, …)", j.ID)
		return j
	}
	if body.Style&yaml.FlowStyle == 0 && len(body.Content) > 0 {
		j.BodyCol = pos(body.Content[0]).Col
	}
	for _, p := range r.pairs(body) {
		switch keyOf(p) {
		case "name":
			j.Name = r.valuePtr(p.value)
		case "if":
			j.If = r.valuePtr(p.value)
		case "needs":
			v := r.value(p.value)
			k := pos(p.key)
			j.NeedsKey, j.NeedsValue = &k, &v
			if v.Seq {
				j.Needs = v.Items
			} else if v.Text != "" {
				j.Needs = []Value{v}
			}
		case "env":
			j.Env = r.vars(p.value)
		case "strategy":
			for _, s := range r.pairs(p.value) {
				if keyOf(s) == "matrix" {
					j.Matrix = r.matrix(s.value)
				}
			}
		case "steps":
			k := pos(p.key)
			j.StepsKey = &k
			seq := r.resolve(p.value)
			if seq == nil || seq.Kind != yaml.SequenceNode {
				r.fail(p.value, "steps: of job %s is not a list of steps", j.ID)
				break
			}
			j.StepsFlow = seq.Style&yaml.FlowStyle != 0 || p.value.Kind == yaml.AliasNode
			for i, item := range seq.Content {
				if !isMapping(r.resolve(item)) {
					r.fail(item, "step %d of job %s is not a mapping (uses: or run:, and their keys)", i+1, j.ID)
					continue
				}
				j.Steps = append(j.Steps, r.step(i, item))
			}
		case "uses":
			j.Uses = r.usesPtr(p.value)
		case "with":
			j.With = r.vars(p.value)
		case "secrets":
			v := r.value(p.value)
			k := pos(p.key)
			j.SecretsKey = &k
			if !v.Map && v.Text == "inherit" {
				j.InheritSecrets = true
			} else {
				j.Secrets = r.vars(p.value)
			}
		case "permissions":
			j.Permissions = r.valuePtr(p.value)
			if j.Permissions.Map {
				v, ok := Lookup(r.vars(p.value), "id-token")
				j.IDTokenWrite = ok && v.Text == "write"
			} else {
				j.IDTokenWrite = j.Permissions.Text == "write-all"
			}
		case "runs-on":
			j.RunsOn = r.valuePtr(p.value)
		case "environment":
			v := r.value(p.value)
			if v.Map {
				name, ok := Lookup(r.vars(p.value), "name")
				if !ok {
					break
				}
				v = name
			}
			j.Environment = &v
		case "continue-on-error":
			j.ContinueOnError = r.valuePtr(p.value)
		}
		if keyOf(p) != "steps" {
			j.Exprs = r.exprs(p.value, j.Exprs)
		}
	}
	return j
}

// exprs appends every scalar under n that holds an expression. Aliases are
// not followed: an anchor's scalars are listed where the anchor stands.
func (r *reader) exprs(n *yaml.Node, out []Value) []Value {
	if n == nil || !r.spend(n) {
		return out
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "${{") {
			out = append(out, r.value(n))
		}
	case yaml.SequenceNode, yaml.MappingNode:
		for _, c := range n.Content {
			out = r.exprs(c, out)
		}
	}
	return out
}

func (r *reader) step(i int, n *yaml.Node) *Step {
	s := &Step{Index: i, Pos: pos(n), Flow: n.Kind == yaml.AliasNode}
	body := r.resolve(n)
	if body != nil && body.Style&yaml.FlowStyle != 0 {
		s.Flow = true
	}
	kvs := r.pairs(n)
	for _, kv := range kvs {
		switch keyOf(kv) {
		case "id":
			s.ID = r.value(kv.value).Text
		case "name":
			s.Name = r.value(kv.value).Text
		case "if":
			s.If = r.valuePtr(kv.value)
		case "uses":
			s.Uses = r.usesPtr(kv.value)
		case "with":
			s.With = r.vars(kv.value)
		case "run":
			s.Run = r.valuePtr(kv.value)
		case "env":
			s.Env = r.vars(kv.value)
		case "continue-on-error":
			v := r.value(kv.value)
			s.ContinueOnError = v.Raw == true || strings.EqualFold(v.Text, "true")
		case "background":
			v := r.value(kv.value)
			s.Background = v.Raw == true || strings.EqualFold(v.Text, "true")
		case "wait", "wait-all":
			s.Wait = true
		}
		s.Exprs = r.exprs(kv.value, s.Exprs)
	}
	if len(kvs) > 0 {
		s.Pos = pos(kvs[0].key)
	}
	if body != nil && body.Anchor != "" {
		// An anchored step (- &login) stands where its anchor does, for
		// each alias of it too, as actionlint places it.
		s.Pos = pos(body)
	}
	return s
}

func (r *reader) matrix(n *yaml.Node) *Matrix {
	m := &Matrix{Pos: pos(n)}
	if v := r.value(n); !v.Map {
		m.Expr = &v
		return m
	}
	for _, kv := range r.pairs(n) {
		key := keyOf(kv)
		v := r.value(kv.value)
		raw := r.decode(kv.value)
		switch key {
		case "include", "exclude":
			list, ok := raw.([]any)
			if !ok {
				if key == "include" {
					m.IncludeExpr = &v
				} else {
					m.ExcludeExpr = &v
				}
				continue
			}
			var combos []map[string]any
			for _, item := range list {
				if c, ok := item.(map[string]any); ok {
					combos = append(combos, c)
				}
			}
			if key == "include" {
				m.Include = combos
			} else {
				m.Exclude = combos
			}
		default:
			row := Row{Key: key, Pos: pos(kv.key)}
			if list, ok := raw.([]any); ok {
				row.Values = list
			} else {
				row.Expr = &v
			}
			m.Rows = append(m.Rows, row)
		}
	}
	return m
}
