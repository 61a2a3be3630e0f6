package qrs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// AccessTypeKind names a license allocation/usage family; it is the prefix of the QRS path
// (/qrs/license/{kind}accesstype, /qrs/license/{kind}accessusage).
type AccessTypeKind string

// Allocation kinds.
const (
	KindProfessional AccessTypeKind = "professional"
	KindAnalyzer     AccessTypeKind = "analyzer"
	KindUser         AccessTypeKind = "user"
	KindLogin        AccessTypeKind = "login"
	KindAnalyzerTime AccessTypeKind = "analyzertime"
)

func (k AccessTypeKind) check(allowed ...AccessTypeKind) error {
	for _, a := range allowed {
		if k == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Errorf("unknown license access type %q: use one of %s", string(k), strings.Join(names, ", "))
}

func esc(id string) string { return url.PathEscape(id) }

// About returns GET /qrs/about.
func (c *Client) About(ctx context.Context) (*About, error) {
	var a About
	if err := c.get(ctx, "about", nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// License returns GET /qrs/license (the single site license).
func (c *Client) License(ctx context.Context) (*License, error) {
	var l License
	if err := c.get(ctx, "license", nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// AccessTypeOverview returns GET /qrs/license/accesstypeoverview.
func (c *Client) AccessTypeOverview(ctx context.Context) (*AccessTypeOverview, error) {
	var o AccessTypeOverview
	if err := c.get(ctx, "license/accesstypeoverview", nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// StreamAccessTypes streams the full per-user allocations of kind professional, analyzer or user
// (GET /qrs/license/{kind}accesstype/full).
func (c *Client) StreamAccessTypes(ctx context.Context, kind AccessTypeKind, opts ListOptions, fn func(LicenseAccessType) error) error {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser); err != nil {
		return err
	}
	return Stream(ctx, c, "license/"+string(kind)+"accesstype/full", opts, fn)
}

// AccessTypes lists the full per-user allocations of kind professional, analyzer or user.
func (c *Client) AccessTypes(ctx context.Context, kind AccessTypeKind, opts ListOptions) ([]LicenseAccessType, error) {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser); err != nil {
		return nil, err
	}
	return list[LicenseAccessType](ctx, c, "license/"+string(kind)+"accesstype/full", opts)
}

// ProfessionalAccessTypes lists professional allocations.
func (c *Client) ProfessionalAccessTypes(ctx context.Context, opts ListOptions) ([]LicenseAccessType, error) {
	return c.AccessTypes(ctx, KindProfessional, opts)
}

// AnalyzerAccessTypes lists analyzer allocations.
func (c *Client) AnalyzerAccessTypes(ctx context.Context, opts ListOptions) ([]LicenseAccessType, error) {
	return c.AccessTypes(ctx, KindAnalyzer, opts)
}

// UserAccessTypes lists token user access pass allocations.
func (c *Client) UserAccessTypes(ctx context.Context, opts ListOptions) ([]LicenseAccessType, error) {
	return c.AccessTypes(ctx, KindUser, opts)
}

// LoginAccessTypes lists login access pass groups.
func (c *Client) LoginAccessTypes(ctx context.Context, opts ListOptions) ([]LoginAccessType, error) {
	return list[LoginAccessType](ctx, c, "license/loginaccesstype/full", opts)
}

// AnalyzerTimeAccessTypes lists analyzer capacity pools.
func (c *Client) AnalyzerTimeAccessTypes(ctx context.Context, opts ListOptions) ([]AnalyzerTimeAccessType, error) {
	return list[AnalyzerTimeAccessType](ctx, c, "license/analyzertimeaccesstype/full", opts)
}

// StreamAccessUsage streams GET /qrs/license/{kind}accessusage/full for any kind.
func (c *Client) StreamAccessUsage(ctx context.Context, kind AccessTypeKind, opts ListOptions, fn func(AccessUsage) error) error {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser, KindLogin, KindAnalyzerTime); err != nil {
		return err
	}
	return Stream(ctx, c, "license/"+string(kind)+"accessusage/full", opts, fn)
}

// AccessUsage lists GET /qrs/license/{kind}accessusage/full.
func (c *Client) AccessUsage(ctx context.Context, kind AccessTypeKind, opts ListOptions) ([]AccessUsage, error) {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser, KindLogin, KindAnalyzerTime); err != nil {
		return nil, err
	}
	return list[AccessUsage](ctx, c, "license/"+string(kind)+"accessusage/full", opts)
}

// DeleteAllocation releases an allocation: DELETE /qrs/license/{kind}accesstype/{id}. QRS answers
// 204 and may keep the row as quarantined.
func (c *Client) DeleteAllocation(ctx context.Context, kind AccessTypeKind, id string) error {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("delete %s allocation: empty id", kind)
	}
	return c.doJSON(ctx, request{method: http.MethodDelete, path: "license/" + string(kind) + "accesstype/" + esc(id)}, nil)
}

// StreamUsers streams GET /qrs/user/full.
func (c *Client) StreamUsers(ctx context.Context, opts ListOptions, fn func(User) error) error {
	return Stream(ctx, c, "user/full", opts, fn)
}

// Users lists GET /qrs/user/full.
func (c *Client) Users(ctx context.Context, opts ListOptions) ([]User, error) {
	return list[User](ctx, c, "user/full", opts)
}

// User returns GET /qrs/user/{id}.
func (c *Client) User(ctx context.Context, id string) (*User, error) {
	var u User
	if err := c.get(ctx, "user/"+esc(id), nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// StreamApps streams GET /qrs/app/full.
func (c *Client) StreamApps(ctx context.Context, opts ListOptions, fn func(App) error) error {
	return Stream(ctx, c, "app/full", opts, fn)
}

// Apps lists GET /qrs/app/full, e.g. Filter "name eq 'License Monitor'". A filtered
// list is a lookup and bounded as a small list (Limits.List).
func (c *Client) Apps(ctx context.Context, opts ListOptions) ([]App, error) {
	if opts.Filter != "" {
		return smallList[App](ctx, c, "app/full", opts)
	}
	return list[App](ctx, c, "app/full", opts)
}

// App returns GET /qrs/app/{id}.
func (c *Client) App(ctx context.Context, id string) (*App, error) {
	var a App
	if err := c.get(ctx, "app/"+esc(id), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// StreamAppObjects streams GET /qrs/app/object/full.
func (c *Client) StreamAppObjects(ctx context.Context, opts ListOptions, fn func(AppObject) error) error {
	return Stream(ctx, c, "app/object/full", opts, fn)
}

// AppObjects lists GET /qrs/app/object/full.
func (c *Client) AppObjects(ctx context.Context, opts ListOptions) ([]AppObject, error) {
	return list[AppObject](ctx, c, "app/object/full", opts)
}

// DataConnections lists GET /qrs/dataconnection/full, e.g. Filter "name sw 'monitor_apps_REST_'".
func (c *Client) DataConnections(ctx context.Context, opts ListOptions) ([]DataConnection, error) {
	return smallList[DataConnection](ctx, c, "dataconnection/full", opts)
}

// ServiceStatus lists GET /qrs/servicestatus/full.
func (c *Client) ServiceStatus(ctx context.Context, opts ListOptions) ([]ServiceStatus, error) {
	return smallList[ServiceStatus](ctx, c, "servicestatus/full", opts)
}

// ServerNodeConfigurations lists GET /qrs/servernodeconfiguration/full.
func (c *Client) ServerNodeConfigurations(ctx context.Context, opts ListOptions) ([]ServerNodeConfiguration, error) {
	return smallList[ServerNodeConfiguration](ctx, c, "servernodeconfiguration/full", opts)
}

// Count returns GET /qrs/{entityPath}/count?filter=, e.g. Count(ctx, "license/professionalaccesstype", "").
func (c *Client) Count(ctx context.Context, entityPath, filter string) (int, error) {
	entityPath = strings.Trim(strings.TrimPrefix(strings.TrimPrefix(entityPath, "/"), "qrs/"), "/")
	if entityPath == "" {
		return 0, fmt.Errorf("count: empty entity path, e.g. license/professionalaccesstype")
	}
	var res CountResult
	if err := c.get(ctx, entityPath+"/count", ListOptions{Filter: filter}.params(), &res); err != nil {
		return 0, err
	}
	return res.Value, nil
}
