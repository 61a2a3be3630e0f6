-- Schema 7: saved action plans (licmon reclaim plan) and the audit trail of
-- every change licmon makes to a Qlik site (reclaim apply, repair).
-- Sites are named, not interned: a repair may run on a site never collected.

CREATE TABLE action_plans (
    id          INTEGER PRIMARY KEY,
    site        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX action_plans_site ON action_plans (site, created_at);

-- One row per action, written before the action is attempted (result
-- 'pending') and updated with its outcome, so a run killed halfway leaves
-- every attempted action recorded.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    site        TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    command     TEXT NOT NULL,
    plan_id     INTEGER,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    result      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX audit_log_site_at ON audit_log (site, at);
CREATE INDEX audit_log_run ON audit_log (run_id);
