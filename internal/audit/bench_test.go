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
func aibrixRoot(b *testing.B) string { return checkout(b, fake.AIBrixWorkflows(b)) }

// checkout lays a folder of workflows out as a repository holds them.
func checkout(b *testing.B, workflows string) string {
	root := b.TempDir()
	if err := os.CopyFS(filepath.Join(root, workflow.Dir), os.DirFS(workflows)); err != nil {
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
			repo, err := workflow.Load(checkout(b, filepath.Join(corpus, e.Name())))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				Audit(repo, Options{})
			}
		})
	}
}
