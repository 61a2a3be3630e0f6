package qrs

// ExecutionResultDetail is one line of an execution's history ("Changing task state from Started
// to FinishedFail"). The condensed form lacks the Meta dates, which then stay zero.
type ExecutionResultDetail struct {
	ID                 string      `json:"id"`
	CreatedDate        Time        `json:"createdDate"`
	ModifiedDate       Time        `json:"modifiedDate"`
	ModifiedByUserName string      `json:"modifiedByUserName"`
	SchemaPath         string      `json:"schemaPath"`
	Privileges         []string    `json:"privileges"`
	DetailsType        DetailsType `json:"detailsType"`
	Message            string      `json:"message"`
	DetailCreatedDate  Time        `json:"detailCreatedDate"`
}

// ExecutionResultCondensed is operational.lastExecutionResult of a task.
type ExecutionResultCondensed struct {
	ID                string              `json:"id"`
	Privileges        []string            `json:"privileges"`
	ExecutingNodeName string              `json:"executingNodeName"`
	Status            TaskExecutionStatus `json:"status"`
	StartTime         Time                `json:"startTime"`
	StopTime          Time                `json:"stopTime"`
	// Duration is in milliseconds.
	Duration int64 `json:"duration"`
	// FileReferenceID is the null GUID when there is no script log (deprecated in newer Swagger
	// but still needed for the older script-log call).
	FileReferenceID string `json:"fileReferenceID"`
	// ScriptLogAvailable is false in real samples even when a log exists: do not rely on it.
	ScriptLogAvailable bool                    `json:"scriptLogAvailable"`
	Details            []ExecutionResultDetail `json:"details"`
	ScriptLogLocation  string                  `json:"scriptLogLocation"`
	ScriptLogSize      int64                   `json:"scriptLogSize"`
}

// ExecutionResult is a full execution result (GET /qrs/executionresult/full).
type ExecutionResult struct {
	ExecutionResultCondensed
	CreatedDate        Time   `json:"createdDate"`
	ModifiedDate       Time   `json:"modifiedDate"`
	ModifiedByUserName string `json:"modifiedByUserName"`
	SchemaPath         string `json:"schemaPath"`
	TaskID             string `json:"taskID"`
	// ExecutionID is the execution session id returned by StartTaskSynchronous.
	ExecutionID     string `json:"executionID"`
	AppID           string `json:"appID"`
	ExecutingNodeID string `json:"executingNodeID"`
}

// TaskOperational is the operational part of a task: its last execution and next scheduled run
// (the 1753 sentinel when nothing is scheduled).
type TaskOperational struct {
	ID                  string                    `json:"id"`
	Privileges          []string                  `json:"privileges"`
	LastExecutionResult *ExecutionResultCondensed `json:"lastExecutionResult"`
	NextExecution       Time                      `json:"nextExecution"`
}

// ReloadTask is a full reload task (GET /qrs/reloadtask/full, /qrs/reloadtask/{id}).
type ReloadTask struct {
	Meta
	CustomProperties    []CustomPropertyValue `json:"customProperties"`
	Name                string                `json:"name"`
	TaskType            TaskType              `json:"taskType"`
	Enabled             bool                  `json:"enabled"`
	TaskSessionTimeout  int                   `json:"taskSessionTimeout"`
	MaxRetries          int                   `json:"maxRetries"`
	Tags                []TagCondensed        `json:"tags"`
	App                 *AppCondensed         `json:"app"`
	IsManuallyTriggered bool                  `json:"isManuallyTriggered"`
	Operational         *TaskOperational      `json:"operational"`
	IsPartialReload     bool                  `json:"isPartialReload"`
	TimeToLive          int                   `json:"timeToLive"`
	PreloadNodes        []string              `json:"preloadNodes"`
}

// LastExecution returns the task's last execution result, or nil when the task has none.
func (t *ReloadTask) LastExecution() *ExecutionResultCondensed {
	if t == nil || t.Operational == nil {
		return nil
	}
	return t.Operational.LastExecutionResult
}

// Task is any task from GET /qrs/task/full: reload tasks carry App, user sync tasks
// UserDirectory, external program tasks Path and Parameters.
type Task struct {
	ReloadTask
	UserDirectory *Ref   `json:"userDirectory"`
	Path          string `json:"path"`
	Parameters    string `json:"parameters"`
}

// ExecutionSession is a running execution (GET /qrs/executionsession/{id}); the entity disappears
// (404) once the execution has finished.
type ExecutionSession struct {
	ID                  string                    `json:"id"`
	Privileges          []string                  `json:"privileges"`
	ExecutingNode       *Ref                      `json:"executingNode"`
	ExecutionResult     *ExecutionResultCondensed `json:"executionResult"`
	AbortAt             Time                      `json:"abortAt"`
	AbortReason         Enum                      `json:"abortReason"`
	ReloadTask          *TaskCondensed            `json:"reloadTask"`
	UserSyncTask        *TaskCondensed            `json:"userSyncTask"`
	ExternalProgramTask *TaskCondensed            `json:"externalProgramTask"`
}

// SchemaEventOperational is the operational part of a schema or composite event.
type SchemaEventOperational struct {
	ID             string   `json:"id"`
	Privileges     []string `json:"privileges"`
	TimesTriggered int      `json:"timesTriggered"`
	NextExecution  Time     `json:"nextExecution"`
}

// SchemaEvent is a time-based trigger (GET /qrs/schemaevent/full). Its id is a plain string:
// fixtures written by scripts carry placeholders such as "$schemaEventId".
type SchemaEvent struct {
	Meta
	Name                    string                  `json:"name"`
	Enabled                 bool                    `json:"enabled"`
	EventType               EventType               `json:"eventType"`
	ReloadTask              *TaskCondensed          `json:"reloadTask"`
	UserSyncTask            *TaskCondensed          `json:"userSyncTask"`
	ExternalProgramTask     *TaskCondensed          `json:"externalProgramTask"`
	TimeZone                string                  `json:"timeZone"`
	DaylightSavingTime      Enum                    `json:"daylightSavingTime"`
	StartDate               Time                    `json:"startDate"`
	ExpirationDate          Time                    `json:"expirationDate"`
	SchemaFilterDescription []string                `json:"schemaFilterDescription"`
	IncrementDescription    string                  `json:"incrementDescription"`
	IncrementOption         Enum                    `json:"incrementOption"`
	Operational             *SchemaEventOperational `json:"operational"`
}

// TimeConstraint is the window in which a composite event's rules must all be met.
type TimeConstraint struct {
	Days    int `json:"days"`
	Hours   int `json:"hours"`
	Minutes int `json:"minutes"`
	Seconds int `json:"seconds"`
}

// CompositeRuleOperational is the runtime state of one composite rule.
type CompositeRuleOperational struct {
	ID           string   `json:"id"`
	Privileges   []string `json:"privileges"`
	TimeStamp    Time     `json:"timeStamp"`
	CurrentState Enum     `json:"currentState"`
}

// CompositeRule is one condition of a composite event (ruleState 1 TaskSuccessful, 2 TaskFail).
type CompositeRule struct {
	ID                  string                    `json:"id"`
	Privileges          []string                  `json:"privileges"`
	RuleState           Enum                      `json:"ruleState"`
	ReloadTask          *TaskCondensed            `json:"reloadTask"`
	UserSyncTask        *TaskCondensed            `json:"userSyncTask"`
	ExternalProgramTask *TaskCondensed            `json:"externalProgramTask"`
	Operational         *CompositeRuleOperational `json:"operational"`
}

// CompositeEvent is a task-chain trigger (GET /qrs/compositeevent/full).
type CompositeEvent struct {
	Meta
	Name                string                  `json:"name"`
	Enabled             bool                    `json:"enabled"`
	EventType           EventType               `json:"eventType"`
	TimeConstraint      *TimeConstraint         `json:"timeConstraint"`
	CompositeRules      []CompositeRule         `json:"compositeRules"`
	ReloadTask          *TaskCondensed          `json:"reloadTask"`
	UserSyncTask        *TaskCondensed          `json:"userSyncTask"`
	ExternalProgramTask *TaskCondensed          `json:"externalProgramTask"`
	Operational         *SchemaEventOperational `json:"operational"`
}
