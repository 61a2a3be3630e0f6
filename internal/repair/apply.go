package repair

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// Client is what Apply and Undo need from the QRS.
type Client interface {
	DataConnections(ctx context.Context, opts qrs.ListOptions) ([]qrs.DataConnection, error)
	UpdateDataConnection(ctx context.Context, current qrs.DataConnection, u qrs.ConnectionUpdate) (*qrs.DataConnection, error)
}

// Result of one connection.
const (
	Updated   = "updated"
	Conflict  = "conflict" // changed by someone else since it was read: left alone
	Failed    = "failed"
	Unchanged = "unchanged"
	Skipped   = "skipped"
)

// Outcome is what happened to one connection.
type Outcome struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
	// Modified is the connection's modifiedDate after the update.
	Modified time.Time `json:"modifiedDate,omitzero"`
}

// Apply performs the plan: one PUT per connection to change, with the
// modifiedDate read when the plan was built. A 409 means someone changed the
// connection meanwhile; it is reported and that connection left alone. The
// password is sent only to connections that authenticate with it and never
// kept. Apply goes on past a failed connection.
func Apply(ctx context.Context, c Client, p *Plan, password string) []Outcome {
	var out []Outcome
	for _, ch := range p.Changes {
		o := Outcome{ID: ch.ID, Name: ch.Name}
		switch {
		case ch.Problem != "":
			o.Result, o.Detail = Skipped, ch.Problem
		case !ch.Changes():
			o.Result = Unchanged
		default:
			u := qrs.ConnectionUpdate{ConnectionString: ch.After.ConnectionString, Username: ch.After.User}
			if ch.Password {
				u.Password, u.SetPassword = password, true
			}
			got, err := c.UpdateDataConnection(ctx, ch.Entity, u)
			switch {
			case qrs.IsConflict(err):
				o.Result, o.Detail = Conflict, "changed in the QMC or by another tool since it was read: left alone; run the repair again to plan it afresh"
			case err != nil:
				o.Result, o.Detail = Failed, err.Error()
			default:
				o.Result, o.Modified = Updated, got.ModifiedDate.UTC()
			}
		}
		out = append(out, o)
	}
	return out
}

// Record stores the modifiedDate each update produced in the backup, so that
// undo can tell a later change by someone else.
func (b *Backup) Record(outs []Outcome) {
	for _, o := range outs {
		for i := range b.Connections {
			if b.Connections[i].ID == o.ID && o.Result == Updated {
				b.Connections[i].RepairedModifiedDate = o.Modified
			}
		}
	}
	// Connections that were not changed have nothing to undo.
	kept := b.Connections[:0]
	for _, c := range b.Connections {
		if !c.RepairedModifiedDate.IsZero() {
			kept = append(kept, c)
		}
	}
	b.Connections = kept
}

// PasswordNote is what undo says about passwords.
const PasswordNote = "The old password cannot be restored: the QRS never returns a password in clear, and licmon keeps none. If the old one was right, set it again in the QMC or with licmon repair connections --password-file."

// Undo puts the backup's connection strings and users back, one PUT per
// connection with its current modifiedDate. A connection changed again
// after the repair is left alone unless force is set; one that no longer
// exists is reported.
func Undo(ctx context.Context, c Client, b *Backup, force bool) ([]Outcome, error) {
	ids := make([]string, len(b.Connections))
	for i, bc := range b.Connections {
		ids[i] = "id eq " + bc.ID
	}
	cur, err := c.DataConnections(ctx, qrs.ListOptions{Filter: strings.Join(ids, " or ")})
	if err != nil {
		return nil, fmt.Errorf("read the connections to restore: %w", err)
	}
	byID := map[string]qrs.DataConnection{}
	for _, dc := range cur {
		byID[strings.ToLower(dc.ID)] = dc
	}
	var out []Outcome
	for _, bc := range b.Connections {
		o := Outcome{ID: bc.ID, Name: bc.Name}
		dc, ok := byID[strings.ToLower(bc.ID)]
		switch {
		case !ok:
			o.Result, o.Detail = Failed, "the connection no longer exists (deleted or recreated with a new id): restore it in the QMC from the backup's connection string"
		case bc.same(dc):
			o.Result = Unchanged
		case !force && !bc.RepairedModifiedDate.IsZero() && !dc.ModifiedDate.Equal(bc.RepairedModifiedDate):
			o.Result = Conflict
			o.Detail = fmt.Sprintf("changed again at %s, after the repair (%s): left alone; --force restores it anyway",
				dc.ModifiedDate.UTC().Format(time.RFC3339), bc.RepairedModifiedDate.UTC().Format(time.RFC3339))
		default:
			got, err := c.UpdateDataConnection(ctx, dc, qrs.ConnectionUpdate{ConnectionString: bc.ConnectionString, Username: bc.User})
			switch {
			case qrs.IsConflict(err):
				o.Result, o.Detail = Conflict, "changed while undo ran: left alone; run undo again"
			case err != nil:
				o.Result, o.Detail = Failed, err.Error()
			default:
				o.Result, o.Modified = Updated, got.ModifiedDate.UTC()
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// Summary counts outcomes by result.
func Summary(outs []Outcome) map[string]int {
	m := map[string]int{}
	for _, o := range outs {
		m[o.Result]++
	}
	return m
}
