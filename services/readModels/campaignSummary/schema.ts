// Tables of the `campaign-summary` slice: campaigns (folded with evolveCampaign), the funders'
// envelopes, and running totals kept up to date event by event so that a campaign's summary reads
// a few dozen rows whatever the number of applications.
export const campaignSummarySchema: readonly string[] = [
  `CREATE TABLE campaigns (
    campaign_id               TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    year                      INTEGER NOT NULL,
    status                    TEXT NOT NULL,
    multi_year_target_percent REAL NOT NULL,
    opens_at                  TEXT NOT NULL,
    closes_at                 TEXT NOT NULL,
    opened_at                 TEXT,
    closed_at                 TEXT,
    state                     TEXT NOT NULL, -- the folded CampaignState (JSON)
    revision                  INTEGER NOT NULL,
    last_position             INTEGER NOT NULL,
    updated_at                TEXT NOT NULL
  ) STRICT`,
  // One row per envelope stream (`envelope-<campaign>-<funder>`).
  `CREATE TABLE campaign_envelopes (
    stream         TEXT PRIMARY KEY,
    campaign_id    TEXT NOT NULL,
    funder         TEXT NOT NULL,
    amount_cents   INTEGER NOT NULL,
    reserved_cents INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    last_position  INTEGER NOT NULL
  ) STRICT`,
  'CREATE UNIQUE INDEX campaign_envelopes_by_campaign ON campaign_envelopes (campaign_id, funder)',
  // What each application holds on each envelope (a new reservation replaces the previous one).
  `CREATE TABLE campaign_envelope_holdings (
    stream         TEXT NOT NULL,
    application_id TEXT NOT NULL,
    total_cents    INTEGER NOT NULL,
    PRIMARY KEY (stream, application_id)
  ) STRICT, WITHOUT ROWID`,
  // Money per campaign, dimension ('funder', 'qpv', 'theme') and calendar year. An action targeting
  // two quartiers counts fully for each of them; the campaign's totals are the sums over funders.
  `CREATE TABLE campaign_amounts (
    campaign_id     TEXT NOT NULL,
    dimension       TEXT NOT NULL,
    key             TEXT NOT NULL,
    year            INTEGER NOT NULL,
    requested_cents INTEGER NOT NULL,
    committed_cents INTEGER NOT NULL,
    awarded_cents   INTEGER NOT NULL,
    paid_cents      INTEGER NOT NULL,
    recovered_cents INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, dimension, key, year)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX campaign_amounts_by_dimension ON campaign_amounts (dimension, year)',
  // Applications and beneficiaries per campaign, dimension ('status', 'qpv', 'theme', 'funder',
  // 'retained' with key CPO / annual) and key. Campaign-wide counts are sums over statuses (how many)
  // and themes (beneficiaries): each application has exactly one of each.
  `CREATE TABLE campaign_counts (
    campaign_id            TEXT NOT NULL,
    dimension              TEXT NOT NULL,
    key                    TEXT NOT NULL,
    applications           INTEGER NOT NULL,
    expected_beneficiaries INTEGER NOT NULL,
    reached_beneficiaries  INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, dimension, key)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX campaign_counts_by_dimension ON campaign_counts (dimension)',
];
