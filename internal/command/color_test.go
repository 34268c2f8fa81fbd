package command

import (
	"os"
	"path/filepath"
	"testing"
)

// A terminal is what the terminal driver says is one: /dev/null, a pipe
// and a file are not, though /dev/null is a character device (which once
// coloured `token-gate audit > /dev/null`); a pseudo-terminal is.
func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for name, f := range map[string]*os.File{"/dev/null": null, "a pipe": w, "a file": file} {
		if IsTerminal(f) {
			t.Errorf("%s reads as a terminal", name)
		}
	}
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here to check the other side: %v", err)
	}
	defer pty.Close()
	if !IsTerminal(pty) {
		t.Error("a pseudo-terminal does not read as a terminal")
	}
}
