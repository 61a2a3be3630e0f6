package qrs

// About is GET /qrs/about. BuildDate is kept as the US-format string QRS sends
// ("9/20/2013 10:09:00 AM"), because it is not ISO and only ever displayed.
type About struct {
	SchemaPath        string `json:"schemaPath"`
	BuildVersion      string `json:"buildVersion"`
	BuildDate         string `json:"buildDate"`
	DatabaseProvider  string `json:"databaseProvider"`
	NodeType          Enum   `json:"nodeType"`
	SharedPersistence bool   `json:"sharedPersistence"`
	RequiresBootstrap bool   `json:"requiresBootstrap"`
	SingleNodeOnly    bool   `json:"singleNodeOnly"`
}

// UserAttribute is one attribute synchronised from the user directory.
type UserAttribute struct {
	Meta
	AttributeType  string `json:"attributeType"`
	AttributeValue string `json:"attributeValue"`
	ExternalID     string `json:"externalId"`
}

// User is a full user (GET /qrs/user/full). It has no lastUsed: activity lives on allocations.
type User struct {
	Meta
	CustomProperties           []CustomPropertyValue `json:"customProperties"`
	UserID                     string                `json:"userId"`
	UserDirectory              string                `json:"userDirectory"`
	UserDirectoryConnectorName string                `json:"userDirectoryConnectorName"`
	Name                       string                `json:"name"`
	Roles                      []string              `json:"roles"`
	Attributes                 []UserAttribute       `json:"attributes"`
	Inactive                   bool                  `json:"inactive"`
	RemovedExternally          bool                  `json:"removedExternally"`
	Blacklisted                bool                  `json:"blacklisted"`
	DeleteProhibited           bool                  `json:"deleteProhibited"`
	Tags                       []TagCondensed        `json:"tags"`
	Favorites                  []string              `json:"favorites"`
}

// App is a full app (GET /qrs/app/full). PublishTime is the 1753 sentinel when unpublished.
type App struct {
	Meta
	CustomProperties      []CustomPropertyValue `json:"customProperties"`
	Owner                 *UserCondensed        `json:"owner"`
	Name                  string                `json:"name"`
	AppID                 string                `json:"appId"`
	SourceAppID           string                `json:"sourceAppId"`
	TargetAppID           string                `json:"targetAppId"`
	PublishTime           Time                  `json:"publishTime"`
	Published             bool                  `json:"published"`
	Tags                  []TagCondensed        `json:"tags"`
	Description           string                `json:"description"`
	Stream                *StreamCondensed      `json:"stream"`
	FileSize              int64                 `json:"fileSize"`
	LastReloadTime        Time                  `json:"lastReloadTime"`
	Thumbnail             string                `json:"thumbnail"`
	SavedInProductVersion string                `json:"savedInProductVersion"`
	MigrationHash         string                `json:"migrationHash"`
	DynamicColor          string                `json:"dynamicColor"`
	AvailabilityStatus    Enum                  `json:"availabilityStatus"`
	LastDataDistribution  Time                  `json:"lastDataDistribution"`
	StaticByteSize        int64                 `json:"staticByteSize"`
}

// AppObject is a sheet, story, bookmark… (GET /qrs/app/object/full).
type AppObject struct {
	Meta
	ObjectType     string         `json:"objectType"`
	Owner          *UserCondensed `json:"owner"`
	App            *AppCondensed  `json:"app"`
	Name           string         `json:"name"`
	Description    string         `json:"description"`
	EngineObjectID string         `json:"engineObjectId"`
	Published      bool           `json:"published"`
	PublishTime    Time           `json:"publishTime"`
	Approved       bool           `json:"approved"`
	Tags           []TagCondensed `json:"tags"`
}

// DataConnection is GET /qrs/dataconnection/full. Note the wire name "connectionstring" with a
// lower-case s.
type DataConnection struct {
	Meta
	CustomProperties []CustomPropertyValue `json:"customProperties"`
	Owner            *UserCondensed        `json:"owner"`
	Name             string                `json:"name"`
	ConnectionString string                `json:"connectionstring"`
	Type             string                `json:"type"`
	EngineObjectID   string                `json:"engineObjectId"`
	Username         string                `json:"username"`
	// Password is the encrypted text QRS returns; never log it.
	Password     string         `json:"password"`
	LogOn        Enum           `json:"logOn"`
	Architecture Enum           `json:"architecture"`
	Tags         []TagCondensed `json:"tags"`
}

// ServiceStatus is one row of GET /qrs/servicestatus/full.
type ServiceStatus struct {
	Meta
	ServerNodeConfiguration *ServerNodeConfigurationCondensed `json:"serverNodeConfiguration"`
	ServiceType             ServiceType                       `json:"serviceType"`
	ServiceState            ServiceState                      `json:"serviceState"`
	Timestamp               Time                              `json:"timestamp"`
}

// ServerNodeRoleCondensed is a role of a node.
type ServerNodeRoleCondensed struct {
	ID         string   `json:"id"`
	Definition Enum     `json:"definition"`
	Privileges []string `json:"privileges"`
}

// ServerNodeConfiguration is GET /qrs/servernodeconfiguration/full (the condensed list decodes
// into it too, leaving the full-only fields zero).
type ServerNodeConfiguration struct {
	Meta
	CustomProperties        []CustomPropertyValue     `json:"customProperties"`
	Name                    string                    `json:"name"`
	HostName                string                    `json:"hostName"`
	IsCentral               bool                      `json:"isCentral"`
	NodePurpose             Enum                      `json:"nodePurpose"`
	EngineEnabled           bool                      `json:"engineEnabled"`
	ProxyEnabled            bool                      `json:"proxyEnabled"`
	PrintingEnabled         bool                      `json:"printingEnabled"`
	SchedulerEnabled        bool                      `json:"schedulerEnabled"`
	SchedulerReloadEnabled  bool                      `json:"schedulerReloadEnabled"`
	SchedulerPreloadEnabled bool                      `json:"schedulerPreloadEnabled"`
	FailoverCandidate       bool                      `json:"failoverCandidate"`
	Tags                    []TagCondensed            `json:"tags"`
	TemporaryFilePath       string                    `json:"temporaryfilepath"`
	Roles                   []ServerNodeRoleCondensed `json:"roles"`
	ServiceCluster          *Ref                      `json:"serviceCluster"`
}
