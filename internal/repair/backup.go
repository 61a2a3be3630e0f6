package repair

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// BackupFormat names the backup file format and its version.
const BackupFormat = "licmon-repair-backup/1"

// maxBackup bounds what ReadBackup reads: a backup holds a few dozen
// connections, so anything near this size is not one.
const maxBackup = 8 << 20

// Backup is the state of the connections before a repair: enough to put
// their connection strings and users back. It never holds a password (the
// QRS returns none in clear, and licmon does not keep the new one).
type Backup struct {
	Format  string    `json:"format"`
	Site    string    `json:"site"`
	Server  string    `json:"server"`
	Created time.Time `json:"created"`
	// By is who ran the repair (the operating-system user).
	By          string             `json:"by"`
	Connections []BackupConnection `json:"connections"`
}

// BackupConnection is one connection as it was before the repair.
type BackupConnection struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	ConnectionString string    `json:"connectionString"`
	User             string    `json:"user"`
	ModifiedDate     time.Time `json:"modifiedDate"`
	// RepairedModifiedDate is the modifiedDate the repair's PUT produced
	// (zero when it was not changed); undo leaves a connection alone when it
	// changed again after that.
	RepairedModifiedDate time.Time `json:"repairedModifiedDate,omitzero"`
}

// NewBackup records the connections a plan changes.
func NewBackup(p *Plan, site, server, by string, now time.Time) *Backup {
	b := &Backup{Format: BackupFormat, Site: site, Server: server, Created: now.UTC(), By: by}
	for _, c := range p.Changes {
		if !c.Changes() {
			continue
		}
		b.Connections = append(b.Connections, BackupConnection{ID: c.ID, Name: c.Name, ConnectionString: c.Before.ConnectionString,
			User: c.Before.User, ModifiedDate: c.Entity.ModifiedDate.UTC()})
	}
	return b
}

// Write saves the backup to path readable by the owner only, replacing it
// atomically (a crash leaves either the old or the new file).
func (b *Backup) Write(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	f, err := os.CreateTemp(dir, ".licmon-backup-*")
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return fmt.Errorf("write backup: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write backup %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write backup %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write backup %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write backup %s: %w", path, err)
	}
	return nil
}

// ReadBackup parses a backup file written by Write. Anything else (another
// format, unknown fields, a connection without id or with a string that is
// not a REST connection string) is refused with what is wrong, because
// undo writes these values to the site.
func ReadBackup(r io.Reader) (*Backup, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBackup+1))
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	if len(data) > maxBackup {
		return nil, fmt.Errorf("read backup: larger than %d MB: not a licmon repair backup", maxBackup>>20)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var b Backup
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("read backup: not a licmon repair backup (%v)", err)
	}
	if dec.More() {
		return nil, errors.New("read backup: extra data after the backup object")
	}
	if b.Format != BackupFormat {
		return nil, fmt.Errorf("read backup: format %q, want %q (written by licmon repair connections)", b.Format, BackupFormat)
	}
	if len(b.Connections) == 0 {
		return nil, errors.New("read backup: it holds no connections: nothing to undo")
	}
	seen := map[string]bool{}
	for i, c := range b.Connections {
		switch {
		case c.ID == "" || c.Name == "":
			return nil, fmt.Errorf("read backup: connection %d has no id or name", i+1)
		case seen[strings.ToLower(c.ID)]:
			return nil, fmt.Errorf("read backup: connection %s (%s) appears twice", c.Name, c.ID)
		case strings.ContainsAny(c.ID, "/?#% "):
			return nil, fmt.Errorf("read backup: connection %s has an invalid id %q", c.Name, c.ID)
		}
		seen[strings.ToLower(c.ID)] = true
		if _, err := ReadSettings(c.ConnectionString); err != nil {
			return nil, fmt.Errorf("read backup: connection %s: %v", c.Name, err)
		}
	}
	return &b, nil
}

// ReadBackupFile reads a backup from path.
func ReadBackupFile(path string) (*Backup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	defer f.Close()
	b, err := ReadBackup(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// same reports whether dc holds what the backup holds.
func (c BackupConnection) same(dc qrs.DataConnection) bool {
	return dc.ConnectionString == c.ConnectionString && dc.Username == c.User
}
