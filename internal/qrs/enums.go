package qrs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// decodeEnum decodes a QRS enum. On the wire enums are numbers, but Qlik-CLI output and some
// hand-written fixtures carry the name ("FinishedSuccess"), and QRS POST examples sometimes quote
// numbers ("1"); accepting all three costs nothing and avoids a failed decode of a whole list.
func decodeEnum(data []byte, names []string, what string) (int, error) {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return 0, nil
	}
	if len(data) > 0 && data[0] != '"' {
		n, err := strconv.Atoi(string(data))
		if err != nil {
			return 0, fmt.Errorf("decode %s: %s is not a number or name", what, truncate(string(data), 40))
		}
		return n, nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, fmt.Errorf("decode %s: %w", what, err)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n, nil
	}
	for i, name := range names {
		if strings.EqualFold(name, s) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("decode %s: unknown name %q", what, s)
}

func enumName(names []string, v int, what string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return what + "(" + strconv.Itoa(v) + ")"
}

// TaskExecutionStatus is the state of a task execution (ExecutionResult.status). The numbering is
// the Swagger TaskExecutionStatus enum; many third-party lists stop at 12.
type TaskExecutionStatus int

// TaskExecutionStatus values, numbered as on the wire.
const (
	StatusNeverStarted        TaskExecutionStatus = 0
	StatusTriggered           TaskExecutionStatus = 1
	StatusStarted             TaskExecutionStatus = 2
	StatusQueued              TaskExecutionStatus = 3
	StatusAbortInitiated      TaskExecutionStatus = 4
	StatusAborting            TaskExecutionStatus = 5
	StatusAborted             TaskExecutionStatus = 6
	StatusFinishedSuccess     TaskExecutionStatus = 7
	StatusFinishedFail        TaskExecutionStatus = 8
	StatusSkipped             TaskExecutionStatus = 9
	StatusRetry               TaskExecutionStatus = 10
	StatusError               TaskExecutionStatus = 11
	StatusReset               TaskExecutionStatus = 12
	StatusDistributionQueue   TaskExecutionStatus = 13
	StatusDistributionRunning TaskExecutionStatus = 14
)

var taskExecutionStatusNames = []string{
	"NeverStarted", "Triggered", "Started", "Queued", "AbortInitiated", "Aborting", "Aborted",
	"FinishedSuccess", "FinishedFail", "Skipped", "Retry", "Error", "Reset",
	"DistributionQueue", "DistributionRunning",
}

// String returns the Qlik name of the status, e.g. "FinishedFail".
func (s TaskExecutionStatus) String() string {
	return enumName(taskExecutionStatusNames, int(s), "TaskExecutionStatus")
}

// UnmarshalJSON accepts the wire number, a quoted number or the status name.
func (s *TaskExecutionStatus) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, taskExecutionStatusNames, "task execution status")
	*s = TaskExecutionStatus(n)
	return err
}

// IsFinished reports whether the execution has ended and will not change state again
// (aborted, succeeded, failed, skipped, errored or reset).
func (s TaskExecutionStatus) IsFinished() bool {
	switch s {
	case StatusAborted, StatusFinishedSuccess, StatusFinishedFail, StatusSkipped, StatusError, StatusReset:
		return true
	}
	return false
}

// IsSuccess reports whether the execution finished successfully.
func (s TaskExecutionStatus) IsSuccess() bool { return s == StatusFinishedSuccess }

// IsFailure reports whether the execution ended in failure (FinishedFail or Error).
func (s TaskExecutionStatus) IsFailure() bool { return s == StatusFinishedFail || s == StatusError }

// IsAbort reports whether the execution was aborted or is being aborted.
func (s TaskExecutionStatus) IsAbort() bool {
	return s == StatusAbortInitiated || s == StatusAborting || s == StatusAborted
}

// TaskType is the kind of a task (task.taskType).
type TaskType int

// TaskType values; Preload exists on newer servers only.
const (
	TaskTypeReload          TaskType = 0
	TaskTypeExternalProgram TaskType = 1
	TaskTypeUserSync        TaskType = 2
	TaskTypeDistribute      TaskType = 3
	TaskTypePreload         TaskType = 4
)

var taskTypeNames = []string{"Reload", "ExternalProgram", "UserSync", "Distribute", "Preload"}

// String returns the Qlik name of the task type.
func (t TaskType) String() string { return enumName(taskTypeNames, int(t), "TaskType") }

// UnmarshalJSON accepts the wire number, a quoted number or the type name.
func (t *TaskType) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, taskTypeNames, "task type")
	*t = TaskType(n)
	return err
}

// DetailsType is the severity of an execution result detail line.
type DetailsType int

// DetailsType values.
const (
	DetailsError       DetailsType = 0
	DetailsWarning     DetailsType = 1
	DetailsInformation DetailsType = 2
)

var detailsTypeNames = []string{"Error", "Warning", "Information"}

// String returns the Qlik name of the detail type.
func (d DetailsType) String() string { return enumName(detailsTypeNames, int(d), "DetailsType") }

// UnmarshalJSON accepts the wire number, a quoted number or the name.
func (d *DetailsType) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, detailsTypeNames, "details type")
	*d = DetailsType(n)
	return err
}

// EventType distinguishes schema (time) triggers from composite (task chain) triggers.
type EventType int

// EventType values.
const (
	EventTypeSchema    EventType = 0
	EventTypeComposite EventType = 1
)

var eventTypeNames = []string{"Schema", "Composite"}

// String returns the Qlik name of the event type.
func (e EventType) String() string { return enumName(eventTypeNames, int(e), "EventType") }

// UnmarshalJSON accepts the wire number, a quoted number or the name.
func (e *EventType) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, eventTypeNames, "event type")
	*e = EventType(n)
	return err
}

// ServiceType is the Qlik service a ServiceStatus row describes.
type ServiceType int

var serviceTypeNames = []string{"Repository", "Proxy", "Scheduler", "Engine", "AppMigration", "Printing"}

// String returns the Qlik name of the service type.
func (s ServiceType) String() string { return enumName(serviceTypeNames, int(s), "ServiceType") }

// UnmarshalJSON accepts the wire number, a quoted number or the name.
func (s *ServiceType) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, serviceTypeNames, "service type")
	*s = ServiceType(n)
	return err
}

// ServiceState is the state of a Qlik service (ServiceStatus.serviceState).
type ServiceState int

// ServiceStateRunning is the only healthy state.
const ServiceStateRunning ServiceState = 2

var serviceStateNames = []string{"Initializing", "CertificatesNotInstalled", "Running", "NoCommunication", "Disabled", "Unknown"}

// String returns the Qlik name of the state.
func (s ServiceState) String() string { return enumName(serviceStateNames, int(s), "ServiceState") }

// UnmarshalJSON accepts the wire number, a quoted number or the name.
func (s *ServiceState) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, serviceStateNames, "service state")
	*s = ServiceState(n)
	return err
}

// Enum is a QRS enum the client does not interpret (availabilityStatus, logOn, nodePurpose…).
// It decodes from a number or a quoted number; a name cannot be mapped and decodes to -1.
type Enum int

// UnmarshalJSON accepts a number, a quoted number, or a name (kept as -1, unknown).
func (e *Enum) UnmarshalJSON(data []byte) error {
	n, err := decodeEnum(data, nil, "enum")
	if err != nil && len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '"' {
		*e = -1
		return nil
	}
	*e = Enum(n)
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
