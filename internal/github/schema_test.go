package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/transport"
)

// The inventory's GraphQL queries are checked against GitHub's published
// schema with github.com/vektah/gqlparser/v2, the validator gqlgen runs on:
// it implements the GraphQL specification's validation rules, so the check
// runs inside go test, with no second runtime, and fails the same suite.
// The schema is @octokit/graphql-schema from npm (.ci/run installs it).

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	dir := fake.GitHubSchemas(t)
	src, err := os.ReadFile(filepath.Join(dir, "graphql-schema", "schema.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "schema.graphql", Input: string(src)})
	if err != nil {
		t.Fatalf("GitHub's schema does not parse: %v", err)
	}
	dropRepeatedFields(t, doc)
	schema, gerr := validator.ValidateSchemaDocument(doc)
	if gerr != nil {
		t.Fatalf("GitHub's schema does not load: %v", gerr)
	}
	return schema
}

// dropRepeatedFields keeps the first of a field GitHub's SDL defines twice
// on one type with the same arguments and type. The published
// schema.graphql of @octokit/graphql-schema 15.26.1 so repeats
// EnterpriseOwnerInfo.repositoryDeployKeySetting (the descriptions
// differ), which no validator takes; the introspection JSON that octokit's
// own validate() builds from holds it once. A repeat that differs in type
// or arguments is a real conflict and fails the test.
func dropRepeatedFields(t *testing.T, doc *ast.SchemaDocument) {
	t.Helper()
	signature := func(f *ast.FieldDefinition) string {
		var b strings.Builder
		for _, a := range f.Arguments {
			b.WriteString(a.Name + ":" + a.Type.String() + ",")
		}
		return b.String() + f.Type.String()
	}
	for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, d := range defs {
			first := map[string]*ast.FieldDefinition{}
			kept := d.Fields[:0]
			for _, f := range d.Fields {
				if prev, ok := first[f.Name]; ok {
					if signature(prev) != signature(f) {
						t.Fatalf("GitHub's schema defines %s.%s twice, differently", d.Name, f.Name)
					}
					continue
				}
				first[f.Name] = f
				kept = append(kept, f)
			}
			d.Fields = kept
		}
	}
}

// TestQueriesMatchTheSchema validates every query the inventory sends.
func TestQueriesMatchTheSchema(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	for i, q := range Queries() {
		if _, errs := gqlparser.LoadQuery(schema, q); errs != nil {
			t.Errorf("query %d does not validate against GitHub's schema: %v\n%s", i, errs, q)
		}
	}
	// The check has teeth: a field GitHub does not have is refused.
	if _, errs := gqlparser.LoadQuery(schema, strings.Replace(QueryRepository, "isFork", "isForked", 1)); errs == nil {
		t.Error("a query with a field GitHub's schema lacks validated")
	}
}

// exchange is one request the reader sent and the answer it got.
type exchange struct {
	method, path, query string
	reqBody             []byte
	status              int
	header              http.Header
	body                []byte
}

// recorder keeps every exchange below the reader's own layers.
type recorder struct {
	mu   sync.Mutex
	base http.RoundTripper
	all  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.all = append(r.all, exchange{req.Method, req.URL.Path, req.URL.RawQuery, reqBody, resp.StatusCode, resp.Header.Clone(), body})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.all...)
}

// recordedRuns reads the estate in every way the inventory can, and keeps
// every exchange: GraphQL pages, pagination of REST lists, refusals of each
// part, a cut blob read through REST, and a server without GraphQL.
func recordedRuns(t *testing.T) []exchange {
	t.Helper()
	rec := &recorder{base: http.DefaultTransport}
	run := func(est *fake.Estate, target Target, fault fake.Fault) {
		gh := fake.NewGitHub(t)
		gh.Add(fake.Classic, fake.Account{Login: "octocat", Scopes: "repo, admin:org"})
		gh.SetEstate(est)
		if fault != nil {
			gh.SetFault(fault)
		}
		api, _ := url.Parse(gh.URL)
		policy := transport.DefaultPolicy()
		policy.Backoff = time.Millisecond
		clock := &fakeClock{now: time.Now()}
		r, err := NewReader(api, fake.Classic, rec, policy, ReaderOptions{PageSize: 2, Now: clock.Now, Sleep: clock.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(t.Context(), target, testAudit); err != nil && target.Repo != "nope" {
			t.Fatal(err)
		}
	}
	paged := smallEstate()
	paged.PerPage(1)
	paged.Repos[0].Secrets = append(paged.Repos[0].Secrets, secret("SECOND", 1), secret("THIRD", 2))
	run(paged, Target{Owner: "acme"}, nil)
	for _, d := range []struct{ part, answer string }{
		{fake.PartOrgSecrets, "secrets-admin-403"}, {fake.PartSelected, "secrets-not-accessible-403"},
		{fake.PartRepoSecrets, "secrets-not-accessible-pat-403"}, {fake.PartRepoOrgSecrets, "secrets-admin-403"},
		{fake.PartEnvironments, "secrets-not-accessible-403"}, {fake.PartEnvSecrets, "secrets-not-accessible-403"},
		{fake.PartContents, "secrets-not-accessible-pat-403"},
	} {
		est := smallEstate()
		est.Deny(d.part, "", d.answer)
		run(est, Target{Owner: "acme"}, nil)
	}
	cut := smallEstate()
	cut.TruncateAt(50)
	run(cut, Target{Owner: "acme", Repo: "app"}, nil)
	run(smallEstate(), Target{Owner: "acme", Repo: "nope"}, nil)
	noGraphQL := smallEstate()
	noGraphQL.NoGraphQL()
	run(noGraphQL, Target{Owner: "acme"}, nil)
	user := smallEstate()
	user.Org, user.OrgSecrets = false, nil
	run(user, Target{Owner: "acme"}, nil)
	user.NoGraphQL()
	run(user, Target{Owner: "acme"}, nil)
	limited := 0
	run(smallEstate(), Target{Owner: "acme"}, func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/environments") && limited == 0 {
			limited++
			fake.Recorded("secondary-rate-limit-403").With("Retry-After", "1").Write(w)
			return true
		}
		return false
	})
	return rec.exchanges()
}

// TestFakeGraphQLAnswersMatchTheSchema checks every GraphQL answer the fake
// gave against the query that asked and GitHub's schema: each field the
// query selected, of the type the schema gives it (non-null where it says
// so, enums among their values), and nothing it did not select.
func TestFakeGraphQLAnswersMatchTheSchema(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	checked := 0
	for _, ex := range recordedRuns(t) {
		if ex.path != "/api/graphql" || ex.status != http.StatusOK {
			continue
		}
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.Unmarshal(ex.reqBody, &req); err != nil {
			t.Fatal(err)
		}
		doc, errs := gqlparser.LoadQuery(schema, req.Query)
		if errs != nil {
			t.Fatalf("the reader sent a query the schema refuses: %v", errs)
		}
		var ans struct {
			Data   map[string]any   `json:"data"`
			Errors []map[string]any `json:"errors"`
		}
		if err := json.Unmarshal(ex.body, &ans); err != nil {
			t.Fatalf("answer is not JSON: %s", ex.body)
		}
		for _, e := range ans.Errors {
			if _, ok := e["message"].(string); !ok {
				t.Errorf("an error without a message: %v", e)
			}
		}
		nulled := map[string]bool{}
		for _, e := range ans.Errors {
			if p, ok := e["path"].([]any); ok {
				nulled[fmt.Sprint(p...)] = true
			}
		}
		c := &shapeChecker{t: t, schema: schema, doc: doc, nulled: nulled}
		c.object(nil, ans.Data, doc.Operations[0].SelectionSet, "Query")
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d GraphQL answers checked", checked)
	}
}

type shapeChecker struct {
	t      *testing.T
	schema *ast.Schema
	doc    *ast.QueryDocument
	nulled map[string]bool
}

// fields lists the fields a selection set asks of an object of typ, with
// the fragments that apply to it.
func (c *shapeChecker) fields(set ast.SelectionSet, typ string, into map[string]*ast.Field) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			into[s.Alias] = s
		case *ast.InlineFragment:
			if c.applies(s.TypeCondition, typ) {
				c.fields(s.SelectionSet, typ, into)
			}
		case *ast.FragmentSpread:
			if c.applies(s.Definition.TypeCondition, typ) {
				c.fields(s.Definition.SelectionSet, typ, into)
			}
		}
	}
}

func (c *shapeChecker) applies(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	for _, impl := range c.schema.GetPossibleTypes(c.schema.Types[cond]) {
		if impl.Name == typ {
			return true
		}
	}
	return false
}

func (c *shapeChecker) object(path []any, v any, set ast.SelectionSet, typ string) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.t.Errorf("%v: %T where an object of %s belongs", path, v, typ)
		return
	}
	want := map[string]*ast.Field{}
	c.fields(set, typ, want)
	for key := range obj {
		if want[key] == nil {
			c.t.Errorf("%v: %q was not asked for on %s", path, key, typ)
		}
	}
	for key, f := range want {
		val, present := obj[key]
		if !present {
			c.t.Errorf("%v: %s.%s asked for and missing", path, typ, f.Name)
			continue
		}
		c.value(append(append([]any(nil), path...), key), val, f)
	}
}

func (c *shapeChecker) value(path []any, v any, f *ast.Field) {
	if f.Name == "__typename" {
		if s, ok := v.(string); !ok || c.schema.Types[s] == nil {
			c.t.Errorf("%v: __typename %v is no type of GitHub's", path, v)
		}
		return
	}
	c.typed(path, v, f.Definition.Type, f)
}

func (c *shapeChecker) typed(path []any, v any, typ *ast.Type, f *ast.Field) {
	if v == nil {
		if typ.NonNull && !c.nulled[fmt.Sprint(path...)] {
			c.t.Errorf("%v: null for the non-null %s", path, typ)
		}
		return
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			c.t.Errorf("%v: %T for the list %s", path, v, typ)
			return
		}
		for i, item := range list {
			c.typed(append(append([]any(nil), path...), i), item, typ.Elem, f)
		}
		return
	}
	def := c.schema.Types[typ.NamedType]
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		name := def.Name
		if def.Kind != ast.Object {
			obj, _ := v.(map[string]any)
			tn, _ := obj["__typename"].(string)
			if tn == "" {
				c.t.Errorf("%v: an abstract %s answered without __typename", path, def.Name)
				return
			}
			if !c.applies(def.Name, tn) {
				c.t.Errorf("%v: %s is not a %s", path, tn, def.Name)
			}
			name = tn
		}
		c.object(path, v, f.SelectionSet, name)
	case ast.Enum:
		s, _ := v.(string)
		if def.EnumValues.ForName(s) == nil {
			c.t.Errorf("%v: %v is not a value of %s", path, v, def.Name)
		}
	case ast.Scalar:
		ok := true
		switch def.Name {
		case "Int":
			n, isNum := v.(float64)
			ok = isNum && n == float64(int64(n))
		case "Float":
			_, ok = v.(float64)
		case "Boolean":
			_, ok = v.(bool)
		default: // String, ID, URI, GitObjectID, DateTime, Base64String, …
			_, ok = v.(string)
		}
		if !ok {
			c.t.Errorf("%v: %v (%T) is not a %s", path, v, v, def.Name)
		}
	}
}
