// Package workflow reads GitHub Actions workflow files into a model that
// keeps where everything stands: the triggers, the env at each level, the
// jobs with their needs, if, matrix and steps, each step's uses, with, run
// and env, and reusable workflow calls with their inputs and secrets. It
// judges nothing (that is the audit's job) and edits nothing (the fix edits
// the text at these positions, never re-serialising YAML).
//
// The YAML tree comes from goccy/go-yaml's parser, which keeps every token's
// line and column and costs the binary's start-up almost nothing; the model
// is checked against actionlint's parser in the tests (README, "Speed").
package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
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
	// Raw is the value decoded: string, float64, bool, nil, []any or
	// map[string]any.
	Raw any
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
	// On lists the events that trigger it.
	On []string
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

	lineStart []int // the byte offset each line starts at
}

// Error is a file that is not a readable workflow, and where.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

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
	// Uses, With, Secrets and InheritSecrets are a reusable workflow call.
	Uses           *Value
	With           []Var
	Secrets        []Var
	InheritSecrets bool
	Permissions    *Value
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
	f := &File{Path: path, Source: src, lineStart: lineStarts(src)}
	tree, err := parser.ParseBytes(src, 0)
	if err != nil {
		f.Err = syntaxError(err)
		return f
	}
	if len(tree.Docs) == 0 || tree.Docs[0].Body == nil {
		f.Err = &Error{Pos: Pos{1, 1}, Msg: "the file is empty"}
		return f
	}
	r := &reader{file: f, anchors: map[string]ast.Node{}}
	root, ok := r.resolve(tree.Docs[0].Body).(*ast.MappingNode)
	if !ok {
		f.Err = &Error{Pos: pos(tree.Docs[0].Body), Msg: "a workflow is a mapping of keys (name, on, jobs, …)"}
		return f
	}
	r.workflow(root)
	if r.err != nil && f.Err == nil {
		f.Err = r.err
	}
	return f
}

func syntaxError(err error) *Error {
	var se interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &se) && se.GetToken() != nil {
		p := se.GetToken().Position
		return &Error{Pos: Pos{p.Line, max(p.Column, 1)}, Msg: "YAML: " + se.GetMessage()}
	}
	return &Error{Pos: Pos{1, 1}, Msg: "YAML: " + err.Error()}
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
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
	for col := 1; col < p.Col && off < len(f.Source) && f.Source[off] != '\n'; col++ {
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
	file    *File
	anchors map[string]ast.Node
	err     *Error
}

func (r *reader) fail(n ast.Node, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Pos: pos(n), Msg: fmt.Sprintf(format, args...)}
	}
}

func pos(n ast.Node) Pos {
	if n == nil || n.GetToken() == nil {
		return Pos{1, 1}
	}
	p := n.GetToken().Position
	return Pos{p.Line, max(p.Column, 1)}
}

// resolve looks through anchors, aliases and tags to the node meant. GitHub
// reads YAML anchors and aliases in workflows (changelog 2025-09-18).
func (r *reader) resolve(n ast.Node) ast.Node {
	for i := 0; i < 64 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			if v.Name != nil {
				r.anchors[v.Name.String()] = v.Value
			}
			n = v.Value
		case *ast.AliasNode:
			if v.Value == nil {
				return nil
			}
			target, ok := r.anchors[v.Value.String()]
			if !ok {
				r.fail(v, "the alias *%s names no anchor", v.Value.String())
				return nil
			}
			n = target
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// pairs walks a mapping's keys and values in order. A merge key (<<:) is
// refused, as GitHub refuses it (docs/facts.md, "Workflows").
func (r *reader) pairs(n ast.Node) []*ast.MappingValueNode {
	var kvs []*ast.MappingValueNode
	switch m := r.resolve(n).(type) {
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	}
	for _, kv := range kvs {
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
			r.fail(kv.Key, "GitHub does not read YAML merge keys (<<:); write the keys out, or use an alias for the whole value")
		}
	}
	return kvs
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

func keyOf(kv *ast.MappingValueNode) string {
	if kv.Key == nil {
		return ""
	}
	k := kv.Key.String()
	if s, ok := kv.Key.(*ast.StringNode); ok {
		k = s.Value
	}
	return k
}

// value reads a node as a Value.
func (r *reader) value(n ast.Node) Value {
	n = r.resolve(n)
	v := Value{Pos: pos(n), Raw: r.decode(n)}
	switch node := n.(type) {
	case *ast.StringNode:
		v.Text = node.Value
		if t := node.GetToken(); t != nil && (t.Type == token.SingleQuoteType || t.Type == token.DoubleQuoteType) {
			v.Style = Quoted
		}
	case *ast.LiteralNode:
		v.Style = Block
		if node.Value != nil {
			v.Text = node.Value.Value
		}
		v.blockIndent = r.blockIndent(v.Pos.Line)
	case *ast.SequenceNode:
		v.Seq, v.Flow = true, node.IsFlowStyle
		for _, item := range node.Values {
			v.Items = append(v.Items, r.value(item))
		}
	case *ast.MappingNode:
		v.Map, v.Flow = true, node.IsFlowStyle
	case *ast.MappingValueNode:
		v.Map = true
	case *ast.NullNode, nil:
	default:
		if t := n.GetToken(); t != nil {
			v.Text = t.Value
		}
	}
	return v
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

// decode turns a node into plain values, as JSON would hold them.
func (r *reader) decode(n ast.Node) any {
	n = r.resolve(n)
	switch node := n.(type) {
	case *ast.StringNode:
		return node.Value
	case *ast.LiteralNode:
		if node.Value != nil {
			return node.Value.Value
		}
		return ""
	case *ast.IntegerNode, *ast.FloatNode:
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.GetToken().Value, "_", ""), 64)
		if err != nil {
			return n.GetToken().Value
		}
		return f
	case *ast.BoolNode:
		return node.Value
	case *ast.SequenceNode:
		out := make([]any, 0, len(node.Values))
		for _, item := range node.Values {
			out = append(out, r.decode(item))
		}
		return out
	case *ast.MappingNode, *ast.MappingValueNode:
		out := map[string]any{}
		for _, kv := range r.pairs(node) {
			out[keyOf(kv)] = r.decode(kv.Value)
		}
		return out
	case *ast.NullNode, nil:
		return nil
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return nil
}

func (r *reader) vars(n ast.Node) []Var {
	var out []Var
	for _, kv := range r.pairs(n) {
		out = append(out, Var{Name: keyOf(kv), Key: pos(kv.Key), Value: r.value(kv.Value)})
	}
	return out
}

func (r *reader) workflow(root *ast.MappingNode) {
	f := r.file
	var jobs *ast.MappingValueNode
	for _, kv := range root.Values {
		switch keyOf(kv) {
		case "name":
			f.Name = r.value(kv.Value).Text
		case "on", "true":
			// YAML 1.1 reads a bare on as true; goccy reads YAML 1.2.
			r.triggers(kv.Value)
		case "env":
			f.Env = r.vars(kv.Value)
		case "jobs":
			jobs = kv
		}
	}
	if jobs == nil {
		r.fail(root, "the workflow has no jobs")
		return
	}
	f.JobsKey = pos(jobs.Key)
	m, ok := r.resolve(jobs.Value).(*ast.MappingNode)
	if !ok {
		if mv, isPair := r.resolve(jobs.Value).(*ast.MappingValueNode); isPair {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			r.fail(jobs.Value, "jobs is a mapping of job IDs to jobs")
			return
		}
	}
	f.JobsBlock = !m.IsFlowStyle
	for _, kv := range m.Values {
		f.Jobs = append(f.Jobs, r.job(kv))
	}
	sort.SliceStable(f.Jobs, func(a, b int) bool { return f.Jobs[a].Pos.Line < f.Jobs[b].Pos.Line })
}

func (r *reader) triggers(n ast.Node) {
	f := r.file
	switch v := r.resolve(n).(type) {
	case *ast.StringNode:
		f.On = append(f.On, v.Value)
	case *ast.SequenceNode:
		for _, item := range v.Values {
			f.On = append(f.On, r.value(item).Text)
		}
	default:
		for _, kv := range r.pairs(v) {
			event := keyOf(kv)
			f.On = append(f.On, event)
			if event == "workflow_call" {
				f.Call = r.call(kv.Value)
			}
		}
	}
}

func (r *reader) call(n ast.Node) *Call {
	c := &Call{}
	for _, kv := range r.pairs(n) {
		switch keyOf(kv) {
		case "inputs":
			for _, in := range r.pairs(kv.Value) {
				v := Var{Name: keyOf(in), Key: pos(in.Key)}
				if def, ok := Lookup(r.vars(in.Value), "default"); ok {
					v.Value = def
				}
				c.Inputs = append(c.Inputs, v)
			}
		case "secrets":
			for _, s := range r.pairs(kv.Value) {
				c.Secrets = append(c.Secrets, keyOf(s))
			}
		}
	}
	return c
}

func (r *reader) job(kv *ast.MappingValueNode) *Job {
	j := &Job{ID: keyOf(kv), Pos: pos(kv.Key)}
	body := r.resolve(kv.Value)
	if !isMapping(body) {
		r.fail(kv.Value, "job %s is not a mapping of its keys (runs-on:, steps:, …)", j.ID)
		return j
	}
	if m, ok := body.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		j.BodyCol = pos(m.Values[0].Key).Col
	} else if mv, ok := body.(*ast.MappingValueNode); ok {
		j.BodyCol = pos(mv.Key).Col
	}
	for _, p := range r.pairs(body) {
		switch keyOf(p) {
		case "name":
			v := r.value(p.Value)
			j.Name = &v
		case "if":
			v := r.value(p.Value)
			j.If = &v
		case "needs":
			v := r.value(p.Value)
			k := pos(p.Key)
			j.NeedsKey, j.NeedsValue = &k, &v
			if v.Seq {
				j.Needs = v.Items
			} else if v.Text != "" {
				j.Needs = []Value{v}
			}
		case "env":
			j.Env = r.vars(p.Value)
		case "strategy":
			for _, s := range r.pairs(p.Value) {
				if keyOf(s) == "matrix" {
					j.Matrix = r.matrix(s.Value)
				}
			}
		case "steps":
			k := pos(p.Key)
			j.StepsKey = &k
			seq, ok := r.resolve(p.Value).(*ast.SequenceNode)
			if !ok {
				r.fail(p.Value, "steps: of job %s is not a list of steps", j.ID)
				break
			}
			for i, item := range seq.Values {
				if !isMapping(r.resolve(item)) {
					r.fail(item, "step %d of job %s is not a mapping (uses: or run:, and their keys)", i+1, j.ID)
					continue
				}
				j.Steps = append(j.Steps, r.step(i, item))
			}
		case "uses":
			v := r.value(p.Value)
			j.Uses = &v
		case "with":
			j.With = r.vars(p.Value)
		case "secrets":
			v := r.value(p.Value)
			if !v.Map && v.Text == "inherit" {
				j.InheritSecrets = true
			} else {
				j.Secrets = r.vars(p.Value)
			}
		case "permissions":
			v := r.value(p.Value)
			j.Permissions = &v
		}
	}
	return j
}

func (r *reader) step(i int, n ast.Node) *Step {
	s := &Step{Index: i, Pos: pos(n)}
	for _, kv := range r.pairs(n) {
		switch keyOf(kv) {
		case "id":
			s.ID = r.value(kv.Value).Text
		case "name":
			s.Name = r.value(kv.Value).Text
		case "if":
			v := r.value(kv.Value)
			s.If = &v
		case "uses":
			v := r.value(kv.Value)
			s.Uses = &v
		case "with":
			s.With = r.vars(kv.Value)
		case "run":
			v := r.value(kv.Value)
			s.Run = &v
		case "env":
			s.Env = r.vars(kv.Value)
		case "continue-on-error":
			v := r.value(kv.Value)
			s.ContinueOnError = v.Raw == true || strings.EqualFold(v.Text, "true")
		}
	}
	if len(r.pairs(n)) > 0 {
		s.Pos = pos(r.pairs(n)[0].Key)
	}
	return s
}

func (r *reader) matrix(n ast.Node) *Matrix {
	m := &Matrix{Pos: pos(n)}
	if v := r.value(n); !v.Map {
		m.Expr = &v
		return m
	}
	for _, kv := range r.pairs(n) {
		key := keyOf(kv)
		v := r.value(kv.Value)
		switch key {
		case "include", "exclude":
			list, ok := v.Raw.([]any)
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
			row := Row{Key: key, Pos: pos(kv.Key)}
			if list, ok := v.Raw.([]any); ok {
				row.Values = list
			} else {
				row.Expr = &v
			}
			m.Rows = append(m.Rows, row)
		}
	}
	return m
}
