package fake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// serveGraphQL answers POST /api/graphql by running the query against the
// estate: the fields GitHub's schema gives the types the inventory asks
// about, with aliases, fragments and variables, and errors placed on their
// path as GitHub places them (a refused field is null beside a FORBIDDEN
// error; the rest of the answer stands).
func (e *Estate) serveGraphQL(w http.ResponseWriter, r *http.Request, body string) {
	e.mu.Lock()
	off := e.noGraphQL
	e.mu.Unlock()
	if off || r.Method != http.MethodPost {
		Recorded("not-found-404").Write(w)
		return
	}
	if !e.rateHeaders(w, "graphql") {
		// A spent GraphQL budget is a 200 whose errors say so (github/docs#22607).
		a := Recorded("graphql-rate-limited-200")
		for _, k := range []string{"X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Limit", "X-RateLimit-Resource"} {
			delete(a.Headers, k)
		}
		a.Write(w)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		Recorded("graphql-problems-parsing-400").Write(w)
		return
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil || len(doc.Operations) != 1 {
		// GitHub answers a query it cannot parse with errors and no data,
		// e.g. {"errors":[{"message":"Parse error on \"\\xE2\" (error) at
		// [13, 15]","locations":[...]}]} (ocurrent/ocurrent#395,
		// pyvec/python.cz#417). The message here is the fake parser's own:
		// no code reads its wording, only that the answer has no data.
		writeGraphQL(w, nil, []gqlErr{{Message: fmt.Sprintf("Parse error: %v", err)}})
		return
	}
	x := &executor{e: e, doc: doc, vars: req.Variables}
	data := x.selections(doc.Operations[0].SelectionSet, queryRoot{e}, nil)
	writeGraphQL(w, data, x.errs)
}

// gqlErr is an error as GitHub's GraphQL API writes one: its type, the
// path of the field it nulled, and words (the errors of
// testdata/answers/graphql-saml-200.json, and of the invalid cursor quoted
// at https://github.com/octokit/graphql.js#partial-responses; GitHub adds
// locations, which the inventory does not read).
type gqlErr struct {
	Type    string `json:"type,omitempty"`
	Path    []any  `json:"path,omitempty"`
	Message string `json:"message"`
}

// writeGraphQL answers 200 with data beside any errors, as GitHub answers
// a query some of whose fields it refused
// (testdata/answers/graphql-saml-200.json; the partial response quoted at
// https://github.com/octokit/graphql.js#partial-responses).
func writeGraphQL(w http.ResponseWriter, data map[string]any, errs []gqlErr) {
	out := map[string]any{"data": data}
	if data == nil {
		out["data"] = nil
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	raw, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(raw)
}

// object is a value of a GraphQL object type: its type's name, and how it
// answers a field.
type object interface {
	typename() string
	field(x *executor, name string, args map[string]any, path []any) any
}

type executor struct {
	e    *Estate
	doc  *ast.QueryDocument
	vars map[string]any
	errs []gqlErr
}

// selections answers a selection set on obj, fragments included.
func (x *executor) selections(set ast.SelectionSet, obj object, path []any) map[string]any {
	out := map[string]any{}
	x.collect(set, obj, path, out)
	return out
}

func (x *executor) collect(set ast.SelectionSet, obj object, path []any, out map[string]any) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if s.Name == "__typename" {
				out[key] = obj.typename()
				continue
			}
			args := map[string]any{}
			for _, a := range s.Arguments {
				v, err := a.Value.Value(x.vars)
				if err == nil {
					args[a.Name] = v
				}
			}
			p := append(slices.Clone(path), key)
			out[key] = x.value(obj.field(x, s.Name, args, p), s.SelectionSet, p)
		case *ast.InlineFragment:
			if s.TypeCondition == "" || matches(obj, s.TypeCondition) {
				x.collect(s.SelectionSet, obj, path, out)
			}
		case *ast.FragmentSpread:
			if f := x.doc.Fragments.ForName(s.Name); f != nil && matches(obj, f.TypeCondition) {
				x.collect(f.SelectionSet, obj, path, out)
			}
		}
	}
}

// matches tells whether obj is of the type a fragment names: its own, or
// an interface it implements.
func matches(obj object, typ string) bool {
	switch typ {
	case obj.typename():
		return true
	case "RepositoryOwner":
		return obj.typename() == "Organization" || obj.typename() == "User"
	case "GitObject":
		return obj.typename() == "Tree" || obj.typename() == "Blob"
	}
	return false
}

// value answers a field's value with its sub-selection.
func (x *executor) value(v any, set ast.SelectionSet, path []any) any {
	switch v := v.(type) {
	case object:
		return x.selections(set, v, path)
	case []object:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = x.value(o, set, append(slices.Clone(path), i))
		}
		return out
	}
	return v
}

func (x *executor) fail(path []any, typ, msg string) {
	x.errs = append(x.errs, gqlErr{Type: typ, Path: path, Message: msg})
}

// queryRoot is Query.
type queryRoot struct{ e *Estate }

func (queryRoot) typename() string { return "Query" }

func (q queryRoot) field(x *executor, name string, args map[string]any, path []any) any {
	switch name {
	case "repositoryOwner":
		// Nullable, and null without an error for an unknown login
		// (GitHub GraphQL reference, Query.repositoryOwner).
		if login, _ := args["login"].(string); strings.EqualFold(login, q.e.Owner) {
			return ownerObj{q.e}
		}
		return nil
	case "repository":
		owner, _ := args["owner"].(string)
		repoName, _ := args["name"].(string)
		if repo := q.e.Repo(repoName); repo != nil && strings.EqualFold(owner, q.e.Owner) {
			return repoObj{q.e, repo}
		}
		// cli/cli#436, refined-github#8424 quote the words.
		x.fail(path, "NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, repoName))
		return nil
	}
	return nil
}

// ownerObj is an Organization or a User.
type ownerObj struct{ e *Estate }

func (o ownerObj) typename() string {
	if o.e.Org {
		return "Organization"
	}
	return "User"
}

func (o ownerObj) field(x *executor, name string, args map[string]any, path []any) any {
	switch name {
	case "login":
		return o.e.Owner
	case "repositories":
		first := intArg(args["first"])
		if first < 1 || first > 100 {
			// GitHub's words for first beyond its bounds, as dblock/fue#5
			// quotes them for last ("Requesting 1000 records on the
			// `repositories` connection exceeds the `last` limit of 100
			// records.").
			x.fail(path, "", fmt.Sprintf("Requesting %d records on the `repositories` connection exceeds the `first` limit of 100 records.", first))
			return nil
		}
		repos := o.e.sortedRepos()
		start := 0
		if after, ok := args["after"].(string); ok && after != "" {
			raw, _ := base64.StdEncoding.DecodeString(after)
			n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "cursor:v2:"))
			if err != nil {
				// GitHub's answer to a cursor it did not give, as quoted
				// at https://github.com/octokit/graphql.js#partial-responses.
				x.fail(path, "INVALID_CURSOR_ARGUMENTS", fmt.Sprintf("`%s` does not appear to be a valid cursor.", after))
				return nil
			}
			start = n
		}
		end := min(start+first, len(repos))
		return connObj{e: o.e, repos: repos[start:end], total: len(repos), end: end}
	}
	return nil
}

func intArg(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}

// connObj is a RepositoryConnection page.
type connObj struct {
	e     *Estate
	repos []*EstateRepo
	total int
	end   int
}

func (connObj) typename() string { return "RepositoryConnection" }

func (c connObj) field(x *executor, name string, _ map[string]any, _ []any) any {
	switch name {
	case "totalCount":
		return c.total
	case "pageInfo":
		// GitHub's cursors are opaque strings to pass back as after:
		// (GitHub docs, "Using pagination in the GraphQL API"); the
		// reader never looks inside. This one is the fake's own: no
		// public source gives their inside, and none is needed.
		return pageInfoObj{next: c.end < c.total, cursor: base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(c.end)))}
	case "nodes":
		out := make([]object, len(c.repos))
		for i, r := range c.repos {
			out[i] = repoObj{c.e, r}
		}
		return out
	}
	return nil
}

type pageInfoObj struct {
	next   bool
	cursor string
}

func (pageInfoObj) typename() string { return "PageInfo" }

func (p pageInfoObj) field(_ *executor, name string, _ map[string]any, _ []any) any {
	switch name {
	case "hasNextPage":
		return p.next
	case "endCursor":
		return p.cursor
	}
	return nil
}

// repoObj is a Repository.
type repoObj struct {
	e *Estate
	r *EstateRepo
}

func (repoObj) typename() string { return "Repository" }

func (o repoObj) field(x *executor, name string, args map[string]any, path []any) any {
	switch name {
	case "nameWithOwner":
		return o.e.Owner + "/" + o.r.Name
	case "name":
		return o.r.Name
	case "visibility":
		return strings.ToUpper(o.r.Visibility)
	case "isArchived":
		return o.r.Archived
	case "isFork":
		return o.r.Fork
	case "object":
		if expr, _ := args["expression"].(string); expr != "HEAD:.github/workflows" || o.r.Files == nil {
			// No such path: null, without an error. Repository.object is a
			// nullable GitObject (GitHub docs, GraphQL reference,
			// "Repository", field object(expression)).
			return nil
		}
		if answer, denied := o.e.denied(PartContents, o.e.Owner+"/"+o.r.Name); denied {
			// A token without Contents read: the field is null and the
			// error says why (blahgeek/emacs-pr-review#4 quotes the words for
			// a fine-grained token; jasperapp/jasper#187 the error's shape).
			msg := "Resource not accessible by personal access token"
			if strings.Contains(Recorded(answer).Body, "integration") {
				msg = "Resource not accessible by integration"
			}
			x.fail(path, "FORBIDDEN", msg)
			return nil
		}
		return treeObj{o.e, o.r}
	}
	return nil
}

// treeObj is the Tree of .github/workflows.
type treeObj struct {
	e *Estate
	r *EstateRepo
}

func (treeObj) typename() string { return "Tree" }

func (t treeObj) field(_ *executor, name string, _ map[string]any, _ []any) any {
	if name != "entries" {
		return nil
	}
	names := make([]string, 0, len(t.r.Files))
	for n := range t.r.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]object, len(names))
	for i, n := range names {
		out[i] = entryObj{t.e, n, t.r.Files[n]}
	}
	return out
}

// entryObj is a TreeEntry: a file of the folder.
type entryObj struct {
	e    *Estate
	name string
	text string
}

func (entryObj) typename() string { return "TreeEntry" }

func (en entryObj) field(_ *executor, name string, _ map[string]any, _ []any) any {
	switch name {
	case "name":
		return en.name
	case "type":
		return "blob"
	case "mode":
		// TreeEntry.mode is "Entry file mode", an Int! (GitHub's GraphQL
		// schema, TreeEntry); 100644 is a regular file's (GitHub REST docs,
		// "Create a tree": 100644 for file (blob)).
		return 0o100644
	case "object":
		return blobObj{en.e, en.text}
	}
	return nil
}

// blobObj is a Blob: its text, cut where the estate says GitHub cuts.
type blobObj struct {
	e    *Estate
	text string
}

func (blobObj) typename() string { return "Blob" }

func (b blobObj) field(_ *executor, name string, _ map[string]any, _ []any) any {
	b.e.mu.Lock()
	cut := b.e.truncateAt
	b.e.mu.Unlock()
	truncated := cut > 0 && len(b.text) > cut
	switch name {
	case "byteSize":
		return len(b.text)
	case "isBinary":
		return false
	case "isTruncated":
		return truncated
	case "text":
		if truncated {
			return b.text[:cut]
		}
		return b.text
	}
	return nil
}
