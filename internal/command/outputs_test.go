package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/report"
)

// TestOutputsRoundTrip writes values that would end a fixed heredoc early,
// or span lines, and reads the file back as the runner does: each value must
// come back whole.
func TestOutputsRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "set_output")
	outputs := []report.Output{
		{Name: "plain", Value: "true"},
		{Name: "empty", Value: ""},
		// go-githubactions v1.3.2's fixed delimiter, as a whole value and
		// as a line of one.
		{Name: "fixed-delimiter", Value: "_GitHubActionsFileCommandDelimeter_"},
		{Name: "multi", Value: "one\n_GitHubActionsFileCommandDelimeter_\nthree"},
		{Name: "looks-like-ours", Value: "ghadelimiter_00000000000000000000000000000000"},
	}
	if err := writeOutputs(path, outputs); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	got, err := fake.ParseOutputs(string(data))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, o := range outputs {
		want[o.Name] = o.Value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs read back (-want +got):\n%s\n%s", diff, data)
	}
}

func TestDelimiterAvoidsTheValue(t *testing.T) {
	t.Parallel()
	for range 100 {
		d, err := delimiterFor("x")
		if err != nil || !strings.HasPrefix(d, "ghadelimiter_") || len(d) != len("ghadelimiter_")+32 {
			t.Fatalf("delimiter %q, %v", d, err)
		}
		if _, err := delimiterFor("a\n" + d + "\nb"); err != nil {
			t.Fatal(err)
		}
	}
}
