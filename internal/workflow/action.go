package workflow

import (
	"go.yaml.in/yaml/v3"
)

// Action is a local action (uses: ./path) as far as the audit reads it: its
// name, its inputs with their defaults, and, for a composite action, its
// steps, which run in the job that uses it.
type Action struct {
	// File holds the action.yml's path and source, for positions.
	File   *File
	Name   string
	Inputs []Var
	Steps  []*Step
}

// ParseAction reads a local action's action.yml. A file that is not a
// readable action comes back with File.Err set.
func ParseAction(path string, src []byte) *Action {
	f, doc, done := readDocument(path, src)
	defer done() // the model keeps no node
	act := &Action{File: f}
	if doc == nil {
		return act
	}
	r := newReader(f)
	for _, kv := range r.pairs(doc.Content[0]) {
		switch keyOf(kv) {
		case "name":
			act.Name = r.value(kv.value).Text
		case "inputs":
			act.Inputs = append(act.Inputs, r.inputs(kv.value)...)
		case "runs":
			for _, rk := range r.pairs(kv.value) {
				if keyOf(rk) != "steps" {
					continue
				}
				seq := r.resolve(rk.value)
				if seq == nil || seq.Kind != yaml.SequenceNode {
					continue
				}
				for i, item := range seq.Content {
					if isMapping(r.resolve(item)) {
						act.Steps = append(act.Steps, r.step(i, item))
					}
				}
			}
		}
	}
	if r.err != nil {
		f.Err = r.err
	}
	return act
}
