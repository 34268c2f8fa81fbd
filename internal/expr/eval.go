package expr

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Lookup answers a property path with its value, or reports it unknown.
// Values are what JSON decodes to: string, float64, bool, nil,
// map[string]any and []any.
type Lookup func(path []string) (any, bool)

// Eval evaluates n where lookup knows the contexts; the second result is
// false when anything the value depends on is unknown.
func Eval(n Node, lookup Lookup) (any, bool) {
	switch n := n.(type) {
	case Literal:
		return n.Value, true
	case Property:
		return lookup(n.Path)
	case Index:
		x, ok := Eval(n.X, lookup)
		if !ok {
			return nil, false
		}
		i, ok := Eval(n.I, lookup)
		if !ok {
			return nil, false
		}
		return index(x, i), true
	case Not:
		x, ok := Eval(n.X, lookup)
		return !Truthy(x), ok
	case Binary:
		return evalBinary(n, lookup)
	case Call:
		return evalCall(n, lookup)
	case Keyed:
		return Eval(n.X, lookup)
	}
	return nil, false
}

func index(x, i any) any {
	switch x := x.(type) {
	case map[string]any:
		key, _ := i.(string)
		for k, v := range x {
			if strings.EqualFold(k, key) {
				return v
			}
		}
	case []any:
		if f, ok := i.(float64); ok && f >= 0 && int(f) < len(x) && f == math.Trunc(f) {
			return x[int(f)]
		}
	}
	return nil
}

func evalBinary(n Binary, lookup Lookup) (any, bool) {
	l, lok := Eval(n.L, lookup)
	switch n.Op {
	case "||":
		if lok && Truthy(l) {
			return l, true
		}
		r, rok := Eval(n.R, lookup)
		return r, lok && rok
	case "&&":
		if lok && !Truthy(l) {
			return l, true
		}
		r, rok := Eval(n.R, lookup)
		return r, lok && rok
	}
	r, rok := Eval(n.R, lookup)
	if !lok || !rok {
		return nil, false
	}
	switch n.Op {
	case "==":
		return equal(l, r), true
	case "!=":
		return !equal(l, r), true
	}
	a, b := ToNumber(l), ToNumber(r)
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			c := strings.Compare(strings.ToLower(ls), strings.ToLower(rs))
			a, b = float64(c), 0
		}
	}
	switch n.Op {
	case "<":
		return a < b, true
	case "<=":
		return a <= b, true
	case ">":
		return a > b, true
	}
	return a >= b, true
}

// equal is GitHub's loose equality: strings ignore case, mixed types
// compare as numbers, objects and arrays only by identity (never equal).
func equal(l, r any) bool {
	ls, lIsString := l.(string)
	rs, rIsString := r.(string)
	switch {
	case lIsString && rIsString:
		return strings.EqualFold(ls, rs)
	case l == nil && r == nil:
		return true
	}
	switch l.(type) {
	case map[string]any, []any:
		return false
	}
	switch r.(type) {
	case map[string]any, []any:
		return false
	}
	a, b := ToNumber(l), ToNumber(r)
	return a == b && !math.IsNaN(a)
}

// Truthy is GitHub's truthiness: false, 0, -0, "", null and NaN are false.
func Truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return true
}

// ToNumber converts as GitHub does: null 0, booleans 0 and 1, strings
// parsed (NaN if they are not numbers), objects and arrays NaN.
func ToNumber(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0
		}
		if f, err := parseNumber(s); err == nil {
			return f
		}
	}
	return math.NaN()
}

// String converts a value as GitHub does when it puts one into a string.
func String(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func evalCall(n Call, lookup Lookup) (any, bool) {
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		v, ok := Eval(a, lookup)
		if !ok {
			return nil, false
		}
		args[i] = v
	}
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch n.Name {
	case "format":
		if len(args) == 0 {
			return nil, false
		}
		return format(String(args[0]), args[1:])
	case "contains":
		if list, ok := arg(0).([]any); ok {
			for _, x := range list {
				if equal(x, arg(1)) {
					return true, true
				}
			}
			return false, true
		}
		return strings.Contains(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "startswith":
		return strings.HasPrefix(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "endswith":
		return strings.HasSuffix(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "join":
		sep := ","
		if len(args) > 1 {
			sep = String(args[1])
		}
		list, ok := arg(0).([]any)
		if !ok {
			return String(arg(0)), true
		}
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = String(x)
		}
		return strings.Join(parts, sep), true
	case "tojson":
		data, err := json.MarshalIndent(arg(0), "", "  ")
		return string(data), err == nil
	case "fromjson":
		var v any
		if err := json.Unmarshal([]byte(String(arg(0))), &v); err != nil {
			return nil, false
		}
		return v, true
	}
	// hashFiles, success(), always(), cancelled(), failure() and any
	// unknown function depend on the run.
	return nil, false
}

// format fills {0}, {1}, … and keeps {{ and }} as braces.
func format(f string, args []any) (any, bool) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		switch {
		case strings.HasPrefix(f[i:], "{{"):
			b.WriteByte('{')
			i++
		case strings.HasPrefix(f[i:], "}}"):
			b.WriteByte('}')
			i++
		case f[i] == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return nil, false
			}
			k, err := strconv.Atoi(f[i+1 : i+end])
			if err != nil || k < 0 || k >= len(args) {
				return nil, false
			}
			b.WriteString(String(args[k]))
			i += end
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String(), true
}
