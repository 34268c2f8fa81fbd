package audit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

// go test ./internal/audit -bench . : reading and judging AIBrix's nine
// workflows, apart; go run ./internal/bench/audit compares the whole with
// actionlint.
func aibrixRoot(b *testing.B) string {
	shared := fake.AIBrixWorkflows(b)
	root := b.TempDir()
	if err := os.CopyFS(filepath.Join(root, workflow.Dir), os.DirFS(shared)); err != nil {
		b.Fatal(err)
	}
	return root
}

func BenchmarkLoad(b *testing.B) {
	root := aibrixRoot(b)
	for b.Loop() {
		if _, err := workflow.Load(root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAudit(b *testing.B) {
	repo, err := workflow.Load(aibrixRoot(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Audit(repo, Options{})
	}
}
