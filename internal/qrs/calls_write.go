package qrs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// ConnectionUpdate is what UpdateDataConnection changes on a data connection.
type ConnectionUpdate struct {
	ConnectionString string
	Username         string
	// Password is sent only when SetPassword is true; QRS never returns a
	// password in clear, so sending back what was read would store the
	// encrypted text as the new password.
	Password    string
	SetPassword bool
}

// UpdateDataConnection sends PUT /qrs/dataconnection/{id} with the entity as
// read (id and modifiedDate unchanged) and the fields of u. QRS answers 409
// when the stored modifiedDate is newer than the one sent (someone changed
// the connection meanwhile; see IsConflict) and 200 with the updated entity.
// Never retried: a PUT that reached the server must not be repeated blindly.
func (c *Client) UpdateDataConnection(ctx context.Context, current DataConnection, u ConnectionUpdate) (*DataConnection, error) {
	if current.ID == "" {
		return nil, fmt.Errorf("update data connection %q: the entity has no id (read it from the QRS first)", current.Name)
	}
	current.ConnectionString = u.ConnectionString
	current.Username = u.Username
	raw, err := json.Marshal(current)
	if err != nil {
		return nil, fmt.Errorf("update data connection %s: %w", current.Name, err)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("update data connection %s: %w", current.Name, err)
	}
	delete(body, "password")
	if u.SetPassword {
		pw, _ := json.Marshal(u.Password)
		body["password"] = pw
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("update data connection %s: %w", current.Name, err)
	}
	var out DataConnection
	if err := c.doJSON(ctx, request{method: http.MethodPut, path: "dataconnection/" + esc(current.ID), body: data}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddAllocation allocates an access type to a user: POST
// /qrs/license/{kind}accesstype with {"user":{"id":...}} (201 with the new
// allocation). QRS refuses when no seat of that type is free.
func (c *Client) AddAllocation(ctx context.Context, kind AccessTypeKind, userID string) (*LicenseAccessType, error) {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, fmt.Errorf("allocate %s access: empty user id", kind)
	}
	body, _ := json.Marshal(map[string]any{"user": map[string]string{"id": userID}})
	var out LicenseAccessType
	if err := c.doJSON(ctx, request{method: http.MethodPost, path: "license/" + string(kind) + "accesstype", body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsConflict reports whether QRS answered 409: a PUT with a stale
// modifiedDate, or an allocation the user already has.
func IsConflict(err error) bool { return IsStatus(err, http.StatusConflict) }

// UserPolicyFields is the part of a full user a release policy reads:
// identity, roles, tags, custom properties and the QMC flags. Decoding only
// these keeps a bulk read of 100k users cheap (no dates, no attributes).
type UserPolicyFields struct {
	ID                string   `json:"id"`
	UserID            string   `json:"userId"`
	UserDirectory     string   `json:"userDirectory"`
	Name              string   `json:"name"`
	Roles             []string `json:"roles"`
	Inactive          bool     `json:"inactive"`
	RemovedExternally bool     `json:"removedExternally"`
	Blacklisted       bool     `json:"blacklisted"`
	Tags              []struct {
		Name string `json:"name"`
	} `json:"tags"`
	CustomProperties []struct {
		Value      string `json:"value"`
		Definition struct {
			Name string `json:"name"`
		} `json:"definition"`
	} `json:"customProperties"`
}

// StreamUserPolicyFields streams GET /qrs/user/full decoding only the
// fields of UserPolicyFields.
func (c *Client) StreamUserPolicyFields(ctx context.Context, opts ListOptions, fn func(UserPolicyFields) error) error {
	return Stream(ctx, c, "user/full", opts, fn)
}

// AllocationPolicyFields is the part of a per-user allocation a release
// plan reads; decoding only these keeps a bulk read of 100k allocations cheap.
type AllocationPolicyFields struct {
	ID          string `json:"id"`
	CreatedDate Time   `json:"createdDate"`
	LastUsed    Time   `json:"lastUsed"`
	Quarantined bool   `json:"quarantined"`
	User        *struct {
		ID string `json:"id"`
	} `json:"user"`
	DeletedUserID        string `json:"deletedUserId"`
	DeletedUserDirectory string `json:"deletedUserDirectory"`
}

// StreamAllocationPolicyFields streams GET /qrs/license/{kind}accesstype/full
// decoding only the fields of AllocationPolicyFields.
func (c *Client) StreamAllocationPolicyFields(ctx context.Context, kind AccessTypeKind, opts ListOptions, fn func(AllocationPolicyFields) error) error {
	if err := kind.check(KindProfessional, KindAnalyzer, KindUser); err != nil {
		return err
	}
	return Stream(ctx, c, "license/"+string(kind)+"accesstype/full", opts, fn)
}
