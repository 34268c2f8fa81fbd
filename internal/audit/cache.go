package audit

import (
	"sync"

	"github.com/token-gate/token-gate/internal/expr"
)

// memo keeps what depends on text alone (a script's commands, a compiled
// expression template, a parsed image name, a parsed if:), shared by every auditor of
// one Audit: the files' auditors, which run side by side, and the fix's
// checks, which read the same workflow again and again.
type memo struct {
	mu        sync.Mutex
	names     map[string]parsedName
	scripts   map[string][]command
	templates map[string]expr.Template
	conds     map[string]parsedCond
}

func newMemo() *memo {
	return &memo{names: map[string]parsedName{}, scripts: map[string][]command{}, templates: map[string]expr.Template{},
		conds: map[string]parsedCond{}}
}

// once returns m[key], made by make the first time; make runs outside the
// lock, so two auditors may both make it, and either answer is kept.
func once[V any](mu *sync.Mutex, m map[string]V, key string, make func() V) V {
	mu.Lock()
	v, ok := m[key]
	mu.Unlock()
	if ok {
		return v
	}
	v = make()
	mu.Lock()
	m[key] = v
	mu.Unlock()
	return v
}
