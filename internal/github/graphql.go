package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/transport"
)

// The GraphQL queries the inventory sends. Each is checked against GitHub's
// published schema (@octokit/graphql-schema) by TestQueriesMatchTheSchema.
//
// One query lists a page of the owner's repositories and, in the same
// answer, the files of each one's .github/workflows at its default branch
// (HEAD): a listing that costs one request per page instead of one per
// repository (docs/facts.md, "Inventory reads").
const (
	repositoryFields = `fragment RepositoryFields on Repository {
  nameWithOwner
  visibility
  isArchived
  isFork
  workflows: object(expression: "HEAD:.github/workflows") {
    __typename
    ... on Tree {
      entries {
        name
        type
        mode
        object {
          __typename
          ... on Blob {
            byteSize
            isBinary
            isTruncated
            text
          }
        }
      }
    }
  }
}`

	// QueryOwnerRepositories lists one page of an owner's repositories
	// with their workflows.
	QueryOwnerRepositories = `query OwnerRepositories($owner: String!, $first: Int!, $after: String) {
  repositoryOwner(login: $owner) {
    __typename
    login
    repositories(first: $first, after: $after, ownerAffiliations: [OWNER], orderBy: {field: NAME, direction: ASC}) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...RepositoryFields
      }
    }
  }
}
` + repositoryFields

	// QueryRepository reads one repository with its workflows, and what
	// kind of account owns it.
	QueryRepository = `query Repository($owner: String!, $name: String!) {
  repositoryOwner(login: $owner) {
    __typename
    login
  }
  repository(owner: $owner, name: $name) {
    ...RepositoryFields
  }
}
` + repositoryFields
)

// Queries lists every query the inventory sends, for the schema test.
func Queries() []string { return []string{QueryOwnerRepositories, QueryRepository} }

// GraphQLURL is the GraphQL endpoint of a REST base: api.github.com/graphql
// (and api.SUBDOMAIN.ghe.com/graphql), or HOST/api/graphql on GHES, whose
// REST base is HOST/api/v3 (docs/facts.md, "Inventory reads").
func GraphQLURL(apiURL *url.URL) *url.URL {
	u := *apiURL
	path := strings.TrimRight(u.Path, "/")
	host := strings.ToLower(u.Hostname())
	_, gheCom := image.GHEComSubdomain(host)
	switch {
	case host == "api.github.com" || gheCom:
		u.Path = path + "/graphql"
	case strings.HasSuffix(path, "/api/v3"):
		u.Path = strings.TrimSuffix(path, "/v3") + "/graphql"
	default:
		u.Path = path + "/api/graphql"
	}
	u.RawPath = ""
	return &u
}

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
	// Extensions carry saml_failure on a SAML refusal, and the schema
	// error's code (undefinedField, argumentNotAccepted) on an older GHES.
	Extensions map[string]any `json:"extensions"`
}

// gqlAnswer is a GraphQL answer: data, and errors that may come with it.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// ErrGraphQLUnavailable is a GraphQL endpoint that is not there or does not
// know the inventory's query: the REST API is read instead.
type ErrGraphQLUnavailable struct{ Reason string }

func (e *ErrGraphQLUnavailable) Error() string { return "GraphQL is not available here: " + e.Reason }

// graphql sends one query and returns its answer. A refusal of the whole
// request becomes one of the facts package's errors, as REST's do; errors
// inside a 200 are the caller's to place.
func (r *Reader) graphql(ctx context.Context, query string, vars map[string]any) (*gqlAnswer, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	// A read-only query is safe to send again after a network error
	// (transport.AllowPostRetry).
	req, err := http.NewRequestWithContext(transport.AllowPostRetry(ctx), http.MethodPost, r.graphqlURL.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := r.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &ErrGraphQLUnavailable{Reason: fmt.Sprintf("%s answered %d", r.graphqlURL.Path, resp.StatusCode)}
	case resp.StatusCode == http.StatusUnauthorized && strings.Contains(transport.BodyText(resp), "do not support the GraphQL API"):
		// A server whose GraphQL API takes no fine-grained token: the
		// token is good, and REST takes it (docs/facts.md, "Inventory
		// reads").
		return nil, &ErrGraphQLUnavailable{Reason: "this server's GraphQL API does not take fine-grained tokens"}
	case resp.StatusCode != http.StatusOK:
		return nil, Classify(ctx, &gh.Response{Response: resp}, gh.CheckResponse(resp))
	}
	var ans gqlAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || (ans.Data == nil && ans.Errors == nil) {
		return nil, unexpected(resp)
	}
	if len(ans.Errors) > 0 && isNull(ans.Data) {
		return nil, r.wholeQueryError(resp, ans.Errors)
	}
	return &ans, nil
}

// wholeQueryError turns errors that left no data into one error: a rate
// limit, a refusal of the token, or a schema this server does not share.
func (r *Reader) wholeQueryError(resp *http.Response, errs []gqlError) error {
	first := errs[0]
	id := resp.Header.Get("X-GitHub-Request-Id")
	switch {
	case isRateLimitType(first):
		rl := &facts.RateLimitError{Status: resp.StatusCode, Message: first.Message, RequestID: id}
		rl.Reset = resetOf(resp)
		return rl
	case first.Type == "FORBIDDEN" && samlFailure(first):
		return &facts.SSOError{Message: first.Message, RequestID: id}
	case first.Type == "FORBIDDEN" || first.Type == "NOT_FOUND" || first.Type == "INSUFFICIENT_SCOPES":
		return &facts.APIError{Status: http.StatusForbidden, Message: first.Message, URL: r.graphqlURL.Path, RequestID: id}
	}
	// A query GitHub's schema accepts but this server's does not: an older
	// GHES (its errors carry a code such as undefinedField).
	return &ErrGraphQLUnavailable{Reason: first.Message}
}

func isRateLimitType(e gqlError) bool {
	return e.Type == "RATE_LIMITED" || e.Type == "RATE_LIMIT" || e.Code == "graphql_rate_limit"
}

func samlFailure(e gqlError) bool {
	v, _ := e.Extensions["saml_failure"].(bool)
	return v || strings.Contains(e.Message, "SAML")
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}
