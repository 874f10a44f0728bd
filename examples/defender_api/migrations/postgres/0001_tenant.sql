CREATE TABLE tenant (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    live_response BOOLEAN NOT NULL,
    demo_machines BIGINT NOT NULL,
    seeded_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE id_counters (
    name TEXT COLLATE "C" PRIMARY KEY,
    next_value BIGINT NOT NULL
);

CREATE TABLE machines (
    id TEXT COLLATE "C" PRIMARY KEY,
    position BIGINT NOT NULL UNIQUE,
    computer_dns_name TEXT COLLATE "C" NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    os_platform TEXT COLLATE "C" NOT NULL,
    os_version TEXT COLLATE "C",
    agent_version TEXT COLLATE "C",
    last_ip_address TEXT COLLATE "C",
    health_status TEXT COLLATE "C" NOT NULL,
    risk_score TEXT COLLATE "C" NOT NULL,
    exposure_level TEXT COLLATE "C" NOT NULL,
    onboarding_status TEXT COLLATE "C" NOT NULL,
    is_isolated BOOLEAN NOT NULL
);

CREATE TABLE machine_tags (
    machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (machine_id, position)
);
CREATE INDEX machine_tags_by_tag ON machine_tags (tag);
CREATE INDEX machines_by_dns_name ON machines (computer_dns_name);
CREATE INDEX machines_by_last_seen ON machines (last_seen DESC, id);

CREATE TABLE alerts (
    id TEXT COLLATE "C" PRIMARY KEY,
    position BIGINT NOT NULL UNIQUE,
    incident_id BIGINT NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C",
    severity TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    detection_source TEXT COLLATE "C" NOT NULL,
    alert_creation_time TIMESTAMPTZ NOT NULL,
    machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines (id),
    computer_dns_name TEXT COLLATE "C" NOT NULL
);
CREATE INDEX alerts_by_machine ON alerts (machine_id);
CREATE INDEX alerts_by_creation ON alerts (alert_creation_time DESC, id);

CREATE TABLE machine_actions (
    id TEXT COLLATE "C" PRIMARY KEY,
    type TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C",
    requestor TEXT COLLATE "C" NOT NULL,
    requestor_comment TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines (id),
    computer_dns_name TEXT COLLATE "C" NOT NULL,
    creation_date_time_utc TEXT COLLATE "C" NOT NULL,
    last_update_date_time_utc TEXT COLLATE "C" NOT NULL
);
CREATE INDEX machine_actions_by_machine ON machine_actions (machine_id);

CREATE TABLE files (
    sha1 TEXT COLLATE "C" PRIMARY KEY,
    sha256 TEXT COLLATE "C" NOT NULL UNIQUE,
    md5 TEXT COLLATE "C" NOT NULL UNIQUE,
    global_prevalence BIGINT NOT NULL,
    global_first_observed TEXT COLLATE "C" NOT NULL,
    global_last_observed TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    file_type TEXT COLLATE "C",
    is_pe_file BOOLEAN NOT NULL,
    file_publisher TEXT COLLATE "C",
    file_product_name TEXT COLLATE "C",
    signer TEXT COLLATE "C",
    is_valid_certificate BOOLEAN,
    determination_type TEXT COLLATE "C" NOT NULL,
    determination_value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE domain_stats (
    host TEXT COLLATE "C" PRIMARY KEY,
    org_prevalence TEXT COLLATE "C" NOT NULL,
    org_first_seen TEXT COLLATE "C",
    org_last_seen TEXT COLLATE "C"
);

CREATE TABLE ip_stats (
    ip_address TEXT COLLATE "C" PRIMARY KEY,
    org_prevalence TEXT COLLATE "C" NOT NULL,
    org_first_seen TEXT COLLATE "C",
    org_last_seen TEXT COLLATE "C"
);

CREATE TABLE indicators (
    id TEXT COLLATE "C" PRIMARY KEY,
    position BIGINT NOT NULL UNIQUE,
    indicator_value TEXT COLLATE "C" NOT NULL,
    indicator_type TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    creation_time_date_time_utc TIMESTAMPTZ NOT NULL,
    last_update_time TIMESTAMPTZ NOT NULL,
    source_type TEXT COLLATE "C" NOT NULL,
    UNIQUE (indicator_value, indicator_type)
);
