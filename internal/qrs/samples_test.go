package qrs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/samples"
)

const samplesDir = "../../../shared/samples/qrs"

func sampleFiles(t *testing.T) []string {
	t.Helper()
	samples.Require(t, samplesDir)
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no QRS samples in %s: %v", samplesDir, err)
	}
	return files
}

// strictDecode decodes with unknown fields rejected, proving every field in the sample has a
// matching, correctly spelled field in the client type.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func TestSamplesDecodeIntoClientTypes(t *testing.T) {
	targets := map[string]func() any{
		"about.qrspy_2017.json":                             func() any { return new(About) },
		"accesstypeoverview.qlikdoc_classic_example.json":   func() any { return new(AccessTypeOverview) },
		"accesstypeoverview.swagger_example.json":           func() any { return new(AccessTypeOverview) },
		"analyzertimeaccessusage_full.swagger_example.json": func() any { return new([]AccessUsage) },
		"app_condensed_list.qrspy_2017.json":                func() any { return new([]App) },
		"loginaccesstype_condensed.qrspy_2017.json":         func() any { return new([]LoginAccessType) },
		"professionalaccesstype_full.swagger_example.json":  func() any { return new([]LicenseAccessType) },
		"schemaevent_condensed_item.fragment.json":          func() any { return new(SchemaEvent) },
		"servernodeconfiguration_condensed.qrspy_2017.json": func() any { return new([]ServerNodeConfiguration) },
		"user_condensed_list.qrspy_2017.json":               func() any { return new([]User) },
		"useraccesstype_condensed.qrspy_2017.json":          func() any { return new([]LicenseAccessType) },
		"useraccesstype_full.swagger_example.json":          func() any { return new([]LicenseAccessType) },
		"reloadtask_full_item.qlikcli_formatted.json":       nil, // not wire format: see TestQlikCLIFormattedReloadTask
	}
	decoded := map[string]any{}
	for _, f := range sampleFiles(t) {
		name := filepath.Base(f)
		mk, known := targets[name]
		if !known {
			t.Errorf("sample %s has no client type mapped in this test: add it", name)
			continue
		}
		if mk == nil {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := mk()
		if err := strictDecode(data, v); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		decoded[name] = v
	}

	if a, ok := decoded["about.qrspy_2017.json"].(*About); ok {
		if a.BuildVersion != "12.14.0.0" || a.BuildDate != "9/20/2013 10:09:00 AM" || a.NodeType != 1 || !a.SharedPersistence || a.SchemaPath != "About" {
			t.Errorf("about = %+v", a)
		}
	}
	if apps, ok := decoded["app_condensed_list.qrspy_2017.json"].(*[]App); ok {
		lm := (*apps)[0]
		if lm.Name != "License Monitor" || lm.Stream == nil || lm.Stream.Name != "Monitoring apps" || !lm.Published ||
			!lm.PublishTime.Equal(time.Date(2017, 1, 18, 21, 41, 25, 689e6, time.UTC)) {
			t.Errorf("license monitor app = %+v", lm)
		}
		unpub := (*apps)[3]
		if unpub.Stream != nil || !unpub.PublishTime.IsNever() || lm.PublishTime.IsNever() {
			t.Errorf("unpublished app = %+v", unpub)
		}
	}
	if l, ok := decoded["professionalaccesstype_full.swagger_example.json"].(*[]LicenseAccessType); ok {
		a := (*l)[0]
		if !a.Excess || !a.Quarantined || a.User == nil || a.User.UserDirectory != "userDirectory" || a.DeletedUserID != "deletedUserId" ||
			!a.LastUsed.Equal(time.Date(2000, 1, 23, 4, 56, 7, 0, time.UTC)) || len(a.Privileges) != 2 {
			t.Errorf("professional allocation = %+v", a)
		}
	}
	if o, ok := decoded["accesstypeoverview.qlikdoc_classic_example.json"].(*AccessTypeOverview); ok {
		if o.AnalyzerTimeAccess != nil || o.LoginAccess.TokenCost != 0.1 || o.UserAccess.TokenCost != 1.0 || o.ProfessionalAccess.SchemaPath != "AccessTypeOverview.Details" {
			t.Errorf("classic overview = %+v", o)
		}
	}
	if o, ok := decoded["accesstypeoverview.swagger_example.json"].(*AccessTypeOverview); ok {
		if o.AnalyzerTimeAccess == nil || !o.AnalyzerTimeAccess.Enabled || !o.TokensEnabled {
			t.Errorf("swagger overview = %+v", o)
		}
	}
	if u, ok := decoded["analyzertimeaccessusage_full.swagger_example.json"].(*[]AccessUsage); ok {
		x := (*u)[0]
		if x.AnalyzerTimeAccessType == nil || x.AnalyzerTimeAccessType.Name != "name" || len(x.Sessions) != 1 || x.Sessions[0].SessionID != "sessionID" || x.User.UserID != "userId" {
			t.Errorf("analyzer time usage = %+v", x)
		}
	}
	if e, ok := decoded["schemaevent_condensed_item.fragment.json"].(*SchemaEvent); ok {
		if e.ID != "$schemaEventId" || e.Operational.TimesTriggered != 2637 || e.EventType != EventTypeSchema || e.Name != "Reload License Monitor Schema" {
			t.Errorf("schema event = %+v", e)
		}
	}
	if n, ok := decoded["servernodeconfiguration_condensed.qrspy_2017.json"].(*[]ServerNodeConfiguration); ok {
		if (*n)[0].HostName != "qs2.qliklocal.net" || (*n)[0].ServiceCluster.Name != "ServiceCluster" || !strings.HasSuffix((*n)[0].TemporaryFilePath, `Temp\`) {
			t.Errorf("node = %+v", (*n)[0])
		}
	}
	if u, ok := decoded["user_condensed_list.qrspy_2017.json"].(*[]User); ok {
		if len(*u) != 14 || (*u)[2].UserID != "sa_api" || (*u)[2].UserDirectory != "INTERNAL" {
			t.Errorf("users = %+v", (*u)[:3])
		}
	}
}

// TestQlikCLIFormattedReloadTask documents what the client does with Qlik-CLI's re-formatted
// output: it is NOT accepted. Enum names would decode (the client accepts names), but the dates
// ("2020/03/03 19:40", local time, minutes only) and the collapsed "details" string are not the
// wire format, so the decode fails with an error naming the offending value and the reason.
func TestQlikCLIFormattedReloadTask(t *testing.T) {
	sampleFiles(t)
	data, err := os.ReadFile(filepath.Join(samplesDir, "reloadtask_full_item.qlikcli_formatted.json"))
	if err != nil {
		t.Fatal(err)
	}
	var task ReloadTask
	err = json.Unmarshal(data, &task)
	if err == nil {
		t.Fatal("Qlik-CLI formatted output decoded without error; it is not wire format")
	}
	if !strings.Contains(err.Error(), "2020/03/03 19:40") || !strings.Contains(err.Error(), "Qlik-CLI") {
		t.Errorf("error should name the value and explain it: %v", err)
	}

	// The enum names in it are accepted on their own.
	var raw struct {
		TaskType    TaskType `json:"taskType"`
		Operational struct {
			LastExecutionResult struct {
				Status TaskExecutionStatus `json:"status"`
			} `json:"lastExecutionResult"`
		} `json:"operational"`
		App struct {
			AvailabilityStatus Enum `json:"availabilityStatus"`
		} `json:"app"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.TaskType != TaskTypeReload || raw.Operational.LastExecutionResult.Status != StatusFinishedSuccess || raw.App.AvailabilityStatus != -1 {
		t.Errorf("enum names: %+v", raw)
	}
}
