package sim

import (
	"sync/atomic"
	"time"
)

// Enum name tables (index = numeric value) as in the QRS about/api/enums.
var (
	enumTaskStatus = []string{"NeverStarted", "Triggered", "Started", "Queued", "AbortInitiated", "Aborting", "Aborted",
		"FinishedSuccess", "FinishedFail", "Skipped", "Retry", "Error", "Reset", "DistributionQueue", "DistributionRunning"}
	enumTaskType     = []string{"Reload", "ExternalProgram", "UserSync", "Distribute", "Preload"}
	enumDetailsType  = []string{"Error", "Warning", "Information"}
	enumEventType    = []string{"Schema", "Composite"}
	enumIncrement    = []string{"Once", "Hourly", "Daily", "Weekly", "Monthly", "Custom"}
	enumServiceType  = []string{"Repository", "Proxy", "Scheduler", "Engine", "AppMigration", "Printing"}
	enumServiceState = []string{"Initializing", "CertificatesNotInstalled", "Running", "NoCommunication", "Disabled", "Unknown"}
	enumNodePurpose  = []string{"Production", "Development", "ProductionAndDevelopment"}
	enumLogOn        = []string{"LOG_ON_SERVICE_USER", "LOG_ON_CURRENT_USER"}
	enumArchitecture = []string{"Undefined", "x86", "x64"}
	enumAvailability = []string{"NotApplicable", "Available", "Unavailable"}
	enumNodeType     = []string{"Undefined", "Central", "Rim"}
	enumProduct      = []string{"Platform", "Enterprise", "Standard"}
	enumAbortReason  = []string{"Undefined", "Manual", "Timeout", "DeletedTask"}
	enumRuleState    = []string{"Undefined", "TaskSuccessful", "TaskFail"}
	enumDaylight     = []string{"ObserveDaylightSavingTime", "PermanentStandardTime", "PermanentDaylightSavingTime"}
)

// Task execution statuses used by the simulator.
const (
	StatusNeverStarted    = 0
	StatusTriggered       = 1
	StatusStarted         = 2
	StatusAborted         = 6
	StatusFinishedSuccess = 7
	StatusFinishedFail    = 8
)

// AccessType names an allocation type.
type AccessType int

// The per-user allocation types.
const (
	Professional AccessType = iota
	Analyzer
	UserAccess // token-based user access pass
)

// String returns "professional", "analyzer" or "user".
func (a AccessType) String() string {
	return [...]string{"professional", "analyzer", "user"}[a]
}

func (a AccessType) schemaPath() string {
	return [...]string{"License.ProfessionalAccessType", "License.AnalyzerAccessType", "License.UserAccessType"}[a]
}

// userKind is what a simulated directory user is licensed for.
type userKind uint8

const (
	kindProfessional userKind = iota
	kindAnalyzer
	kindCapacity
	kindNone
)

// User is a QRS user plus the simulator's behaviour model for it.
type User struct {
	ID, UserID, Dir, Name         string
	Created, Modified             time.Time
	Inactive, RemovedExternally   bool
	Blacklisted, DeleteProhibited bool
	Roles                         []string
	Tags                          []*Tag
	Props                         []propValue
	ModifiedBy                    string
	service                       bool
	kind                          userKind
	joined, left                  time.Time // left zero while employed
	rate                          float64   // sessions per weekday
	author                        bool      // creates app objects
	lastActive                    time.Time
	capacityMinutesThisMonth      int
	alloc                         *Alloc
	deniedSince                   time.Time // first denial of the current wait; zero when not waiting
	held                          *Alloc    // the user's own allocation while it is in quarantine
}

type propValue struct {
	ID    string
	Def   *PropDef
	Value string
}

// Tag is a QRS tag.
type Tag struct {
	ID, Name string
	Created  time.Time
}

// PropDef is a custom property definition.
type PropDef struct {
	ID, Name    string
	Choices     []string
	ObjectTypes []string
	Created     time.Time
}

// Alloc is a professional, analyzer or user-access allocation.
type Alloc struct {
	ID                        string
	Type                      AccessType
	User                      *User
	Created, Modified         time.Time
	LastUsed                  time.Time
	Quarantined, Excess       bool
	QuarantineEnd             time.Time
	DeletedUserID, DeletedDir string
	ModifiedBy                string
}

// Stream is a QRS stream.
type Stream struct {
	ID, Name string
	Created  time.Time
	Owner    *User
}

// App is a QRS app.
type App struct {
	ID, Name          string
	Owner             *User
	Stream            *Stream
	Created, Modified time.Time
	PublishTime       time.Time
	Published         bool
	LastReload        time.Time
	FileSize          int64
	Version           string
	ModifiedBy        string
	Description       string
}

// AppObject is a sheet, story, bookmark or master item.
type AppObject struct {
	ID, EngineID, Name, ObjectType string
	App                            *App
	Owner                          *User
	Created, Modified              time.Time
	Published, Approved            bool
	PublishTime                    time.Time
}

// DataConnection is a QRS data connection.
type DataConnection struct {
	ID, Name, ConnStr, Type, Username string
	Owner                             *User
	Created, Modified                 time.Time
	LogOn                             int
	password                          string // never rendered: QRS does not return it
}

// Task is a reload task (taskType 0) or another task type in /qrs/task.
type Task struct {
	ID, Name, OperationalID string
	TaskType                int
	App                     *App
	Enabled                 bool
	SessionTimeout          int
	MaxRetries              int
	Created, Modified       time.Time
	ModifiedBy              string
	Tags                    []*Tag
	Last                    *ExecResult
	NextExecution           time.Time
	UserDirectory           string        // user sync tasks
	Results                 []*ExecResult // oldest first, capped
	Trigger                 *SchemaEvent
	outcome                 Outcome
	runsLeft                int // runs the outcome still applies to; <0 = forever
}

// SchemaEvent is a scheduled trigger.
type SchemaEvent struct {
	ID, Name, OperationalID string
	Task                    *Task
	Enabled                 bool
	Increment               int // incrementOption
	IncrementDescription    string
	Every                   time.Duration
	StartDate               time.Time
	Created, Modified       time.Time
	TimesTriggered          int
}

// CompositeEvent is a task-chain trigger ("run B when A succeeded").
type CompositeEvent struct {
	ID, Name, OperationalID string
	Task, After             *Task
	Enabled                 bool
	Created, Modified       time.Time
}

// ExecResult is one execution of a task.
type ExecResult struct {
	ID, ExecutionID, FileRefID string
	Task                       *Task
	Status                     int
	Start, Stop                time.Time
	Details                    []Detail
	ScriptLogLocation          string
	NodeName                   string
	failure                    string // failure kind for the script log
	logPath                    string // scenario-supplied script log on disk
	counts                     logCounts
	oldFormat                  bool
	logSize                    atomic.Int64 // computed on first use: generating every log at build time is slow
}

// Detail is an execution result detail line.
type Detail struct {
	ID      string
	Type    int
	Message string
	Created time.Time
}

// session is a running execution.
type session struct {
	ID     string
	Task   *Task
	Result *ExecResult
	EndsAt time.Time
	// final is the run as it ends, for a run whose end was drawn when it
	// started (scheduled runs); nil for API starts, which end at EndsAt.
	final *runEnd
}

// runEnd is how a run whose end was drawn at its start ends.
type runEnd struct {
	status  int
	stop    time.Time
	details []Detail
}

// logCounts are row counts the License Monitor script log reports.
type logCounts struct {
	Users, Professional, Analyzer, UserAccess, Login, Apps, Tasks int
}
