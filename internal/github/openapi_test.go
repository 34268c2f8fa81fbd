package github

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/token-gate/token-gate/internal/fake"
)

// The REST endpoints the inventory reads, as GitHub's OpenAPI description
// names them.
var inventoryOperations = []string{
	"/orgs/{org}/actions/secrets",
	"/orgs/{org}/actions/secrets/{secret_name}/repositories",
	"/orgs/{org}/repos",
	"/users/{username}/repos",
	"/users/{username}",
	"/repos/{owner}/{repo}/actions/secrets",
	"/repos/{owner}/{repo}/actions/organization-secrets",
	"/repos/{owner}/{repo}/environments",
	"/repos/{owner}/{repo}/environments/{environment_name}/secrets",
	"/repos/{owner}/{repo}/contents/{path}",
}

// loadOpenAPI loads GitHub's published OpenAPI description
// (@octokit/openapi's api.github.com.json, which .ci/run installs): the
// GET operations the inventory calls and every component they refer to,
// so that kin-openapi loads in a fraction of the whole file's time.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fake.GitHubSchemas(t), "openapi", "generated", "api.github.com.json"))
	if err != nil {
		t.Fatal(err)
	}
	var whole map[string]any
	if err := json.Unmarshal(data, &whole); err != nil {
		t.Fatal(err)
	}
	paths := whole["paths"].(map[string]any)
	components := whole["components"].(map[string]any)
	subset := map[string]any{"openapi": whole["openapi"], "info": whole["info"], "servers": whole["servers"], "paths": map[string]any{}}
	kept := map[string]map[string]any{}
	var follow func(v any)
	follow = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "examples") // examples are documentation, not the contract
			delete(v, "example")
			if ref, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				if kept[parts[0]] == nil {
					kept[parts[0]] = map[string]any{}
				}
				if _, done := kept[parts[0]][parts[1]]; !done {
					c := components[parts[0]].(map[string]any)[parts[1]]
					kept[parts[0]][parts[1]] = c
					follow(c)
				}
			}
			for _, x := range v {
				follow(x)
			}
		case []any:
			for _, x := range v {
				follow(x)
			}
		}
	}
	for _, p := range inventoryOperations {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Fatalf("GitHub's OpenAPI description has no %s", p)
		}
		get := map[string]any{"get": item["get"]}
		follow(get)
		subset["paths"].(map[string]any)[p] = get
	}
	// The answers GitHub gives besides those an operation lists.
	follow(map[string]any{"$ref": "#/components/schemas/basic-error"})
	comps := map[string]any{}
	for k, v := range kept {
		comps[k] = v
	}
	subset["components"] = comps
	raw, _ := json.Marshal(subset)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("GitHub's OpenAPI description does not load: %v", err)
	}
	return doc
}

// route finds the operation a request path is, with its parameters; a
// template's last {path} takes the rest of the path, slashes and all.
func route(doc *openapi3.T, path string) (*routers.Route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, tmpl := range inventoryOperations {
		want := strings.Split(strings.Trim(tmpl, "/"), "/")
		params := map[string]string{}
		ok := len(segs) >= len(want)
		for i := 0; ok && i < len(want); i++ {
			w := want[i]
			switch {
			case w == "{path}" && i == len(want)-1:
				params["path"] = strings.Join(segs[i:], "/")
				segs = segs[:i+1]
			case strings.HasPrefix(w, "{"):
				v, _ := url.PathUnescape(segs[i])
				params[strings.Trim(w, "{}")] = v
			default:
				ok = w == segs[i]
			}
		}
		if ok && len(segs) == len(want) {
			item := doc.Paths.Value(tmpl)
			return &routers.Route{Spec: doc, Server: doc.Servers[0], Path: tmpl, PathItem: item, Method: http.MethodGet, Operation: item.Get}, params
		}
		segs = strings.Split(strings.Trim(path, "/"), "/")
	}
	return nil, nil
}

// TestFakeAnswersMatchOpenAPI checks every REST request the inventory made
// against the fake, and every answer the fake gave, against GitHub's
// published OpenAPI description: the request is a documented operation with
// documented parameters, and the answer's status, headers and body are the
// operation's. A refusal the operation does not list (GitHub documents
// only the 200 of the secrets lists) must be GitHub's basic-error and one of
// the recorded answers, each of which names its public source.
func TestFakeAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	basic := doc.Components.Schemas["basic-error"].Value
	recorded := recordedMessages(t)
	seen := map[string]bool{}
	for _, ex := range recordedRuns(t) {
		if ex.path == "/api/graphql" {
			continue
		}
		apiPath := strings.TrimPrefix(ex.path, "/api/v3")
		rt, params := route(doc, apiPath)
		if rt == nil {
			t.Errorf("the inventory called %s %s, which is none of its documented operations", ex.method, ex.path)
			continue
		}
		seen[rt.Path] = true
		req, _ := http.NewRequest(ex.method, "https://api.github.com"+(&url.URL{Path: apiPath}).EscapedPath()+"?"+ex.query, nil)
		req.Header.Set("Accept", "application/vnd.github+json")
		reqInput := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(t.Context(), reqInput); err != nil {
			t.Errorf("%s %s?%s is not as GitHub documents it: %v", ex.method, rt.Path, ex.query, err)
		}
		if rt.Operation.Responses.Status(ex.status) == nil {
			var body any
			if err := json.Unmarshal(ex.body, &body); err != nil {
				t.Errorf("%d from %s is not JSON: %s", ex.status, ex.path, ex.body)
				continue
			}
			if err := basic.VisitJSON(body); err != nil {
				t.Errorf("%d from %s is not GitHub's basic-error: %v", ex.status, ex.path, err)
			}
			msg, _ := body.(map[string]any)["message"].(string)
			if !recorded[msg] {
				t.Errorf("%d from %s says %q, which no recorded answer (with its source) says", ex.status, ex.path, msg)
			}
			continue
		}
		in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqInput, Status: ex.status, Header: ex.header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		in.SetBodyBytes(ex.body)
		if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
			t.Errorf("the fake's %d to %s is not GitHub's documented answer: %v\n%.400s", ex.status, ex.path, err, ex.body)
		}
	}
	for _, p := range inventoryOperations {
		if !seen[p] {
			t.Errorf("no call of %s was checked", p)
		}
	}
}

// recordedMessages are the messages of every recorded answer.
func recordedMessages(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "answers", "*.json"))
	out := map[string]bool{}
	for _, f := range files {
		var body struct {
			Message string `json:"message"`
		}
		if json.Unmarshal([]byte(fake.Recorded(strings.TrimSuffix(filepath.Base(f), ".json")).Body), &body) == nil && body.Message != "" {
			out[body.Message] = true
		}
	}
	return out
}
