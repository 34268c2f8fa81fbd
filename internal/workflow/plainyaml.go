package workflow

import (
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// plainDocument reads src as yaml.v3 reads it, into the same tree, when
// src is written in the plain block YAML that most workflows are: one
// mapping of block mappings and sequences, one-line plain and quoted
// scalars, literal and folded block scalars (|, |-, >, >-), one-line flow
// sequences of scalars, and {}. Anything else (anchors, aliases, tags,
// kept or indented blocks, multi-line plain or quoted scalars, flow
// mappings, escapes, a tab outside a value, a comment or block text,
// carriage returns, document markers) makes it answer false, and yaml.v3
// reads the file: plainDocument never reads what yaml.v3 would refuse
// (within MaxFileSize, which checkSize holds every file to first: its
// nesting then stays below yaml.v3's depth limit).
//
// Why a second reader: a short audit is mostly start-up, and yaml.v3
// builds each scalar byte by byte and boxes each tag it resolves; this
// reader makes one string of the source, cuts every value from it, and
// takes its nodes from slabs: a sixth of yaml.v3's time on the corpus
// (docs/speed.md). Comments are not kept: nothing here reads them.
// TestPlainDocumentIsYAMLv3, TestPlainDocumentGenerated and
// FuzzPlainDocument hold it to yaml.v3, node for node: kind, style, tag,
// value, line and column.
//
// done gives the tree's memory back for the next document to be read in:
// the caller calls it once nothing holds a node (Parse and ParseAction
// build their model from the tree and keep none of it). A fresh process
// pays for each page of memory it first writes (docs/speed.md), and the
// fix's check reads a second file after the first.
func plainDocument(src []byte) (doc *yaml.Node, done func(), ok bool) {
	if !printable(src) {
		return nil, nil, false
	}
	p := &plainReader{text: string(src)}
	p.spare, _ = spareSlabs.Get().(*plainSlabs)
	if p.spare == nil {
		p.spare = &plainSlabs{}
	}
	p.split()
	done = func() {
		if p.spare == nil {
			return // given back already: twice would hand one slab to two readers
		}
		p.spare.lines = p.lines[:0]
		spareSlabs.Put(p.spare)
		p.spare = nil
	}
	doc, ok = p.document()
	if !ok {
		done()
		return nil, nil, false
	}
	return doc, done, true
}

// spareSlabs holds the slabs of trees their readers are done with.
var spareSlabs sync.Pool // of *plainSlabs

type plainSlabs struct {
	lines []plainLine
	nodes []yaml.Node
	arena []*yaml.Node
}

// reuse is s emptied, or a new slice of n when there is none.
func reuse[T any](s []T, n int) []T {
	if cap(s) == 0 {
		return make([]T, 0, n)
	}
	return s[:0]
}

// printable reports UTF-8 that holds no character YAML forbids or reads as
// a line break besides LF (NEL, LS, PS, and CR, which yaml.v3 reads), no
// byte-order mark, and no control character but LF and tab.
func printable(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 || r <= 0x9f || r == 0xfeff || r == 0x2028 || r == 0x2029 || r >= 0xfffe && r <= 0xffff {
			return false
		}
		i += size
	}
	return true
}

// plainLine is one line of the source, by byte offsets into the text.
type plainLine struct {
	start, end int
	// indent is the count of leading spaces; content is false for a line
	// that is blank or holds only a comment (outside block text).
	indent  int
	content bool
}

type plainReader struct {
	text   string
	lines  []plainLine
	at     int // the line being read
	failed bool
	slab   []yaml.Node
	kids   []*yaml.Node // children being gathered, a stack shared by every level
	arena  []*yaml.Node // where each node's Content is cut from
	// colLine, colOff and colChars are col's last answer: a line, a byte
	// offset in the text, and the characters before it on its line.
	colLine, colOff, colChars int
	// spare holds the slabs to reuse: the first slab and arena, sized for
	// the whole document, are its own.
	spare *plainSlabs
}

// split finds the lines and how each starts, and readies the slabs.
func (p *plainReader) split() {
	n := strings.Count(p.text, "\n") + 1
	p.lines = reuse(p.spare.lines, n)
	for start := 0; start <= len(p.text); {
		end := strings.IndexByte(p.text[start:], '\n')
		if end < 0 {
			end = len(p.text)
		} else {
			end += start
		}
		line := p.text[start:end]
		indent := len(line) - len(strings.TrimLeft(line, " "))
		rest := line[indent:]
		p.lines = append(p.lines, plainLine{start: start, end: end, indent: indent, content: rest != "" && rest[0] != '#'})
		if end == len(p.text) {
			break
		}
		start = end + 1
	}
	// A node for each key and its value, and for each item: a slab each,
	// sized once from the colons and dashes. An over-count costs little,
	// as fresh memory costs nothing until it is written, up to a bound: a
	// hostile file of colons would reserve a gigabyte. The largest real
	// workflows here take a few thousand nodes; past the bound, nodes come
	// from small slabs (node).
	nodes := min(2*strings.Count(p.text, ":")+strings.Count(p.text, "-"), maxSlabNodes) + 8
	// A spare slab is taken even when it is smaller than the count: the
	// fixed file is the original and a little more, and what does not fit
	// goes to small slabs too.
	p.spare.nodes, p.spare.arena = reuse(p.spare.nodes, nodes), reuse(p.spare.arena, nodes)
	p.slab, p.arena = p.spare.nodes, p.spare.arena
}

// maxSlabNodes bounds the first slab: 16,384 nodes are 2.4 MiB.
const maxSlabNodes = 1 << 14

func (p *plainReader) fail() { p.failed = true }

// node is a new node from the slab.
func (p *plainReader) node(kind yaml.Kind, tag string, line, col int) *yaml.Node {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, 64)
	}
	p.slab = p.slab[:len(p.slab)+1]
	n := &p.slab[len(p.slab)-1]
	*n = yaml.Node{Kind: kind, Tag: tag, Line: line, Column: col} // a reused slab holds an old tree
	return n
}

// content gives n the children gathered since mark, cut from the arena.
func (p *plainReader) content(n *yaml.Node, mark int) {
	kids := p.kids[mark:]
	if len(p.arena)+len(kids) > cap(p.arena) {
		p.arena = make([]*yaml.Node, 0, max(64, len(kids)))
	}
	start := len(p.arena)
	p.arena = append(p.arena, kids...)
	n.Content = p.arena[start:len(p.arena):len(p.arena)]
	clear(p.kids[mark:])
	p.kids = p.kids[:mark]
}

// col is the 1-based column, in characters, of byte offset off of line l.
// A line is read left to right, so each answer counts on from the last
// one on its line: a line of a million items costs a million steps, not a
// million squared.
func (p *plainReader) col(l, off int) int {
	if l != p.colLine || off < p.colOff {
		p.colLine, p.colOff, p.colChars = l, p.lines[l].start, 0
	}
	s := p.text[p.colOff:off]
	n := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n = utf8.RuneCountInString(s)
			break
		}
	}
	p.colOff, p.colChars = off, p.colChars+n
	return p.colChars + 1
}

// next moves past blank and comment lines; false at the end.
func (p *plainReader) next() bool {
	for p.at < len(p.lines) && !p.lines[p.at].content {
		p.at++
	}
	return p.at < len(p.lines)
}

func (p *plainReader) document() (*yaml.Node, bool) {
	for _, l := range p.lines {
		// Document markers and directives are left to yaml.v3. (A tab is
		// refused where it is met: in a key, at a value's start or in the
		// space between; a plain value, a comment or block text may hold
		// one.)
		if line := p.text[l.start:l.end]; l.content && (strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") || line[0] == '%') {
			return nil, false
		}
	}
	if !p.next() || p.lines[p.at].indent != 0 {
		return nil, false
	}
	l := p.lines[p.at]
	doc := p.node(yaml.DocumentNode, "", p.at+1, 1)
	root := p.mapping(0, l.start)
	if p.failed || root == nil || p.next() {
		return nil, false
	}
	mark := len(p.kids)
	p.kids = append(p.kids, root)
	p.content(doc, mark)
	return doc, true
}

// mapping reads a block mapping whose keys stand at indent, the first of
// them at byte offset first of the current line.
func (p *plainReader) mapping(indent, first int) *yaml.Node {
	m := p.node(yaml.MappingNode, "!!map", p.at+1, p.col(p.at, first))
	mark := len(p.kids)
	at := first
	for {
		key, rest, ok := p.key(at)
		if !ok {
			p.fail()
			return nil
		}
		value := p.value(indent, rest, false)
		if p.failed {
			return nil
		}
		p.kids = append(p.kids, key, value)
		if !p.next() {
			break
		}
		l := p.lines[p.at]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			p.fail()
			return nil
		}
		at = l.start + indent
		if p.dash(at, l.end) {
			break // a sequence at the mapping's indent ends it (the caller's value)
		}
	}
	p.content(m, mark)
	return m
}

// key reads "key:" at byte offset at of the current line: the key's node,
// and the offset after the colon.
func (p *plainReader) key(at int) (*yaml.Node, int, bool) {
	l := p.lines[p.at]
	line := p.text[at:l.end]
	var k *yaml.Node
	var colon int
	switch line[0] {
	case '\'', '"':
		q, end, ok := p.quotedScalar(at)
		if !ok || end-at >= len(line) || line[end-at] != ':' {
			return nil, 0, false
		}
		k, colon = q, end-at
	default:
		colon = keyColon(line)
		if colon <= 0 {
			return nil, 0, false
		}
		text := line[:colon]
		if !plainText(text) || text == "<<" || strings.HasSuffix(text, " ") {
			return nil, 0, false
		}
		k = p.scalar(text, 0, p.at, at)
	}
	if colon+1 < len(line) && line[colon+1] != ' ' || colon > 1000 {
		// A key yaml.v3 finds no colon for: it looks for one within
		// 1,024 characters of the key's start.
		return nil, 0, false
	}
	return k, at + colon + 1, true
}

// quotedScalar reads the one-line quoted scalar at byte offset at of the
// current line: its node, and the offset past its closing quote.
func (p *plainReader) quotedScalar(at int) (*yaml.Node, int, bool) {
	text, n, ok := quoted(p.text[at:p.lines[p.at].end])
	if !ok {
		return nil, 0, false
	}
	style := yaml.SingleQuotedStyle
	if p.text[at] == '"' {
		style = yaml.DoubleQuotedStyle
	}
	return p.scalar(text, style, p.at, at), at + n, true
}

// keyColon is where a plain key's colon stands: the first ':' followed by
// a space or the line's end; -1 when a comment, a tab or nothing comes
// first.
func keyColon(line string) int {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ':':
			if i+1 == len(line) || line[i+1] == ' ' {
				return i
			}
		case '#':
			if i > 0 && line[i-1] == ' ' {
				return -1
			}
		case '\t':
			return -1
		}
	}
	return -1
}

// resolvable are the first bytes that yaml.v3's resolver looks past (its
// resolveTable): a plain scalar starting with any other is a string, which
// is plainTag's answer for it. TestResolvableCoversTheResolver holds the
// set to yaml.v3's table.
const resolvable = "+-0123456789yYnNtTfFoO~<."

// plainTag is the tag yaml.v3's resolver gives a plain scalar. Past a sign,
// a digit or a dot it parses numbers and times, and is asked; past the
// other bytes it reads (y, n, t, f, o, ~, <) it only looks the whole text
// up in its map, whose entries are these (resolve.go, resolveMapList).
// TestPlainTagIsTheResolvers holds the two together.
func plainTag(text string) string {
	switch c := text[0]; {
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return (&yaml.Node{Kind: yaml.ScalarNode, Value: text}).ShortTag()
	case strings.IndexByte(resolvable, c) >= 0:
		switch text {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "~", "null", "Null", "NULL":
			return "!!null"
		case "<<":
			return "!!merge"
		}
	}
	return "!!str"
}

func (p *plainReader) scalar(text string, style yaml.Style, l, off int) *yaml.Node {
	tag := "!!str"
	if style == 0 {
		tag = plainTag(text)
	}
	n := p.node(yaml.ScalarNode, tag, l+1, p.col(l, off))
	n.Value, n.Style = text, style
	return n
}

// value reads what follows a key's colon (rest, a byte offset of the
// current line), or an item's dash, and the lines below it that belong to
// it; indent is the key's (or the dash's) indentation.
func (p *plainReader) value(indent, rest int, item bool) *yaml.Node {
	l := p.lines[p.at]
	at := rest
	for at < l.end && p.text[at] == ' ' {
		at++
	}
	if at == l.end || p.text[at] == '#' && at > rest {
		// The value stands on the lines below, or is null.
		here, col := p.at, p.col(p.at, rest)
		p.at++
		if !p.next() {
			if item {
				p.fail()
				return nil
			}
			return p.null(here, col)
		}
		below := p.lines[p.at]
		dash := p.dash(below.start+below.indent, below.end)
		switch {
		case below.indent == indent && dash && !item:
			return p.sequence(indent)
		case below.indent <= indent:
			if item {
				p.fail() // an empty item: left to yaml.v3
				return nil
			}
			return p.null(here, col)
		case dash:
			return p.sequence(below.indent)
		default:
			return p.mapping(below.indent, below.start+below.indent)
		}
	}
	if item {
		// An item's text: a mapping when it starts with a key.
		if p.dash(at, l.end) {
			p.fail() // - - a: left to yaml.v3
			return nil
		}
		if c := p.text[at]; c != '\'' && c != '"' && c != '[' && c != '{' && c != '|' && c != '>' {
			if colon := keyColon(p.text[at:l.end]); colon > 0 {
				return p.mapping(at-l.start, at)
			}
		}
	}
	var v *yaml.Node
	switch p.text[at] {
	case '|', '>':
		return p.block(indent, at)
	case '[':
		v = p.flowSequence(at)
	case '{':
		if !strings.HasPrefix(p.text[at:l.end], "{}") || !restIsEmpty(p.text[at+2:l.end]) {
			p.fail()
			return nil
		}
		v = p.node(yaml.MappingNode, "!!map", p.at+1, p.col(p.at, at))
		v.Style = yaml.FlowStyle
	case '\'', '"':
		q, end, ok := p.quotedScalar(at)
		if !ok || !restIsEmpty(p.text[end:l.end]) {
			p.fail()
			return nil
		}
		v = q
	default:
		text := plainEnd(p.text[at:l.end])
		if !plainStart(text) || strings.Contains(text, ": ") || strings.Contains(text, ":\t") || strings.HasSuffix(text, ":") {
			p.fail()
			return nil
		}
		v = p.scalar(text, 0, p.at, at)
	}
	if p.failed {
		return nil
	}
	// The value ends on its line: a deeper line below would continue it
	// (or be an error), which yaml.v3 reads.
	p.at++
	for p.at < len(p.lines) {
		below := p.lines[p.at]
		if below.content || below.indent > indent && below.end > below.start+below.indent {
			if below.indent > indent {
				p.fail()
				return nil
			}
			break
		}
		p.at++
	}
	return v
}

// dash reports an item's dash at byte offset at of a line that ends at
// end: a - alone, or before a space.
func (p *plainReader) dash(at, end int) bool {
	return p.text[at] == '-' && (at+1 == end || p.text[at+1] == ' ')
}

// null is an empty value: yaml.v3 places it just after the colon.
func (p *plainReader) null(line, col int) *yaml.Node {
	return p.node(yaml.ScalarNode, "!!null", line+1, col)
}

// sequence reads a block sequence whose dashes stand at indent.
func (p *plainReader) sequence(indent int) *yaml.Node {
	l := p.lines[p.at]
	s := p.node(yaml.SequenceNode, "!!seq", p.at+1, p.col(p.at, l.start+indent))
	mark := len(p.kids)
	for {
		l = p.lines[p.at]
		dash := l.start + indent
		if l.indent != indent || !p.dash(dash, l.end) {
			p.fail()
			return nil
		}
		v := p.value(indent, dash+1, true)
		if p.failed {
			return nil
		}
		p.kids = append(p.kids, v)
		if !p.next() {
			break
		}
		l = p.lines[p.at]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			p.fail()
			return nil
		}
		if c := p.text[l.start+indent]; c != '-' {
			break // the parent mapping's next key
		}
	}
	p.content(s, mark)
	return s
}

// block reads a literal (|) or folded (>) block scalar, clipped or
// stripped (-), whose indicator stands at byte offset at of the current
// line; indent is its parent's. It follows yaml.v3's scanner line for line
// (yaml_parser_scan_block_scalar): the text's indentation is the largest of
// the blank lines' before it and its first line's; a line of spaces no
// longer than that is empty, a longer one is text; folding joins two lines
// of text that do not start with a space by one space, or by the empty
// lines between them.
func (p *plainReader) block(indent, at int) *yaml.Node {
	l := p.lines[p.at]
	folded := p.text[at] == '>'
	head := p.text[at+1 : l.end]
	strip := strings.HasPrefix(head, "-")
	if strip {
		head = head[1:]
	}
	if !restIsEmpty(head) {
		p.fail() // |+, |2: left to yaml.v3
		return nil
	}
	v := p.node(yaml.ScalarNode, "!!str", p.at+1, p.col(p.at, at))
	v.Style = yaml.LiteralStyle
	if folded {
		v.Style = yaml.FoldedStyle
	}
	// A line of spaces counts as a break only when a line break ends it:
	// the end of the file is none.
	spaces := func(ln plainLine) bool { return ln.end == ln.start+ln.indent }
	ended := func(ln plainLine) bool { return ln.end < len(p.text) }
	i, textIndent, breaks := p.at+1, indent+1, 0
	for ; i < len(p.lines); i++ {
		ln := p.lines[i]
		textIndent = max(textIndent, ln.indent)
		if !spaces(ln) || !ended(ln) {
			break
		}
		breaks++
	}
	if i == len(p.lines) || spaces(p.lines[i]) || p.lines[i].indent != textIndent || p.text[p.lines[i].start+textIndent] == '\t' {
		// An empty block scalar, a blank line longer than the text's
		// indent, or a tab where yaml.v3 still reads indentation (the
		// first line's, after its spaces): left to yaml.v3.
		p.fail()
		return nil
	}
	var b strings.Builder
	leadingBreak, leadingBlank := false, false
	for i < len(p.lines) {
		ln := p.lines[i]
		if ln.indent < textIndent && !spaces(ln) || ln.end-ln.start <= textIndent {
			break
		}
		text := p.text[ln.start+textIndent : ln.end]
		trailingBlank := text[0] == ' ' || text[0] == '\t'
		switch {
		case folded && leadingBreak && !leadingBlank && !trailingBlank:
			if breaks == 0 {
				b.WriteByte(' ')
			}
		case leadingBreak:
			b.WriteByte('\n')
		}
		for ; breaks > 0; breaks-- {
			b.WriteByte('\n')
		}
		leadingBlank = trailingBlank
		b.WriteString(text)
		leadingBreak = ended(ln)
		for i++; i < len(p.lines) && spaces(p.lines[i]) && p.lines[i].indent <= textIndent && ended(p.lines[i]); i++ {
			breaks++
		}
	}
	if leadingBreak && !strip {
		b.WriteByte('\n')
	}
	v.Value = b.String()
	p.at = i
	return v
}

// flowSequence reads [a, 'b', "c"] on one line, its items scalars.
func (p *plainReader) flowSequence(at int) *yaml.Node {
	l := p.lines[p.at]
	s := p.node(yaml.SequenceNode, "!!seq", p.at+1, p.col(p.at, at))
	s.Style = yaml.FlowStyle
	mark := len(p.kids)
	i := at + 1
	skip := func() {
		for i < l.end && p.text[i] == ' ' {
			i++
		}
	}
	for skip(); i < l.end && p.text[i] != ']'; skip() {
		var v *yaml.Node
		switch p.text[i] {
		case '\'', '"':
			q, end, ok := p.quotedScalar(i)
			if !ok {
				p.fail()
				return nil
			}
			v, i = q, end
		default:
			end := i + strings.IndexAny(p.text[i:l.end], ",]")
			if end < i {
				p.fail()
				return nil
			}
			// yaml.v3 ends a plain scalar inside brackets at any of
			// ,?[]{} (and refuses a colon before one): such items, a
			// colon and a comment are left to it.
			text := strings.TrimRight(p.text[i:end], " ")
			if !plainText(text) || strings.ContainsAny(text, "[{}:#?") {
				p.fail()
				return nil
			}
			v = p.scalar(text, 0, p.at, i)
			i = end
		}
		p.kids = append(p.kids, v)
		skip()
		switch {
		case i < l.end && p.text[i] == ',':
			i++
			if skip(); i < l.end && p.text[i] == ']' {
				p.fail() // [a,]: left to yaml.v3
				return nil
			}
		case i < l.end && p.text[i] == ']':
		default:
			p.fail()
			return nil
		}
	}
	if i == l.end || !restIsEmpty(p.text[i+1:l.end]) {
		p.fail() // no ] on the line, or more after it
		return nil
	}
	p.content(s, mark)
	return s
}

// quoted reads a one-line quoted scalar at the start of s: its text, and
// the offset past its closing quote. Double quotes with an escape, a tab
// in either kind, and quotes that do not close on the line, are left to
// yaml.v3.
func quoted(s string) (string, int, bool) {
	if s[0] == '"' {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 || strings.ContainsAny(s[1:1+end], "\\\t") {
			return "", 0, false
		}
		return s[1 : 1+end], end + 2, true
	}
	// Single quotes: '' is one quote.
	var b strings.Builder
	doubled := false
	for i := 1; i < len(s); {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			return "", 0, false
		}
		j += i
		if j+1 < len(s) && s[j+1] == '\'' {
			b.WriteString(s[i : j+1])
			doubled, i = true, j+2
			continue
		}
		if strings.IndexByte(s[1:j], '\t') >= 0 {
			return "", 0, false // only its own text is searched: a line of many quoted items stays linear
		}
		if !doubled {
			return s[1:j], j + 1, true
		}
		b.WriteString(s[i:j])
		return b.String(), j + 1, true
	}
	return "", 0, false
}

// plainEnd is a one-line plain scalar's text: up to a comment (a # after
// a space or a tab), its trailing spaces and tabs dropped. A tab between
// its words is its own (a value may hold one; a key, an item or a
// quoted scalar here may not).
func plainEnd(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return strings.TrimRight(s, " \t")
}

// plainText reports a key or a flow item this reader reads as yaml.v3
// does: a plain start, and no tab.
func plainText(s string) bool {
	return plainStart(s) && strings.IndexByte(s, '\t') < 0
}

// plainStart reports text that starts a plain scalar: not empty, and not
// starting with a tab or an indicator (a dash only before neither a space
// nor a tab).
func plainStart(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '-':
		return len(s) > 1 && s[1] != ' ' && s[1] != '\t'
	case '?', ':', '\t', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// restIsEmpty reports that what is left of a line is spaces, perhaps
// before a comment.
func restIsEmpty(s string) bool {
	t := strings.TrimLeft(s, " ")
	return t == "" || t[0] == '#' && len(t) < len(s)
}
