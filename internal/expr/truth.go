package expr

// Keyed is a part of a condition with its canonical text worked out once
// (KeyLeaves): a condition asked in many scenarios names its atoms without
// formatting them again.
type Keyed struct {
	Key string
	X   Node
}

func (Keyed) node() {}

// KeyLeaves wraps every part of a condition that Truth may ask an atom
// about in a Keyed: what stands under &&, || and !, other than the
// status functions.
func KeyLeaves(n Node) Node {
	switch n := n.(type) {
	case Binary:
		if n.Op == "&&" || n.Op == "||" {
			return Binary{Op: n.Op, L: KeyLeaves(n.L), R: KeyLeaves(n.R)}
		}
	case Not:
		return Not{X: KeyLeaves(n.X)}
	case Call:
		if isStatus(n.Name) {
			return n
		}
	case Keyed:
		return n
	}
	return Keyed{Key: Format(n), X: n}
}

// Status answers the status functions of an if: where it is decided:
// success() and failure() over what ran before, cancelled(); always() is
// always true.
type Status struct {
	Success, Failure, Cancelled bool
}

// Atom answers the truth of a part of a condition that the contexts
// cannot decide (an output of another job, a repository variable), named
// by its canonical text (Format); false in its second result when it is
// not decided either.
type Atom func(key string) (value, known bool)

// Truth decides whether an if: expression holds, knowing part of what it
// reads: lookup answers the contexts, status the status functions, atom
// the parts that neither decides. && and || decide as soon as one side
// does (false && anything is false), so a condition is often decided
// though part of it is unknown.
func Truth(n Node, lookup Lookup, status Status, atom Atom) (value, known bool) {
	switch n := n.(type) {
	case Binary:
		switch n.Op {
		case "&&":
			l, lk := Truth(n.L, lookup, status, atom)
			if lk && !l {
				return false, true
			}
			r, rk := Truth(n.R, lookup, status, atom)
			if rk && !r {
				return false, true
			}
			return true, lk && rk
		case "||":
			l, lk := Truth(n.L, lookup, status, atom)
			if lk && l {
				return true, true
			}
			r, rk := Truth(n.R, lookup, status, atom)
			if rk && r {
				return true, true
			}
			return false, lk && rk
		}
	case Not:
		v, k := Truth(n.X, lookup, status, atom)
		return !v, k
	case Call:
		switch n.Name {
		case "always":
			return true, true
		case "success":
			return status.Success, true
		case "failure":
			return status.Failure, true
		case "cancelled":
			return status.Cancelled, true
		}
	}
	key := ""
	if k, ok := n.(Keyed); ok {
		n, key = k.X, k.Key
	}
	if v, ok := Eval(n, lookup); ok {
		return Truthy(v), true
	}
	if atom == nil {
		return false, false
	}
	if key == "" {
		key = Format(n)
	}
	return atom(key)
}

// HasStatus reports whether a condition calls a status function; one that
// does not is read as success() && it (GitHub docs, "Expressions": status
// check functions).
func HasStatus(n Node) bool {
	found := false
	inspect(n, func(n Node) bool {
		if c, ok := n.(Call); ok && isStatus(c.Name) {
			found = true
		}
		return !found
	})
	return found
}

// isStatus reports a status function: always(), success(), failure(),
// cancelled().
func isStatus(name string) bool {
	switch name {
	case "always", "success", "failure", "cancelled":
		return true
	}
	return false
}
