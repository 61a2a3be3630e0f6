package qrs

// Meta holds the fields every full QRS entity carries. It is embedded so entity types decode the
// flat JSON object directly.
type Meta struct {
	ID                 string   `json:"id"`
	CreatedDate        Time     `json:"createdDate"`
	ModifiedDate       Time     `json:"modifiedDate"`
	ModifiedByUserName string   `json:"modifiedByUserName"`
	SchemaPath         string   `json:"schemaPath"`
	Privileges         []string `json:"privileges"`
}

// Ref is a condensed reference to another entity ({id, name, privileges}): streams, service
// clusters, analyzer-time pools, scheduler services, user directories.
type Ref struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Privileges []string `json:"privileges"`
}

// UserCondensed is the condensed user object embedded in allocations, apps and usage rows.
type UserCondensed struct {
	ID                         string   `json:"id"`
	UserID                     string   `json:"userId"`
	UserDirectory              string   `json:"userDirectory"`
	UserDirectoryConnectorName string   `json:"userDirectoryConnectorName"`
	Name                       string   `json:"name"`
	Privileges                 []string `json:"privileges"`
}

// TagCondensed is a tag reference on an entity.
type TagCondensed = Ref

// StreamCondensed is a stream reference on an app (null when the app is unpublished).
type StreamCondensed = Ref

// CustomPropertyDefinitionCondensed describes a custom property.
type CustomPropertyDefinitionCondensed struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	ValueType    string   `json:"valueType"`
	ChoiceValues []string `json:"choiceValues"`
	Privileges   []string `json:"privileges"`
}

// CustomPropertyValue is one custom property value on an entity.
type CustomPropertyValue struct {
	Meta
	Value      string                            `json:"value"`
	Definition CustomPropertyDefinitionCondensed `json:"definition"`
}

// AppCondensed is the condensed app (GET /qrs/app, and the app of a reload task or app object).
type AppCondensed struct {
	ID                    string           `json:"id"`
	Name                  string           `json:"name"`
	AppID                 string           `json:"appId"`
	PublishTime           Time             `json:"publishTime"`
	Published             bool             `json:"published"`
	Stream                *StreamCondensed `json:"stream"`
	SavedInProductVersion string           `json:"savedInProductVersion"`
	MigrationHash         string           `json:"migrationHash"`
	AvailabilityStatus    Enum             `json:"availabilityStatus"`
	Privileges            []string         `json:"privileges"`
}

// TaskCondensed is the condensed task reference on events and execution sessions.
type TaskCondensed struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	TaskType   TaskType `json:"taskType"`
	Enabled    bool     `json:"enabled"`
	Privileges []string `json:"privileges"`
}

// ServerNodeConfigurationCondensed is the condensed node reference (also the /qrs/servernodeconfiguration list).
type ServerNodeConfigurationCondensed struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	HostName          string   `json:"hostName"`
	TemporaryFilePath string   `json:"temporaryfilepath"`
	ServiceCluster    *Ref     `json:"serviceCluster"`
	Privileges        []string `json:"privileges"`
}

// CountResult is the body of GET /qrs/{type}/count.
type CountResult struct {
	Value int `json:"value"`
}
