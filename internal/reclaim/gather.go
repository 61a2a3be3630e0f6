package reclaim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// Client is what Gather and Apply need from the QRS.
type Client interface {
	License(ctx context.Context) (*qrs.License, error)
	AccessTypeOverview(ctx context.Context) (*qrs.AccessTypeOverview, error)
	StreamAllocationPolicyFields(ctx context.Context, kind qrs.AccessTypeKind, opts qrs.ListOptions, fn func(qrs.AllocationPolicyFields) error) error
	StreamUserPolicyFields(ctx context.Context, opts qrs.ListOptions, fn func(qrs.UserPolicyFields) error) error
	StreamAppObjects(ctx context.Context, opts qrs.ListOptions, fn func(qrs.AppObject) error) error
	StreamApps(ctx context.Context, opts qrs.ListOptions, fn func(qrs.App) error) error
	DeleteAllocation(ctx context.Context, kind qrs.AccessTypeKind, id string) error
	AddAllocation(ctx context.Context, kind qrs.AccessTypeKind, userID string) (*qrs.LicenseAccessType, error)
}

// Kind maps a Type to the QRS path kind.
func (t Type) Kind() qrs.AccessTypeKind {
	switch t {
	case Analyzer:
		return qrs.KindAnalyzer
	case UserAccess:
		return qrs.KindUser
	}
	return qrs.KindProfessional
}

// GatherOptions tune Gather.
type GatherOptions struct {
	Types []Type
	// Authoring reads app and app-object owners (for downgrades) changed
	// within AuthoringDays (default 90).
	Authoring     bool
	AuthoringDays int
	Now           time.Time
}

// Gather reads what a plan needs in bulk, concurrently: the license, the
// overview, every allocation of each type (one streamed request each),
// every user (one streamed request) and, for downgrades, the owners of
// recently changed apps and app objects (two requests). At most eight
// requests whatever the site's size.
func Gather(ctx context.Context, c Client, o GatherOptions) (*Input, error) {
	if len(o.Types) == 0 {
		o.Types = Types
	}
	if o.AuthoringDays <= 0 {
		o.AuthoringDays = 90
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	in := &Input{Now: o.Now.UTC(), Users: map[string]*User{}, Authors: map[string]bool{}, AnalyzerFree: -1,
		Source: Source{ReadAt: o.Now.UTC(), Allocations: map[Type]int{}, AuthoringDays: o.AuthoringDays}}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		errs     []error
		requests atomic.Int64
	)
	do := func(what string, f func() error) {
		wg.Add(1)
		requests.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("read %s: %w", what, err))
				mu.Unlock()
			}
		}()
	}
	do("the license", func() error {
		l, err := c.License(ctx)
		if err != nil {
			return err
		}
		kind := "lef"
		switch {
		case l.Key != "":
			kind = "signed-key"
		case strings.Contains(strings.ToUpper(l.LEF), "TOKENS;"):
			kind = "tokens"
		}
		mu.Lock()
		in.Source.LicenseKind = kind
		in.QuarantineModel = "lef"
		if kind == "signed-key" {
			in.QuarantineModel = "signed-key"
		}
		in.Source.QuarantineModel = in.QuarantineModel
		mu.Unlock()
		return nil
	})
	do("the license overview", func() error {
		ov, err := c.AccessTypeOverview(ctx)
		if err != nil {
			return err
		}
		a := ov.AnalyzerAccess
		mu.Lock()
		in.AnalyzerFree = 0
		if a.Enabled {
			in.AnalyzerFree = max(a.Total-a.Allocated-a.Quarantined, 0)
		}
		mu.Unlock()
		return nil
	})
	for _, t := range o.Types {
		do(string(t)+" allocations", func() error {
			var list []Allocation
			err := c.StreamAllocationPolicyFields(ctx, t.Kind(), qrs.ListOptions{}, func(a qrs.AllocationPolicyFields) error {
				al := Allocation{ID: a.ID, Type: t, Created: a.CreatedDate.Time, Quarantined: a.Quarantined}
				if !a.LastUsed.IsNever() {
					al.LastUsed = a.LastUsed.Time
				}
				if a.User != nil && a.User.ID != "" {
					al.UserID = a.User.ID
				} else if a.DeletedUserID != "" {
					al.DeletedUser = a.DeletedUserDirectory + `\` + a.DeletedUserID
				}
				list = append(list, al)
				return nil
			})
			mu.Lock()
			in.Allocations = append(in.Allocations, list...)
			in.Source.Allocations[t] = len(list)
			mu.Unlock()
			return err
		})
	}
	do("the users", func() error {
		users := map[string]*User{}
		err := c.StreamUserPolicyFields(ctx, qrs.ListOptions{}, func(u qrs.UserPolicyFields) error {
			users[strings.ToLower(u.ID)] = convertUser(u)
			return nil
		})
		mu.Lock()
		in.Users = users
		in.Source.Users = len(users)
		mu.Unlock()
		return err
	})
	if o.Authoring {
		since := qrs.ListOptions{Filter: "modifiedDate ge '" + o.Now.UTC().AddDate(0, 0, -o.AuthoringDays).Format("2006-01-02T15:04:05.000Z") + "'"}
		do("the app objects", func() error {
			n := 0
			owners := map[string]bool{}
			err := c.StreamAppObjects(ctx, since, func(a qrs.AppObject) error {
				n++
				if a.Owner != nil {
					owners[strings.ToLower(a.Owner.ID)] = true
				}
				return nil
			})
			mu.Lock()
			for k := range owners {
				in.Authors[k] = true
			}
			in.Source.AppObjects = n
			mu.Unlock()
			return err
		})
		do("the apps", func() error {
			owners := map[string]bool{}
			err := c.StreamApps(ctx, since, func(a qrs.App) error {
				if a.Owner != nil {
					owners[strings.ToLower(a.Owner.ID)] = true
				}
				return nil
			})
			mu.Lock()
			for k := range owners {
				in.Authors[k] = true
			}
			mu.Unlock()
			return err
		})
	}
	wg.Wait()
	in.Source.Requests = int(requests.Load())
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return in, nil
}

func convertUser(u qrs.UserPolicyFields) *User {
	out := &User{ID: u.ID, UserID: u.UserID, Directory: u.UserDirectory, Name: u.Name, Roles: u.Roles,
		Inactive: u.Inactive, Blocked: u.Blacklisted, RemovedExternally: u.RemovedExternally}
	for _, t := range u.Tags {
		out.Tags = append(out.Tags, t.Name)
	}
	for _, cp := range u.CustomProperties {
		out.Properties = append(out.Properties, PropertyRule{Name: cp.Definition.Name, Value: cp.Value})
	}
	return out
}
