package qrs

// License is GET /qrs/license: the site's single license object.
type License struct {
	Meta
	LEF             string `json:"lef"`
	Serial          string `json:"serial"`
	Check           string `json:"check"`
	Key             string `json:"key"`
	KeyDetails      string `json:"keyDetails"`
	Name            string `json:"name"`
	Organization    string `json:"organization"`
	Product         Enum   `json:"product"`
	NumberOfCores   int    `json:"numberOfCores"`
	IsExpired       bool   `json:"isExpired"`
	ExpiredReason   string `json:"expiredReason"`
	IsBlacklisted   bool   `json:"isBlacklisted"`
	IsInvalid       bool   `json:"isInvalid"`
	IsSubscription  bool   `json:"isSubscription"`
	IsCloudServices bool   `json:"isCloudServices"`
	IsElastic       bool   `json:"isElastic"`
	Updated         Time   `json:"updated"`
}

// AccessTypeOverview is GET /qrs/license/accesstypeoverview.
type AccessTypeOverview struct {
	SchemaPath         string             `json:"schemaPath"`
	TotalTokens        int                `json:"totalTokens"`
	AvailableTokens    int                `json:"availableTokens"`
	TokensEnabled      bool               `json:"tokensEnabled"`
	UserAccess         UserAccessDetails  `json:"userAccess"`
	LoginAccess        LoginAccessDetails `json:"loginAccess"`
	ProfessionalAccess AccessTypeDetails  `json:"professionalAccess"`
	AnalyzerAccess     AccessTypeDetails  `json:"analyzerAccess"`
	// AnalyzerTimeAccess is nil when the server predates analyzer capacity (the classic
	// documentation example omits it), so callers can tell "absent" from "disabled".
	AnalyzerTimeAccess *AnalyzerTimeAccessDetails `json:"analyzerTimeAccess"`
}

// UserAccessDetails is AccessTypeOverview.userAccess (token user access passes).
type UserAccessDetails struct {
	Enabled           bool    `json:"enabled"`
	TokenCost         float64 `json:"tokenCost"`
	AllocatedTokens   int     `json:"allocatedTokens"`
	UsedTokens        int     `json:"usedTokens"`
	QuarantinedTokens int     `json:"quarantinedTokens"`
	SchemaPath        string  `json:"schemaPath"`
}

// LoginAccessDetails is AccessTypeOverview.loginAccess (token login access passes).
type LoginAccessDetails struct {
	Enabled           bool    `json:"enabled"`
	TokenCost         float64 `json:"tokenCost"`
	AllocatedTokens   int     `json:"allocatedTokens"`
	UsedTokens        int     `json:"usedTokens"`
	UnavailableTokens int     `json:"unavailableTokens"`
	SchemaPath        string  `json:"schemaPath"`
}

// AccessTypeDetails is AccessTypeOverview.professionalAccess / analyzerAccess.
type AccessTypeDetails struct {
	Enabled     bool   `json:"enabled"`
	Total       int    `json:"total"`
	Allocated   int    `json:"allocated"`
	Used        int    `json:"used"`
	Quarantined int    `json:"quarantined"`
	Excess      int    `json:"excess"`
	Available   int    `json:"available"`
	SchemaPath  string `json:"schemaPath"`
}

// AnalyzerTimeAccessDetails is AccessTypeOverview.analyzerTimeAccess (analyzer capacity minutes).
type AnalyzerTimeAccessDetails struct {
	Enabled            bool   `json:"enabled"`
	AllocatedMinutes   int    `json:"allocatedMinutes"`
	UsedMinutes        int    `json:"usedMinutes"`
	UnavailableMinutes int    `json:"unavailableMinutes"`
	SchemaPath         string `json:"schemaPath"`
}

// LicenseAccessType is one per-user allocation: LicenseProfessionalAccessType,
// LicenseAnalyzerAccessType or LicenseUserAccessType (the latter has no excess field, which then
// decodes as false). The condensed lists carry only id and privileges.
type LicenseAccessType struct {
	Meta
	// User is nil for an allocation whose user was deleted; DeletedUserID/Directory then name it.
	User                 *UserCondensed `json:"user"`
	LastUsed             Time           `json:"lastUsed"`
	Excess               bool           `json:"excess"`
	Quarantined          bool           `json:"quarantined"`
	QuarantineEnd        Time           `json:"quarantineEnd"`
	DeletedUserID        string         `json:"deletedUserId"`
	DeletedUserDirectory string         `json:"deletedUserDirectory"`
}

// LoginAccessType is a login access pass group (GET /qrs/license/loginaccesstype/full).
type LoginAccessType struct {
	Meta
	Name                 string `json:"name"`
	UsedAccessTypes      int    `json:"usedAccessTypes"`
	RemainingAccessTypes int    `json:"remainingAccessTypes"`
	AssignedAccessTypes  int    `json:"assignedAccessTypes"`
	AssignedTokens       int    `json:"assignedTokens"`
}

// AnalyzerTimeAccessType is an analyzer capacity pool (GET /qrs/license/analyzertimeaccesstype/full).
type AnalyzerTimeAccessType struct {
	Meta
	Name             string `json:"name"`
	UsedMinutes      int    `json:"usedMinutes"`
	RemainingMinutes int    `json:"remainingMinutes"`
	AssignedMinutes  int    `json:"assignedMinutes"`
	AssignedUnits    int    `json:"assignedUnits"`
}

// AccessUsageSession is one session inside a login or analyzer-time usage row.
type AccessUsageSession struct {
	Meta
	LatestActivity            Time   `json:"latestActivity"`
	SessionID                 string `json:"sessionID"`
	ServerNodeConfigurationID string `json:"serverNodeConfigurationId"`
}

// AccessUsage is a usage row from any of the license usage endpoints
// (professional/analyzer/user/login/analyzertime access usage). Only the reference field that
// matches the endpoint is set.
type AccessUsage struct {
	Meta
	UseStartTime              Time                 `json:"useStartTime"`
	UseStopTime               Time                 `json:"useStopTime"`
	LatestActivity            Time                 `json:"latestActivity"`
	HostName                  string               `json:"hostName"`
	ServerNodeConfigurationID string               `json:"serverNodeConfigurationId"`
	SessionID                 string               `json:"sessionID"`
	User                      *UserCondensed       `json:"user"`
	Sessions                  []AccessUsageSession `json:"sessions"`
	ProfessionalAccessType    *Ref                 `json:"professionalAccessType"`
	AnalyzerAccessType        *Ref                 `json:"analyzerAccessType"`
	UserAccessType            *Ref                 `json:"userAccessType"`
	LoginAccessType           *Ref                 `json:"loginAccessType"`
	AnalyzerTimeAccessType    *Ref                 `json:"analyzerTimeAccessType"`
}
