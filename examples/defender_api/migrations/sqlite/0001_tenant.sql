-- The demo tenant (SQLite). The date-times that lists filter and sort on
-- are text in one fixed UTC form with whole microseconds,
-- 2026-11-24T08:12:44.335803Z (defender-odata's storage), so text order is
-- time order; the others are text as Defender writes them.

CREATE TABLE tenant (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    live_response BOOLEAN NOT NULL,
    demo_machines INTEGER NOT NULL,
    seeded_at TEXT NOT NULL
);

CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
);

CREATE TABLE machines (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE,
    computer_dns_name TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    os_platform TEXT NOT NULL,
    os_version TEXT,
    agent_version TEXT,
    last_ip_address TEXT,
    health_status TEXT NOT NULL,
    risk_score TEXT NOT NULL,
    exposure_level TEXT NOT NULL,
    onboarding_status TEXT NOT NULL,
    is_isolated BOOLEAN NOT NULL
);

CREATE TABLE machine_tags (
    machine_id TEXT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (machine_id, position)
);
CREATE INDEX machine_tags_by_tag ON machine_tags (tag);
CREATE INDEX machines_by_dns_name ON machines (computer_dns_name);
CREATE INDEX machines_by_last_seen ON machines (last_seen DESC, id);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE,
    incident_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    category TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    detection_source TEXT NOT NULL,
    alert_creation_time TEXT NOT NULL,
    machine_id TEXT NOT NULL REFERENCES machines (id),
    computer_dns_name TEXT NOT NULL
);
CREATE INDEX alerts_by_machine ON alerts (machine_id);
CREATE INDEX alerts_by_creation ON alerts (alert_creation_time DESC, id);

CREATE TABLE machine_actions (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    scope TEXT,
    requestor TEXT NOT NULL,
    requestor_comment TEXT NOT NULL,
    status TEXT NOT NULL,
    machine_id TEXT NOT NULL REFERENCES machines (id),
    computer_dns_name TEXT NOT NULL,
    creation_date_time_utc TEXT NOT NULL,
    last_update_date_time_utc TEXT NOT NULL
);
CREATE INDEX machine_actions_by_machine ON machine_actions (machine_id);

CREATE TABLE files (
    sha1 TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    md5 TEXT NOT NULL UNIQUE,
    global_prevalence INTEGER NOT NULL,
    global_first_observed TEXT NOT NULL,
    global_last_observed TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_type TEXT,
    is_pe_file BOOLEAN NOT NULL,
    file_publisher TEXT,
    file_product_name TEXT,
    signer TEXT,
    is_valid_certificate BOOLEAN,
    determination_type TEXT NOT NULL,
    determination_value TEXT NOT NULL
);

CREATE TABLE domain_stats (
    host TEXT PRIMARY KEY,
    org_prevalence TEXT NOT NULL,
    org_first_seen TEXT,
    org_last_seen TEXT
);

CREATE TABLE ip_stats (
    ip_address TEXT PRIMARY KEY,
    org_prevalence TEXT NOT NULL,
    org_first_seen TEXT,
    org_last_seen TEXT
);

CREATE TABLE indicators (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE,
    indicator_value TEXT NOT NULL,
    indicator_type TEXT NOT NULL,
    action TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    created_by TEXT NOT NULL,
    creation_time_date_time_utc TEXT NOT NULL,
    last_update_time TEXT NOT NULL,
    source_type TEXT NOT NULL,
    UNIQUE (indicator_value, indicator_type)
);
