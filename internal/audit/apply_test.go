package audit

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Apply's one pass makes the same text as making each edit from the last
// offset to the first, for every set of edits: apart, touching, sharing an
// offset (which the backward pass orders), and overlapping (which breaks
// Apply's contract: both then fail alike, or agree).
func TestApplyOnePass(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	texts := []string{"", "x", "needs: preflight\n", "  preflight:\n    runs-on: ubuntu-latest\n"}
	for range 20000 {
		src := bytes.Repeat([]byte("ab\n"), rng.IntN(20))
		edits := make([]Edit, rng.IntN(5))
		for i := range edits {
			off := rng.IntN(len(src) + 1)
			edits[i] = Edit{Offset: off, Length: rng.IntN(len(src) - off + 1), Text: texts[rng.IntN(len(texts))]}
			if rng.IntN(2) == 0 {
				edits[i].Length = 0
			}
		}
		in := append([]Edit(nil), edits...)
		got, gotPanic := tryApply(Apply, src, edits)
		want, wantPanic := tryApply(applyBackwards, src, edits)
		if gotPanic != wantPanic || !bytes.Equal(got, want) {
			t.Fatalf("Apply(%q, %+v) = %q (panic %v); from the last edit to the first: %q (panic %v)", src, edits, got, gotPanic, want, wantPanic)
		}
		for i := range in {
			if in[i] != edits[i] {
				t.Fatalf("Apply reordered its argument: %+v, was %+v", edits, in)
			}
		}
	}
}

func tryApply(apply func([]byte, []Edit) []byte, src []byte, edits []Edit) (out []byte, panicked bool) {
	defer func() {
		if recover() != nil {
			out, panicked = nil, true
		}
	}()
	return apply(src, edits), false
}
