CREATE TABLE IF NOT EXISTS api_quota (
    caller     text     NOT NULL,
    endpoint   text     NOT NULL,
    tat_us     bigint[] NOT NULL,
    checked_us bigint   NOT NULL,
    allowed    boolean  NOT NULL,
    PRIMARY KEY (caller, endpoint)
);
