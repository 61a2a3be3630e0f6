package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultPath returns the default database file and creates its directory
// (0700): %LOCALAPPDATA%\licmon\licmon.db on Windows, otherwise
// $XDG_DATA_HOME/licmon/licmon.db or ~/.local/share/licmon/licmon.db.
func DefaultPath() (string, error) {
	path, err := DefaultFile()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return path, nil
}

// DefaultFile is DefaultPath without creating the directory, for the
// commands that only read the store.
func DefaultFile() (string, error) {
	dir, err := dataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "licmon", "licmon.db"), nil
}

func dataDir() (string, error) {
	if runtime.GOOS == "windows" {
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return d, nil
		}
		// UserCacheDir is %LocalAppData% on Windows.
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("find data directory: %w (set LOCALAPPDATA or pass --db)", err)
		}
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("find data directory: no home directory (set XDG_DATA_HOME or pass --db)")
	}
	return filepath.Join(home, ".local", "share"), nil
}
