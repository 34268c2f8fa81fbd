package command

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionArgs are the arguments action.yml's runs.args gives the container,
// which the runner passes after the image's entrypoint.
var actionArgs = sync.OnceValues(func() ([]string, error) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Runs struct {
			Args []string `yaml:"args"`
		} `yaml:"runs"`
	}
	err = yaml.Unmarshal(data, &meta)
	return meta.Runs.Args, err
})

func runnerArgs(t *testing.T) []string {
	t.Helper()
	args, err := actionArgs()
	if err != nil {
		t.Fatal(err)
	}
	return args
}
