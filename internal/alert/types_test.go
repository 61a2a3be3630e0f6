package alert

import (
	"github.com/licmon/licmon/internal/notify/slack"
	"github.com/licmon/licmon/internal/notify/teams"
	"github.com/licmon/licmon/internal/notify/webhook"
)

type (
	webhookCfg = webhook.Config
	slackCfg   = slack.Config
	teamsCfg   = teams.Config
)
