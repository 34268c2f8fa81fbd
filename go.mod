module github.com/token-gate/token-gate

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/go-github/v62 v62.0.0
	github.com/sethvargo/go-githubactions v1.3.2
	golang.org/x/oauth2 v0.38.0
)

require github.com/google/go-querystring v1.1.0 // indirect
