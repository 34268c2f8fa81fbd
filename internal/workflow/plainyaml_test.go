package workflow

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/fake"
)

// sameTree says where two YAML trees differ in what the model reads: kind,
// style, tag, value, line, column, anchor, alias and children. Comments
// are left out: nothing reads them, and plainDocument keeps none.
func sameTree(want, got *yaml.Node, path string) string {
	switch {
	case want == nil || got == nil:
		if want != got {
			return fmt.Sprintf("%s: %v against %v", path, want, got)
		}
		return ""
	case want.Kind != got.Kind || want.Style != got.Style || want.Tag != got.Tag || want.Value != got.Value ||
		want.Line != got.Line || want.Column != got.Column || want.Anchor != got.Anchor || (want.Alias == nil) != (got.Alias == nil):
		return fmt.Sprintf("%s: yaml.v3 reads kind %v style %v tag %q value %q at %d:%d; plainDocument kind %v style %v tag %q value %q at %d:%d",
			path, want.Kind, want.Style, want.Tag, want.Value, want.Line, want.Column, got.Kind, got.Style, got.Tag, got.Value, got.Line, got.Column)
	case len(want.Content) != len(got.Content):
		return fmt.Sprintf("%s (%d:%d): %d children against %d", path, want.Line, want.Column, len(want.Content), len(got.Content))
	}
	for i := range want.Content {
		if d := sameTree(want.Content[i], got.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// agrees reads src both ways: whether plainDocument read it, and where it
// differs from yaml.v3 when it did ("" when it agrees, or left it).
func agrees(src []byte) (read bool, diff string) {
	got, done, ok := plainDocument(src)
	if !ok {
		return false, ""
	}
	defer done()
	var want yaml.Node
	if err := yaml.Unmarshal(src, &want); err != nil {
		return true, "yaml.v3 refuses what plainDocument read: " + err.Error()
	}
	return true, sameTree(&want, got, "")
}

// yamlFiles are the workflows and actions that the repository and the
// shared folder hold, by path.
func yamlFiles(t testing.TB) map[string][]byte {
	roots := []string{"../../testdata", "../../.github", "../.."}
	if aibrix, _ := fake.LookupAIBrix(); aibrix != "" {
		roots = append(roots, filepath.Dir(aibrix))
	}
	out := map[string][]byte{}
	for i, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && i == 2 && p != root {
				return filepath.SkipDir // the top level's own action.yml only
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				if src, err := os.ReadFile(p); err == nil {
					out[p] = src
				}
			}
			return nil
		})
	}
	if len(out) < 20 {
		t.Fatalf("only %d YAML files found", len(out))
	}
	return out
}

// Every real workflow here that plainDocument reads, it reads as yaml.v3
// does, node for node; and it reads most of them, or it is not worth its
// keep (docs/speed.md).
func TestPlainDocumentIsYAMLv3(t *testing.T) {
	files := yamlFiles(t)
	read := 0
	var left []string
	for path, src := range files {
		ok, diff := agrees(src)
		if diff != "" {
			t.Errorf("%s: %s", path, diff)
		}
		if ok {
			read++
		} else {
			left = append(left, path)
		}
	}
	t.Logf("plainDocument read %d of %d files; yaml.v3 read %v", read, len(files), left)
	if read*10 < len(files)*8 {
		t.Errorf("plainDocument read only %d of %d files: %v", read, len(files), left)
	}
}

// plainCases are shapes at the edge of what plainDocument reads: each
// either read as yaml.v3 reads it, or left to yaml.v3 (read false).
var plainCases = []struct {
	name, src string
	read      bool
}{
	{"the plain shape", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n", true},
	{"comments, blank lines, no final newline", "# head\n\non: push # why\n\njobs:\n  # lone\n  a:\n    runs-on: x", true},
	{"an empty value, at the end and before a key", "a:\nb:\n  c:\nd: 1\n", true},
	{"a sequence at its key's indent", "a:\n- x\n- y: 1\n  z: 2\nb: 3\n", true},
	{"a compact mapping with a wide dash", "a:\n  -   k: v\n      l: w\n", true},
	{"a nested sequence below a dash", "a:\n  -\n    - x\n", true},
	{"scalars the resolver types", "a: 1\nb: true\nc: ~\nd: 2001-12-14\ne: 0x1F\nf: .inf\ng: yes\nh: -1\n", true},
	{"quoted scalars", "a: 'it''s'\nb: \"x # y\"\nc: ''\nd: '''' \ne: \"\"\n'k': 1\n\"l\": 2\n", true},
	{"flow sequences", "a: []\nb: [ ]\nc: [x, 'y', \"z\"]\nd: [ \"v[0-9]+\" , w ]\ne: {} # none\n", true},
	{"literal blocks", "a: |\n  x\n\n   y\n\nb: |-\n  s\n    t\nc: |\n\n  lead\n", true},
	{"a literal block with a comment-like line and a longer blank", "a: |\n  # text\n    \n  x\nb: 1\n", true},
	{"a literal block at the end, no final newline", "a: |\n  x", true},
	{"a literal block then blank lines at the end", "a: |-\n  x\n\n\n", true},
	{"folded blocks", "a: >\n  one\n  two\n\n  three\n    more\n  four\nb: >-\n  x\n  y\n", true},
	{"a folded block under an item", "s:\n  - >-\n    a\n    b\n  - |\n    c\n", true},
	{"characters beyond ASCII", "é: ü\nk: [ä, ö]\n", true},
	{"a key with spaces", "my key: v\n", true},
	{"a key of 1,000 characters", strings.Repeat("k", 1000) + ": v\n", true},
	{"a key longer than yaml.v3 looks for its colon", strings.Repeat("k", 1100) + ": v\n", false},
	{"a quoted key longer than that", "'" + strings.Repeat("k", 1100) + "': v\n", false},
	{"an anchor and an alias", "a: &x 1\nb: *x\n", false},
	{"a merge key", "a:\n  <<: {b: 1}\n", false},
	{"a tag", "a: !!str 1\n", false},
	{"a flow mapping", "a: {b: 1}\n", false},
	{"a multi-line plain scalar", "a: one\n  two\n", false},
	{"a plain scalar on the line below", "a:\n  one\n", false},
	{"a multi-line quoted scalar", "a: 'one\n  two'\n", false},
	{"a double-quoted escape", "a: \"x\\ty\"\n", false},
	{"a tab after the colon", "a:\tb\n", false},
	{"a tab inside a value, and before its comment", "a: ${{ x\t}}\nb: c\t# d\ne: f\t\n", true},
	{"a tab before a value", "a: \tb\n", false},
	{"a dash and a tab before a value", "a: -\tb\n", false},
	{"a tab after a colon inside a value", "a: b:\tc\n", false},
	{"a tab in indentation", "a:\n\tb: 1\n", false},
	{"a carriage return", "a: b\r\nc: d\r\n", false},
	{"a byte-order mark", "\ufeffa: b\n", false},
	{"a document marker", "---\na: b\n", false},
	{"a directive", "%YAML 1.2\n---\na: b\n", false},
	{"a kept block", "a: |+\n  x\n\n", false},
	{"an indentation indicator", "a: |2\n   x\n", false},
	{"an empty block", "a: |\nb: 1\n", false},
	{"a blank line longer than the block's text", "a: |\n     \n  x\n", false},
	{"a tab where a block's indentation is read (FuzzPlainDocument)", "0: >\n \t", false},
	{"a tab inside a block's text", "a: |\n  x\n  \ty\n", true},
	{"a sequence in a sequence on one line", "a:\n  - - x\n", false},
	{"an empty item", "a:\n  -\n  - x\n", false},
	{"a trailing comma", "a: [x,]\n", false},
	{"a nested flow sequence", "a: [[x]]\n", false},
	{"a question mark inside a flow item (FuzzPlainDocument)", "a: [0?]\n", false},
	{"a question mark inside a block value", "a: 0?\n", true},
	{"an unclosed flow sequence", "a: [x,\n  y]\n", false},
	{"a value that is a key", "a: b: c\n", false},
	{"a question mark", "? a\n: b\n", false},
	{"a top-level sequence", "- a\n", false},
	{"a top-level scalar", "a\n", false},
	{"an empty file", "", false},
	{"only comments", "# a\n", false},
	{"a deeper comment after a value", "a: b\n  # c\nd: e\n", false},
	{"a key deeper than its siblings", "a: 1\n  b: 2\n", false},
	{"a control character", "a: b\x01\n", false},
	{"a line separator", "a: b\u2028c\n", false},
	{"invalid UTF-8", "a: \xff\n", false},
}

func TestPlainDocumentCases(t *testing.T) {
	for _, c := range plainCases {
		read, diff := agrees([]byte(c.src))
		if diff != "" {
			t.Errorf("%s: %s\n%s", c.name, diff, c.src)
		}
		if read != c.read {
			t.Errorf("%s: read %v, want %v\n%s", c.name, read, c.read, c.src)
		}
	}
}

// FuzzPlainDocument: whatever plainDocument reads, yaml.v3 reads alike.
//
//	go test -run '^$' -fuzz '^FuzzPlainDocument$' -fuzztime 10m ./internal/workflow
func FuzzPlainDocument(f *testing.F) {
	for _, c := range plainCases {
		f.Add([]byte(c.src))
	}
	for _, src := range yamlFiles(f) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, diff := agrees(src); diff != "" {
			t.Fatalf("%s\n%q", diff, src)
		}
	})
}

// plainShapes writes random documents in and around the shapes
// plainDocument reads: nested mappings and sequences at uneven indents,
// every scalar style, block scalars with blank, longer and more-indented
// lines, comments and blank lines anywhere. The fuzzer mutates bytes;
// this reaches the edges of the grammar.
type plainShapes struct {
	r *rand.Rand
	b strings.Builder
}

var shapeScalars = []string{"x", "1", "-1", "0x1F", "true", "yes", "~", "null", "2001-12-14", ".inf", "a b", "a#b", "a # c", "a:b", "a: b",
	"'q'", "'it''s'", "''", "\"d\"", "\"x # y\"", "\"\"", "-x", "é ü", "${{ secrets.X }}", "a  ", "- x", "[x, 'y']", "[ ]", "[x,]", "[a?b, c]", "[a b, 'c']", "{}", "{a: 1}",
	"&a x", "*a", "!t x", "|", ">", "'open", "x\ty", "x\t", "x\t#c", "\tx", "a:\tb", "a\t:b", "@x", "`x", "%x", "?x", ":x", "<<"}

func (g *plainShapes) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *plainShapes) filler(indent int) {
	for g.r.IntN(4) == 0 {
		switch g.r.IntN(3) {
		case 0:
			g.b.WriteString(strings.Repeat(" ", g.r.IntN(indent+4)) + "# note\n")
		case 1:
			g.b.WriteString(strings.Repeat(" ", g.r.IntN(indent+4)) + "\n")
		default:
			g.b.WriteString("\n")
		}
	}
}

func (g *plainShapes) mapping(indent, depth int, inline bool) {
	for i := range 1 + g.r.IntN(3) {
		if i > 0 || !inline {
			g.filler(indent)
			g.b.WriteString(strings.Repeat(" ", indent))
		}
		g.b.WriteString(g.pick("a", "b", "on", "runs-on", "'q k'", "\"d\"", "my key", "1", "é", "a ", "<<", "${{ x }}") + ":")
		g.value(indent, depth)
	}
}

func (g *plainShapes) sequence(indent, depth int) {
	for range 1 + g.r.IntN(3) {
		g.filler(indent)
		g.b.WriteString(strings.Repeat(" ", indent) + "-")
		switch g.r.IntN(4) {
		case 0:
			if depth < 4 {
				pad := 1 + g.r.IntN(3)
				g.b.WriteString(strings.Repeat(" ", pad))
				g.mapping(indent+1+pad, depth+1, true)
				continue
			}
			fallthrough
		default:
			g.value(indent, depth)
		}
	}
}

func (g *plainShapes) value(indent, depth int) {
	switch n := g.r.IntN(10); {
	case n < 4 || depth >= 4:
		g.b.WriteString(" " + g.pick(shapeScalars...) + g.pick("", "", " # c", "  ", "#c") + "\n")
	case n == 4:
		g.b.WriteString("\n")
	case n == 5:
		g.b.WriteString(g.pick("", " # c") + "\n")
		g.mapping(indent+1+g.r.IntN(3), depth+1, false)
	case n == 6:
		g.b.WriteString("\n")
		g.sequence(indent+g.r.IntN(3), depth+1)
	default:
		g.block(indent)
	}
}

func (g *plainShapes) block(indent int) {
	g.b.WriteString(" " + g.pick("|", "|-", ">", ">-", "|+", "|2") + g.pick("", "", " # c") + "\n")
	text := indent + 1 + g.r.IntN(3)
	for range g.r.IntN(6) {
		switch g.r.IntN(6) {
		case 0:
			g.b.WriteString(strings.Repeat(" ", g.r.IntN(text+3)) + "\n")
		case 1:
			g.b.WriteString(strings.Repeat(" ", text+1+g.r.IntN(2)) + "more\n")
		case 2:
			g.b.WriteString(strings.Repeat(" ", text) + "# text " + g.pick("", " ", "\t") + "\n")
		case 3:
			g.b.WriteString(strings.Repeat(" ", g.r.IntN(text+2)) + "\t" + g.pick("", "x") + "\n")
		default:
			g.b.WriteString(strings.Repeat(" ", text) + g.pick("line", "two words", "a: b", "- x") + "\n")
		}
	}
}

func TestPlainDocumentGenerated(t *testing.T) {
	const docs = 30000
	r := rand.New(rand.NewPCG(1, 2))
	read := 0
	for i := range docs {
		g := &plainShapes{r: r}
		g.mapping(0, 0, false)
		src := g.b.String()
		if r.IntN(5) == 0 {
			src = strings.TrimRight(src, "\n")
		}
		ok, diff := agrees([]byte(src))
		if diff != "" {
			t.Fatalf("document %d: %s\n%s", i, diff, src)
		}
		if ok {
			read++
		}
	}
	// The generator must reach the reader, not only its refusals.
	if read < docs/20 {
		t.Errorf("plainDocument read %d of %d generated documents", read, docs)
	}
	t.Logf("plainDocument read %d of %d generated documents", read, docs)
}

// go test ./internal/workflow -run '^$' -bench ReadYAML -benchmem : the
// shared corpus's files read by yaml.v3 and by plainDocument.
func BenchmarkReadYAML(b *testing.B) {
	corpus := fake.Corpus(b)
	var srcs [][]byte
	for path, src := range yamlFiles(b) {
		if strings.HasPrefix(path, corpus+string(filepath.Separator)) {
			srcs = append(srcs, src)
		}
	}
	b.Run("yaml.v3", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				var doc yaml.Node
				if err := yaml.Unmarshal(src, &doc); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("plainDocument", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				if _, done, ok := plainDocument(src); ok {
					done()
				} else {
					var doc yaml.Node
					yaml.Unmarshal(src, &doc)
				}
			}
		}
	})
}

// A plain scalar whose first byte is not in resolvable is a string to
// yaml.v3's resolver, whatever follows: plainDocument tags it so without
// asking. Should a yaml.v3 release widen its table, this fails.
func TestResolvableCoversTheResolver(t *testing.T) {
	for c := range 256 {
		if strings.IndexByte(resolvable, byte(c)) >= 0 {
			continue
		}
		for _, rest := range []string{"", "1", "0", "e3", ".5", "rue", "RUE", "ull", "inf", "<", "x"} {
			v := string([]byte{byte(c)}) + rest
			if tag := (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag(); tag != "!!str" {
				t.Errorf("%q resolves to %s, but its first byte is not in resolvable", v, tag)
			}
		}
	}
	for _, v := range []string{"1", "-1", "+1", ".5", "~", "null", "true", "yes", "<<"} {
		if strings.IndexByte(resolvable, v[0]) < 0 {
			t.Errorf("%q starts with a byte the resolver reads, missing from resolvable", v)
		}
	}
}

// plainTag answers as yaml.v3's resolver does, for the corpus's every plain
// scalar and for texts at the edge of each rule: its map's entries, their
// near misses, numbers, times and words.
func TestPlainTagIsTheResolvers(t *testing.T) {
	texts := []string{"true", "True", "TRUE", "tRUE", "truE", "false", "False", "FALSE", "fals", "~", "~x", "null", "Null", "NULL", "nULL", "nul",
		"<<", "<", "<<<", "yes", "Yes", "no", "No", "on", "On", "off", "y", "n", ".nan", ".NaN", ".inf", "+.inf", "-.Inf", ".5", "1", "-1", "+1",
		"0x1F", "0o17", "0b11", "1_000", "1e3", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "1.2.3", "-x", "+x", ".x", "07", "08", "0.", "tags", "outputs", "needs"}
	for _, src := range yamlFiles(t) {
		var doc yaml.Node
		if yaml.Unmarshal(src, &doc) != nil {
			continue
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode && n.Style == 0 && n.Value != "" {
				texts = append(texts, n.Value)
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
	for _, v := range texts {
		if got, want := plainTag(v), (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag(); got != want {
			t.Errorf("%q: plainTag %s, the resolver %s", v, got, want)
		}
	}
}

// A model keeps no node of the tree it was read from: reading the next
// file into the same memory (plainDocument's done) leaves it as it was.
// Every file here is read, then the next, then compared with itself read
// afresh.
func TestModelOutlivesItsTree(t *testing.T) {
	files := yamlFiles(t)
	paths := slices.Sorted(maps.Keys(files))
	for i, path := range paths {
		first := Parse("w.yml", files[path])
		action := ParseAction("action.yml", files[path])
		next := files[paths[(i+1)%len(paths)]]
		Parse("w.yml", next)
		ParseAction("action.yml", next)
		if again := Parse("w.yml", files[path]); !reflect.DeepEqual(first, again) {
			t.Errorf("%s: its workflow model changed when the next file was read", path)
		}
		if again := ParseAction("action.yml", files[path]); !reflect.DeepEqual(action, again) {
			t.Errorf("%s: its action model changed when the next file was read", path)
		}
	}
}

// done, called twice, gives its slabs back once: two readers never share
// one.
func TestDoneGivesBackOnce(t *testing.T) {
	_, done, ok := plainDocument([]byte("a: 1\n"))
	if !ok {
		t.Fatal("not read")
	}
	done()
	done()
	first, doneFirst, _ := plainDocument([]byte("b: 2\n"))
	second, doneSecond, _ := plainDocument([]byte("c: 3\n"))
	defer doneFirst()
	defer doneSecond()
	if first.Content[0].Content[0].Value != "b" || second.Content[0].Content[0].Value != "c" {
		t.Errorf("two documents share a slab: %q and %q", first.Content[0].Content[0].Value, second.Content[0].Content[0].Value)
	}
}

// A line of many items is read in time that grows with it, not with its
// square: a column counted from the line's start for every item, or a
// quoted item's tab searched for to the line's end, took 2 s for 40,000
// items and would have taken half an hour for a 4 MiB file. 200,000 items
// of each kind must take well under that.
func TestLongLinesStayLinear(t *testing.T) {
	for _, item := range []string{"a", "'a'", "\"b\"", "é", "'é''s'"} {
		src := "a: [" + strings.Repeat(item+", ", 200_000) + item + "]\n"
		start := time.Now()
		_, done, ok := plainDocument([]byte(src))
		if !ok {
			t.Fatalf("%s: not read", item)
		}
		done()
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("%s: 200,001 items took %v", item, took)
		}
	}
}

// The first slab is sized from the colons and dashes, up to a bound: a
// hostile file of 4 MiB of colons reserved 1.3 GB before the bound, and
// Load reads a file per CPU at once. Each shape is still read as yaml.v3
// reads it. (A file of 4 MiB of real keys is a tree that size, for either
// reader.)
func TestHostileCountsReserveLittle(t *testing.T) {
	for name, src := range map[string]string{
		"colons in a value": "a: " + strings.Repeat(":", MaxFileSize-8) + "\n",
		"dashes":            "a: " + strings.Repeat("-", MaxFileSize-8) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			doc, done, ok := plainDocument([]byte(src))
			runtime.ReadMemStats(&after)
			const bound = 256 << 20 // the lines, the tree and the slab, well under
			if got := after.TotalAlloc - before.TotalAlloc; got > bound {
				t.Errorf("reading 4 MiB allocated %d MiB; the slab is to be bounded", got>>20)
			}
			if !ok {
				return // left to yaml.v3, as TestPlainDocumentCases holds
			}
			defer done()
			var want yaml.Node
			if err := yaml.Unmarshal([]byte(src), &want); err != nil {
				t.Fatalf("read a document yaml.v3 refuses (%v)", err)
			}
			if diff := sameTree(&want, doc, ""); diff != "" {
				t.Errorf("read otherwise than yaml.v3: %s", diff)
			}
		})
	}
}
