package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/token-gate/token-gate/internal/fake"
)

// A differential test against the field's own workflow parser: for every
// workflow this repository holds (its own, the README's, the audit's
// patterns and AIBrix's real ones), the model names the same jobs, needs,
// steps, actions, scripts, inputs, env and matrix rows as actionlint's
// Parse, at the same lines and columns. actionlint is a test-only peer:
// as a library its package init would cost every check's start more than
// the budget allows, and the product reads YAML with yaml.v3 and its own
// plain reader (docs/speed.md, "Speed").

func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	roots := []string{"../../.github/workflows", "../../testdata/workflows", "../../testdata/audit"}
	if dir, why := fake.LookupAIBrix(); dir != "" {
		roots = append(roots, dir)
	} else {
		t.Log(why)
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) || filepath.Base(p) == "action.yml" {
				return nil
			}
			if strings.Contains(p, "newer-syntax") {
				return nil // syntax newer than actionlint v1.7.12 reads
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[p] = src
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d workflows found; the corpus is missing", len(files))
	}
	return files
}

func TestModelMatchesActionlint(t *testing.T) {
	for path, src := range corpus(t) {
		t.Run(path, func(t *testing.T) {
			ours := Parse(path, src)
			theirs, errs := actionlint.Parse(src)
			if len(errs) > 0 || ours.Err != nil {
				if (len(errs) > 0) != (ours.Err != nil) {
					t.Fatalf("actionlint errors %v; ours %v", errs, ours.Err)
				}
				return
			}
			if got, want := describeOurs(ours), describeTheirs(theirs); got != want {
				t.Errorf("the models differ\n%s", diffLines(want, got))
			}
		})
	}
}

// TestBrokenFilesFailInBoth feeds both parsers files that are not
// workflows: both refuse each, and ours says where, near where actionlint
// does.
func TestBrokenFilesFailInBoth(t *testing.T) {
	cases := map[string]string{
		"unclosed flow":   "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [\n",
		"tab indent":      "on: push\njobs:\n\ta:\n",
		"jobs not a map":  "on: push\njobs: [a, b]\n",
		"steps not a seq": "on: push\njobs:\n  a:\n    runs-on: x\n    steps: nope\n",
		"bad alias":       "on: push\njobs:\n  a: *missing\n",
		"not a mapping":   "- just\n- a list\n",
		"duplicate key":   "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n  a:\n    runs-on: y\n    steps: []\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			ours := Parse("x.yml", []byte(src))
			_, errs := actionlint.Parse([]byte(src))
			if len(errs) == 0 {
				t.Fatalf("actionlint accepts %q", src)
			}
			if ours.Err == nil {
				t.Fatalf("ours accepts %q; actionlint says %v", src, errs[0])
			}
			if ours.Err.Pos.Line < 1 || ours.Err.Pos.Line > strings.Count(src, "\n")+1 {
				t.Errorf("error line %d is outside the file", ours.Err.Pos.Line)
			}
			// actionlint gives line 0 when yaml.v3 refuses the file whole.
			if d := ours.Err.Pos.Line - errs[0].Line; errs[0].Line > 0 && (d < -2 || d > 2) {
				t.Errorf("ours at line %d (%s); actionlint at %d (%s)", ours.Err.Pos.Line, ours.Err.Msg, errs[0].Line, errs[0].Message)
			}
		})
	}
}

func describeOurs(f *File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "on %v\n", sorted(f.On))
	writeVars(&b, "env", f.Env)
	jobs := append([]*Job(nil), f.Jobs...)
	sort.Slice(jobs, func(i, j int) bool { return strings.ToLower(jobs[i].ID) < strings.ToLower(jobs[j].ID) })
	for _, j := range jobs {
		fmt.Fprintf(&b, "job %s @%d:%d\n", strings.ToLower(j.ID), j.Pos.Line, j.Pos.Col)
		for _, n := range j.Needs {
			fmt.Fprintf(&b, "  needs %s @%d:%d\n", strings.ToLower(n.Text), n.Pos.Line, n.Pos.Col)
		}
		if j.If != nil {
			fmt.Fprintf(&b, "  if %q @%d:%d\n", j.If.Text, j.If.Pos.Line, j.If.Pos.Col)
		}
		writeVars(&b, "  env", j.Env)
		if j.Uses != nil {
			fmt.Fprintf(&b, "  uses %s @%d:%d\n", j.Uses.Text, j.Uses.Pos.Line, j.Uses.Pos.Col)
			writeVars(&b, "  with", j.With)
			if j.InheritSecrets {
				b.WriteString("  secrets inherit\n")
			}
			writeVars(&b, "  secrets", j.Secrets)
		}
		if m := j.Matrix; m != nil {
			if m.Expr != nil {
				fmt.Fprintf(&b, "  matrix %q\n", m.Expr.Text)
			}
			rows := append([]Row(nil), m.Rows...)
			sort.Slice(rows, func(i, j int) bool { return strings.ToLower(rows[i].Key) < strings.ToLower(rows[j].Key) })
			for _, r := range rows {
				if r.Expr != nil {
					fmt.Fprintf(&b, "  row %s = %q\n", strings.ToLower(r.Key), r.Expr.Text)
					continue
				}
				fmt.Fprintf(&b, "  row %s @%d:%d: %d values\n", strings.ToLower(r.Key), r.Pos.Line, r.Pos.Col, len(r.Values))
			}
			fmt.Fprintf(&b, "  include %d exclude %d\n", len(m.Include), len(m.Exclude))
		}
		for _, s := range j.Steps {
			fmt.Fprintf(&b, "  step %d @%d:%d id=%q\n", s.Index, s.Pos.Line, s.Pos.Col, s.ID)
			if s.If != nil {
				fmt.Fprintf(&b, "    if %q\n", s.If.Text)
			}
			if s.Uses != nil {
				fmt.Fprintf(&b, "    uses %s @%d:%d\n", s.Uses.Text, s.Uses.Pos.Line, s.Uses.Pos.Col)
				writeVars(&b, "    with", s.With)
			}
			if s.Run != nil {
				fmt.Fprintf(&b, "    run %q @%d:%d\n", s.Run.Text, s.Run.Pos.Line, s.Run.Pos.Col)
			}
			writeVars(&b, "    env", s.Env)
		}
	}
	return b.String()
}

func writeVars(b *strings.Builder, what string, vars []Var) {
	vs := append([]Var(nil), vars...)
	sort.Slice(vs, func(i, j int) bool { return strings.ToLower(vs[i].Name) < strings.ToLower(vs[j].Name) })
	for _, v := range vs {
		fmt.Fprintf(b, "%s %s=%q @%d:%d\n", what, strings.ToLower(v.Name), v.Value.Text, v.Value.Pos.Line, v.Value.Pos.Col)
	}
}

func describeTheirs(w *actionlint.Workflow) string {
	var b strings.Builder
	var on []string
	for _, e := range w.On {
		on = append(on, e.EventName())
	}
	fmt.Fprintf(&b, "on %v\n", sorted(on))
	writeEnv(&b, "env", w.Env)
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		j := w.Jobs[id]
		fmt.Fprintf(&b, "job %s @%d:%d\n", id, j.ID.Pos.Line, j.ID.Pos.Col)
		for _, n := range j.Needs {
			fmt.Fprintf(&b, "  needs %s @%d:%d\n", strings.ToLower(n.Value), n.Pos.Line, n.Pos.Col)
		}
		if j.If != nil {
			fmt.Fprintf(&b, "  if %q @%d:%d\n", j.If.Value, j.If.Pos.Line, j.If.Pos.Col)
		}
		writeEnv(&b, "  env", j.Env)
		if c := j.WorkflowCall; c != nil {
			fmt.Fprintf(&b, "  uses %s @%d:%d\n", c.Uses.Value, c.Uses.Pos.Line, c.Uses.Pos.Col)
			inputs := map[string]*actionlint.Input{}
			for k, v := range c.Inputs {
				inputs[k] = &actionlint.Input{Name: v.Name, Value: v.Value}
			}
			writeInputs(&b, "  with", inputs)
			if c.InheritSecrets {
				b.WriteString("  secrets inherit\n")
			}
			writeSecrets(&b, c.Secrets)
		}
		if j.Strategy != nil && j.Strategy.Matrix != nil {
			m := j.Strategy.Matrix
			if m.Expression != nil {
				fmt.Fprintf(&b, "  matrix %q\n", m.Expression.Value)
			}
			keys := make([]string, 0, len(m.Rows))
			for k := range m.Rows {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				r := m.Rows[k]
				if r.Expression != nil {
					fmt.Fprintf(&b, "  row %s = %q\n", k, r.Expression.Value)
					continue
				}
				fmt.Fprintf(&b, "  row %s @%d:%d: %d values\n", k, r.Name.Pos.Line, r.Name.Pos.Col, len(r.Values))
			}
			inc, exc := 0, 0
			if m.Include != nil {
				inc = len(m.Include.Combinations)
			}
			if m.Exclude != nil {
				exc = len(m.Exclude.Combinations)
			}
			fmt.Fprintf(&b, "  include %d exclude %d\n", inc, exc)
		}
		for i, s := range j.Steps {
			sid := ""
			if s.ID != nil {
				sid = s.ID.Value
			}
			fmt.Fprintf(&b, "  step %d @%d:%d id=%q\n", i, s.Pos.Line, s.Pos.Col, sid)
			if s.If != nil {
				fmt.Fprintf(&b, "    if %q\n", s.If.Value)
			}
			switch e := s.Exec.(type) {
			case *actionlint.ExecAction:
				fmt.Fprintf(&b, "    uses %s @%d:%d\n", e.Uses.Value, e.Uses.Pos.Line, e.Uses.Pos.Col)
				writeInputs(&b, "    with", e.Inputs)
			case *actionlint.ExecRun:
				fmt.Fprintf(&b, "    run %q @%d:%d\n", e.Run.Value, e.Run.Pos.Line, e.Run.Pos.Col)
			}
			writeEnv(&b, "    env", s.Env)
		}
	}
	return b.String()
}

func writeEnv(b *strings.Builder, what string, env *actionlint.Env) {
	if env == nil {
		return
	}
	var names []string
	for k := range env.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := env.Vars[k]
		fmt.Fprintf(b, "%s %s=%q @%d:%d\n", what, k, v.Value.Value, v.Value.Pos.Line, v.Value.Pos.Col)
	}
}

func writeInputs(b *strings.Builder, what string, inputs map[string]*actionlint.Input) {
	var names []string
	for k := range inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := inputs[k]
		fmt.Fprintf(b, "%s %s=%q @%d:%d\n", what, k, v.Value.Value, v.Value.Pos.Line, v.Value.Pos.Col)
	}
}

func writeSecrets(b *strings.Builder, secrets map[string]*actionlint.WorkflowCallSecret) {
	var names []string
	for k := range secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := secrets[k]
		fmt.Fprintf(b, "  secrets %s=%q @%d:%d\n", k, v.Value.Value, v.Value.Pos.Line, v.Value.Pos.Col)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  actionlint: %s\n  ours:       %s\n", i+1, wl, gl)
			if b.Len() > 3000 {
				break
			}
		}
	}
	return b.String()
}
