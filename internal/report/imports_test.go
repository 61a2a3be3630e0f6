package report

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportsArePure holds the report to its layer (docs/ARCHITECTURE.md):
// it reads history through Source, so neither it nor anything it imports
// may pull in the store, SQL, a database driver or HTTP.
func TestImportsArePure(t *testing.T) {
	const module = "github.com/licmon/licmon/"
	forbidden := []string{module + "internal/store", "database/sql", "modernc.org/sqlite", "net/http"}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(pkg, dir, via string)
	walk = func(pkg, dir, via string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		p, err := build.Default.ImportDir(dir, 0) // non-test files for this platform
		if err != nil {
			t.Fatalf("read %s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					t.Errorf("%s imports %s (via %s): the report must not depend on storage or HTTP", pkg, imp, via)
				}
			}
			if strings.HasPrefix(imp, module) {
				walk(imp, filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(imp, module))), via+" → "+imp)
			}
		}
	}
	walk(module+"internal/report", ".", "internal/report")
	if len(seen) < 3 {
		t.Fatalf("walked only %d packages; the walk is broken", len(seen))
	}
}
