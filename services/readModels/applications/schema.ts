// Tables of the `applications` slice. `seq` is the global position of the application's
// ApplicationSubmitted event: unique, fixed for life and in submission order, so it serves as the
// rowid, the list order and the pagination cursor (a row never moves between pages as it changes).
export const applicationsSchema: readonly string[] = [
  `CREATE TABLE applications (
    seq                    INTEGER PRIMARY KEY,
    application_id         TEXT NOT NULL UNIQUE,
    campaign_id            TEXT NOT NULL,
    porteur_id             TEXT NOT NULL,
    porteur_name           TEXT NOT NULL,
    siret                  TEXT,
    rna                    TEXT,
    title                  TEXT NOT NULL,
    theme                  TEXT NOT NULL,
    qpv_codes              TEXT NOT NULL, -- JSON array
    duration_years         INTEGER NOT NULL,
    convention_kind        TEXT,          -- CPO | annual, once drafted
    status                 TEXT NOT NULL,
    waiting_for            TEXT,          -- French label; NULL once the file is over
    waiting_on             TEXT NOT NULL, -- JSON array of roles and institutions
    awaited                TEXT NOT NULL, -- JSON: the actions awaited, by whom
    next_deadline_at       TEXT,
    next_deadline_kind     TEXT,
    deadline_key           TEXT NOT NULL, -- next_deadline_at, or NO_DEADLINE: the deadline order
    requested_cents        INTEGER NOT NULL,
    committed_cents        INTEGER NOT NULL,
    awarded_cents          INTEGER NOT NULL,
    paid_cents             INTEGER NOT NULL,
    recovered_cents        INTEGER NOT NULL,
    expected_beneficiaries INTEGER NOT NULL,
    reached_beneficiaries  INTEGER NOT NULL,
    submitted_at           TEXT NOT NULL,
    updated_at             TEXT NOT NULL, -- business time of the last event (UTC)
    recorded_at            TEXT NOT NULL, -- record time of the last event
    last_position          INTEGER NOT NULL,
    revision               INTEGER NOT NULL -- stream revision of the last event: the ETag
  ) STRICT`,
  'CREATE INDEX applications_by_campaign ON applications (campaign_id, seq)',
  'CREATE INDEX applications_by_campaign_status ON applications (campaign_id, status, seq)',
  'CREATE INDEX applications_by_status ON applications (status, seq)',
  'CREATE INDEX applications_by_porteur ON applications (porteur_id, seq)',
  // Queues in deadline order, within a campaign and / or a status.
  'CREATE INDEX applications_by_deadline ON applications (deadline_key, seq)',
  'CREATE INDEX applications_by_campaign_deadline ON applications (campaign_id, deadline_key, seq)',
  'CREATE INDEX applications_by_status_deadline ON applications (status, deadline_key, seq)',
  'CREATE INDEX applications_by_campaign_status_deadline ON applications (campaign_id, status, deadline_key, seq)',
  // Filters that take several values per application: 'qpv:<code>', 'funder:<id>',
  // 'waiting:<role or institution>'. The campaign (fixed for life) is repeated so that a filter
  // within a campaign, and its count, are answered from the index alone.
  `CREATE TABLE application_tags (
    tag         TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    campaign_id TEXT NOT NULL,
    PRIMARY KEY (tag, seq)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX application_tags_by_campaign ON application_tags (tag, campaign_id, seq)',
  // How many applications per tag ('' for all), campaign and status: list totals without counting rows.
  `CREATE TABLE application_counts (
    tag          TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    applications INTEGER NOT NULL,
    PRIMARY KEY (tag, campaign_id, status)
  ) STRICT, WITHOUT ROWID`,
  // fundingSummary per funder and convention year.
  `CREATE TABLE application_funders (
    seq             INTEGER NOT NULL,
    funder          TEXT NOT NULL,
    year            INTEGER NOT NULL, -- convention year, 1 … 4
    calendar_year   INTEGER NOT NULL,
    requested_cents INTEGER NOT NULL,
    committed_cents INTEGER NOT NULL,
    awarded_cents   INTEGER NOT NULL,
    paid_cents      INTEGER NOT NULL,
    recovered_cents INTEGER NOT NULL,
    PRIMARY KEY (seq, funder, year)
  ) STRICT, WITHOUT ROWID`,
];
