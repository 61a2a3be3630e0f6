package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/licmon/licmon/"

// pure are the packages that hold pure logic (docs/ARCHITECTURE.md): they
// take plain values and return plain values, so none of them may reach
// HTTP, SQL or the store, directly or through another package.
var pure = []string{
	"internal/alert/rules",
	"internal/backoff",
	"internal/check",
	"internal/csvout",
	"internal/demand",
	"internal/forecast",
	"internal/histcsv",
	"internal/jsonscan",
	"internal/license",
	"internal/numtext",
	"internal/qlog",
	"internal/report",
	"internal/schedule",
	"internal/scriptlog",
	"internal/svgchart",
	"internal/termtext",
}

// forbidden are what a pure package must not depend on.
var forbidden = []string{"net/http", "database/sql", module + "internal/store"}

// pending are pure packages known to break the rule while a fix is on its
// way, with what fixes it. A pending package that no longer breaks it fails
// the test, so the gate cannot outlive the fix. Empty: every pure package
// holds the rule.
var pending = map[string]string{}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs `go list -deps -json` on pkgs with the go command of the
// toolchain running the test: go test puts its GOROOT/bin first in PATH.
func list(t *testing.T, pkgs []string) map[string]pkg {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not in PATH (go test puts it there): %v", err)
	}
	args := []string{"list", "-deps", "-json=ImportPath,Imports,Deps"}
	for _, p := range pkgs {
		args = append(args, module+p)
	}
	cmd := exec.Command(goCmd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", goCmd, strings.Join(args, " "), err, stderr.String())
	}
	all := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		all[p.ImportPath] = p
	}
	return all
}

// watchSources stats every Go file of the module, so that go test's cache,
// which knows nothing of what the go command the test runs reads, reruns
// the test when an import changes.
func watchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// chain is the shortest import path from from to to.
func chain(all map[string]pkg, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var path []string
			for p := to; p != ""; p = prev[p] {
				path = append(path, strings.TrimPrefix(p, module))
			}
			slices.Reverse(path)
			return path
		}
		for _, next := range all[cur].Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// TestPurePackagesStayPure fails when a pure package depends on net/http,
// database/sql or the store, and names the import chain that pulls it in.
func TestPurePackagesStayPure(t *testing.T) {
	watchSources(t)
	all := list(t, pure)
	for _, p := range pure {
		info, ok := all[module+p]
		if !ok {
			t.Errorf("%s: not in go list's answer (moved? update the list in this test)", p)
			continue
		}
		var broken []string
		for _, f := range forbidden {
			if slices.Contains(info.Deps, f) {
				broken = append(broken, strings.Join(chain(all, info.ImportPath, f), " → "))
			}
		}
		why, isPending := pending[p]
		switch {
		case len(broken) > 0 && isPending:
			t.Logf("%s still depends on %s (pending: %s)", p, strings.Join(broken, "; "), why)
		case len(broken) > 0:
			t.Errorf("%s is pure logic but depends on %s: take plain values or a small interface defined on its side instead",
				p, strings.Join(broken, "; "))
		case isPending:
			t.Errorf("%s no longer depends on what it must not (%s is done): remove it from pending in this test", p, why)
		}
	}
}
