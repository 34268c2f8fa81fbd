// Command minimal is the yardstick of token-gate's start-up: a static Go
// program that makes the same single request as a default check (GET
// $GITHUB_API_URL/user with the token from INPUT_TOKEN) and exits 0 on 200.
// See internal/bench/startup.
package main

import (
	"io"
	"net/http"
	"os"
)

func main() {
	req, err := http.NewRequest(http.MethodGet, os.Getenv("GITHUB_API_URL")+"/user", nil)
	if err != nil {
		os.Exit(2)
	}
	req.Header.Set("Authorization", "Bearer "+os.Getenv("INPUT_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Exit(1)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}
