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

// go test ./internal/audit -run '^$' -bench AuditCorpus -benchmem : each
// repository of the shared corpus read and judged, apart; go run
// ./internal/bench/process compares each as a whole process with
// actionlint (docs/speed.md).
func BenchmarkAuditCorpus(b *testing.B) {
	corpus := filepath.Join(filepath.Dir(fake.AIBrixWorkflows(b)), "corpus")
	entries, err := os.ReadDir(corpus)
	if err != nil {
		b.Skip(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b.Run(e.Name(), func(b *testing.B) {
			root := b.TempDir()
			if err := os.CopyFS(filepath.Join(root, workflow.Dir), os.DirFS(filepath.Join(corpus, e.Name()))); err != nil {
				b.Fatal(err)
			}
			repo, err := workflow.Load(root)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				Audit(repo, Options{})
			}
		})
	}
}
