// Package sim is a simulated Qlik Sense Enterprise on Windows site: a
// Repository Service (QRS) that behaves like the real one towards any
// third-party client (Butler, ctrl-q, Qlik-Cli, curl) — mutual TLS on the
// certificate port, the xrfkey rule, X-Qlik-User, the generic
// /qrs/{type}[/full|/count|/{id}] grammar with filter/orderby/privileges,
// license allocations with quarantine, reload tasks with execution history,
// script-log download tickets — plus a virtual-proxy front end (JWT or
// header authentication).
//
// The site is built deterministically from Options.Seed: users with a growth
// trend, leavers and dormant accounts, Professional/Analyzer allocations
// whose lastUsed follows each user's weekday activity, analyzer capacity,
// apps and sheets, the monitoring apps and their reload tasks with hourly
// execution history. Advance/AdvanceTo move the simulated time (hour by hour,
// each hour with its own random stream, so chunking does not change the
// outcome); Truth and GroundTruth expose what the API should report.
//
// # Presets
//
// healthy, lm-failing-rest-401, lm-failing-rest-403, lm-failing-rest-404, lm-failing-rest-http-502,
// lm-failing-rest-connect, lm-failing-file-not-found, lm-failing-field-not-found,
// lm-failing-table-not-found, lm-failing-syntax-error, lm-failing-out-of-memory,
// lm-aborted, lm-timeout, lm-connection-missing, lm-no-worker, lm-disabled,
// lm-missing, lm-stale, lm-never-run, license-expired, license-expiring,
// ntlm-kerberos, old-version, tokens, at-capacity, license-reduced,
// capacity-exhausted, capacity-overage, idle-allocations. Scenarios() returns them with
// descriptions. Names joined with "+" compose (lm-failing-rest-401+at-capacity).
//
// # License rules
//
// The site obeys its license as a real one does: no Professional, Analyzer
// or user access allocation beyond the total (a quarantined allocation
// holds its seat until the quarantine ends); a user who needs one when none
// is free is denied and stays without an allocation; analyzer capacity
// stops at the month's pool unless the license allows overage; excess
// appears only when the license is reduced below the allocations. Denials
// are recorded (Denial, Site.Denials, GroundTruth.Denials); a denied user
// keeps asking at a share of their rate until their patience runs out
// (DemandSpec), and the first request after a seat frees up gets it.
//
// # Scenario YAML
//
// Options.Scenario may name a file ending in .yaml or .yml. Unknown keys are
// errors. All keys are optional:
//
//	name: my-site                 # default: the file name
//	description: text
//	users: 500                    # used when Options.Users is left at its default
//	historyDays: 90
//	oldVersion: false             # 2019 build: old "YYYY-MM-DD hh:mm:ss" script-log timestamps
//	quarantineModel: lef          # lef | signed-key (default per license kind)
//	download404: 2                # script-log downloads of a failed run answer 404 this many times first
//	license:
//	  kind: signed-key            # signed-key | lef | tokens
//	  professional: 300           # 0 = room for about three months of growth
//	  professionalFullDaysAgo: 0  # or: the allocations of that many days ago (full since)
//	  professionalRunOutDays: 0   # or: room for that many days of growth
//	  analyzer: 200               # likewise analyzerFullDaysAgo, analyzerRunOutDays
//	  analyzerMinutes: 1200       # 0 = analyzerMinutesShare x the capacity users' monthly use
//	  analyzerMinutesShare: 1.5
//	  analyzerOverage: false      # capacity may exceed the pool (signed-key only)
//	  tokens: 0                   # tokens kind only
//	  validDays: 400              # negative = expired that many days ago
//	  reduction:                  # a smaller license applied during the history (excess)
//	    daysAgo: 20
//	    professionalPercent: 5    # new total this many percent below the allocations then
//	    analyzerPercent: 5
//	dormantPercent: 8             # users who keep an allocation they almost never use
//	demand:
//	  patienceDays: 90            # a denied user asks again for this long
//	  retryShare: 0.5             # at this share of their usual session rate
//	connections:
//	  auth: ntlm                  # ntlm | certificate | jwt (monitor_apps_REST_* connection strings)
//	  missing: [monitor_apps_REST_license_overview]
//	  password: Qlik-Service-2026 # the service account's current password (credential scenarios)
//	proxy:
//	  kerberos: false             # Kerberos on the proxy (NTLM REST connections then get 401)
//	  prefix: ""                  # default virtual proxy prefix (NTLM URLs without it get 404)
//	tasks:                        # each entry changes one task, matched by name
//	  - name: Reload License Monitor
//	    failure: rest-401         # see FailureKinds; also applies to future runs
//	    failureStreak: 6          # how many of the latest history runs failed
//	    scriptLog: lm-fail.log    # serve this file as the last run's script log (relative to the YAML)
//	    disabled: false
//	    triggerDisabled: false
//	    stopDaysAgo: 0            # the schedule stopped that many days ago (stale)
//	    neverRun: false
//	    rename: ""                # give the task another name
//	    missing: false            # delete the task
//
// Failure kinds: rest-401, rest-403, rest-http-404, rest-http-502, rest-connect,
// file-not-found, field-not-found, table-not-found, syntax-error,
// out-of-memory, aborted, timeout, connection-missing, no-worker.
//
// # Choices where Qlik's behaviour is undocumented
//
//   - A request on the certificate port without X-Qlik-User gets 403 with
//     MissingUserText.
//   - accesstypeoverview "used" counts allocations used in the last 30 days.
//   - On DELETE of an allocation with the "lef" quarantine model (and always
//     for token user access passes) an allocation used within QuarantineDays is
//     kept with quarantined=true and quarantineEnd = lastUsed + QuarantineDays;
//     otherwise it is removed. Use within the quarantine reinstates it.
//   - Never-set dates are the 1753-01-01T00:00:00.000Z sentinel.
//   - A license denial's Message follows the grammar of the documented usage
//     messages ("Professional access denied for User: 'CORP\x', SessionID:
//     '…', Hostname: '…', OperationType: 'UsageDenied'"); Qlik does not
//     publish the exact text for Professional, Analyzer or capacity.
//   - Overage shows as usedMinutes above allocatedMinutes, remainingMinutes 0,
//     and the line "Analyzer Capacity Overage: allowed" in keyDetails.
//   - POST of an allocation the license has no room for answers 400.
//   - accesstypeoverview keeps available = total - allocated (as in the one
//     real sample) although an allocation in quarantine still holds its
//     seat: with quarantined allocations a site can show available seats
//     and still deny.
//   - PUT /qrs/dataconnection/{id} needs modifiedDate; an older one than the
//     stored one is a 409 with a plain-text body. The password is stored but
//     never returned.
//   - In the credential scenarios (lm-failing-rest-401, lm-failing-rest-404,
//     ntlm-kerberos, or any scenario after a PUT of a monitor_apps_REST_*
//     connection) the connections decide the License Monitor's next reload:
//     NTLM connections work when they log on as CORP\qservice with the
//     service account's current password (connections.password, default
//     DefaultServicePassword) and their URL carries the proxy prefix; with
//     Kerberos on the proxy only the certificate variant (https://FQDN:4242)
//     works. SetTaskOutcome overrides this model.
//   - POST of an allocation reinstates the user's quarantined allocation of
//     that type; otherwise it is refused with 400 when every seat is
//     allocated or quarantined.
package sim
