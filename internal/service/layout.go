package service

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Layout is where the service keeps its files.
type Layout struct {
	// Dir is %ProgramData%\licmon, restricted to the service account,
	// SYSTEM and the Administrators.
	Dir string
	// Config is Dir\licmon.yaml, the service's configuration.
	Config string
	// DB is the history store.
	DB string
	// LogDir holds the rotating log file LogFile.
	LogDir, LogFile string
	// SavedLogs is where check keeps downloaded script logs.
	SavedLogs string
}

// ProgramData returns %ProgramData% from the environment; licmon never
// assumes it is C:\ProgramData.
func ProgramData(getenv func(string) string) (string, error) {
	if d := getenv("ProgramData"); d != "" {
		return d, nil
	}
	if d := getenv("PROGRAMDATA"); d != "" {
		return d, nil
	}
	return "", errors.New("%ProgramData% is not set in the environment: run licmon from a normal Windows prompt, or pass --config")
}

// LayoutIn is the service layout under programData.
func LayoutIn(programData string) Layout {
	dir := filepath.Join(programData, "licmon")
	logs := filepath.Join(dir, "logs")
	return Layout{
		Dir:       dir,
		Config:    filepath.Join(dir, "licmon.yaml"),
		DB:        filepath.Join(dir, "licmon.db"),
		LogDir:    logs,
		LogFile:   filepath.Join(logs, "licmon.log"),
		SavedLogs: filepath.Join(dir, "script-logs"),
	}
}

// QlikCertRoot is the folder the QMC exports certificates into, one
// subfolder per machine name (Qlik's default location under %ProgramData%).
func QlikCertRoot(programData string) string {
	return filepath.Join(programData, "Qlik", "Sense", "Repository", "Exported Certificates")
}

// QlikLogDir is the Log folder of a Qlik Sense node (Qlik's default).
func QlikLogDir(programData string) string {
	return filepath.Join(programData, "Qlik", "Sense", "Log")
}

// CertFiles are the files of a PEM export from the QMC that licmon needs.
var CertFiles = []string{"client.pem", "client_key.pem", "root.pem"}

// FindCertDirs returns the folders under the QMC export folder that hold a
// complete PEM export (client.pem, client_key.pem and root.pem), best
// first: the one named after this machine, then ".Local Certificates",
// then the others by name. None is an empty list, not an error.
func FindCertDirs(programData, hostname string) []string {
	root := QlikCertRoot(programData)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	rank := func(name string) int {
		switch {
		case hostname != "" && (strings.EqualFold(name, hostname) || strings.EqualFold(name, shortHost(hostname))):
			return 0
		case name == ".Local Certificates":
			return 1
		}
		return 2
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && hasCerts(filepath.Join(root, e.Name())) {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	dirs := make([]string, len(names))
	for i, n := range names {
		dirs[i] = filepath.Join(root, n)
	}
	return dirs
}

func hasCerts(dir string) bool {
	for _, f := range CertFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// FindLogDir returns Qlik's Log folder when it exists on this machine.
func FindLogDir(programData string) string {
	d := QlikLogDir(programData)
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

func shortHost(h string) string {
	if i := strings.IndexByte(h, '.'); i > 0 {
		return h[:i]
	}
	return h
}
