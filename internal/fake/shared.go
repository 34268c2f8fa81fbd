package fake

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// AIBrixEnv names a folder holding AIBrix's real workflows, verbatim from
// vllm-project/aibrix (Apache-2.0), when they are not where the session
// keeps them: ../shared/workflows/aibrix beside the repository.
const AIBrixEnv = "TOKEN_GATE_AIBRIX_WORKFLOWS"

// AIBrixWorkflows finds AIBrix's workflows, or skips the test and says
// why. It looks in $TOKEN_GATE_AIBRIX_WORKFLOWS, then beside this
// repository and each folder above it, then beside the repository a clean
// clone was made from (CI runs on one).
func AIBrixWorkflows(t testing.TB) string {
	t.Helper()
	dir, why := LookupAIBrix()
	if dir == "" {
		t.Skip(why)
	}
	return dir
}

// LookupAIBrix is AIBrixWorkflows without the skip: the folder, or why
// there is none.
func LookupAIBrix() (dir, why string) {
	if dir := os.Getenv(AIBrixEnv); dir != "" {
		if !isDir(dir) {
			return "", AIBrixEnv + "=" + dir + " is not a folder"
		}
		return dir, ""
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if out, err := exec.Command("git", "config", "--get", "remote.origin.url").Output(); err == nil {
		if origin := strings.TrimSpace(string(out)); filepath.IsAbs(origin) {
			starts = append(starts, origin)
		}
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			if candidate := filepath.Join(dir, "shared", "workflows", "aibrix"); isDir(candidate) {
				return candidate, ""
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	return "", "AIBrix's workflows are not here: set " + AIBrixEnv + " to a folder holding them (vllm-project/aibrix's .github/workflows at e3e10f9)"
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// CorpusEnv names a folder holding the labelled corpus of real release
// workflows, when it is not where the session keeps it:
// ../shared/workflows/corpus beside the repository.
const CorpusEnv = "TOKEN_GATE_CORPUS"

// Corpus finds the labelled corpus of real release workflows (its
// labels.json and one folder per repository), or skips the test and says
// why; it looks where AIBrixWorkflows looks.
func Corpus(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(CorpusEnv); dir != "" {
		if !isDir(dir) {
			t.Skip(CorpusEnv + "=" + dir + " is not a folder")
		}
		return dir
	}
	aibrix, _ := LookupAIBrix()
	if aibrix != "" {
		if dir := filepath.Join(filepath.Dir(aibrix), "corpus"); isDir(dir) {
			return dir
		}
	}
	t.Skip("the labelled corpus is not here: set " + CorpusEnv + " to a folder holding it (shared/workflows/corpus)")
	return ""
}

// SchemasEnv names the folder holding GitHub's published API descriptions
// as npm installs them (@octokit/openapi and @octokit/graphql-schema):
// .ci/run installs them and sets it.
const SchemasEnv = "TOKEN_GATE_GITHUB_SCHEMAS"

// GitHubSchemas finds the @octokit folder that holds GitHub's OpenAPI
// description (openapi/generated/api.github.com.json) and GraphQL schema
// (graphql-schema/schema.graphql): $TOKEN_GATE_GITHUB_SCHEMAS, else where
// .ci/run installs them. Without them the test is skipped, saying how to
// install them; in CI (CI=true) it fails, since CI installs them.
func GitHubSchemas(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(SchemasEnv)
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err == nil {
			dir = filepath.Join(cache, "token-gate", "schemas", "node_modules", "@octokit")
		}
	}
	for _, f := range []string{filepath.Join("openapi", "generated", "api.github.com.json"), filepath.Join("graphql-schema", "schema.graphql")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			why := "GitHub's API descriptions are not installed (" + err.Error() + "); run: npm install --prefix ~/.cache/token-gate/schemas @octokit/openapi@23.0.2 @octokit/graphql-schema@15.26.1 (or set " + SchemasEnv + ")"
			if os.Getenv("CI") == "true" {
				t.Fatal(why)
			}
			t.Skip(why)
		}
	}
	return dir
}
