// The whole engine in this process, as `grants start` runs it: the real Temporal dev server, the
// worker, the projector, the HTTP services; a temporary data directory and free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../infra/config/config';
import { createLogger } from '../../../infra/logging/logger';
import { mintDevelopmentToken, resolveAuthSettings, type Role } from '../../../services/http/platform/auth';
import { startEngine, type Engine } from '../../../services/engine';
import { fromEpochMs, parisDateOf, parisInstant } from '../../../domain/calendar';
import { createCampaignCommand } from '../../support/fixtures';
import { freePort } from '../../support/processes';

export interface RunningEngine {
  engine: Engine;
  url: string;
  /** The SQLite event log's file, for the tests that alter it as someone with the file could. */
  eventsFile: string;
  token(claims: {
    role: Role;
    institution?: string;
    porteurId?: string;
    siret?: string;
    subject?: string;
  }): Promise<string>;
  /** fetch on the API with a bearer token and JSON body. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  stop(): Promise<void>;
}

/** `env`: settings of the test's own (GRANTS_STEP_WAIT_SECONDS…), over the harness's. */
export async function startTestEngine(env: Record<string, string> = {}): Promise<RunningEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'grants-e2e-'));
  // Refusals are logged at warn (tested with the platform); here they would only drown the output.
  const logger = createLogger({ level: 'error', format: 'json' });
  const configured = async () =>
    loadConfig({
      GRANTS_DATA_DIR: dataDir,
      GRANTS_HTTP_PORT: String(await freePort()),
      TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EVENTSTORE_SQLITE_SYNCHRONOUS: 'NORMAL',
      GRANTS_LOG_LEVEL: 'error',
      GRANTS_LOG_FORMAT: 'json',
      ...env,
    });
  // A port free when checked may be taken before the engine listens on it (by another process of
  // the machine): the start is refused with a ConfigError naming it, and tried again on other ports.
  let config = await configured();
  let engine: Engine;
  for (let attempt = 1; ; attempt += 1) {
    try {
      engine = await startEngine(config, logger);
      break;
    } catch (error) {
      const portTaken =
        error instanceof ConfigError && /Le port \d+ .*est déjà (utilisé|pris)/.test(error.message);
      if (!portTaken || attempt >= 3 || env.GRANTS_HTTP_PORT !== undefined) throw error;
      config = await configured();
    }
  }
  const auth = await resolveAuthSettings(config);
  if (auth.mode !== 'embedded') throw new Error('embedded auth expected in tests');
  const url = engine.apiUrl ?? '';
  if (config.eventStore.kind !== 'sqlite')
    throw new Error('the embedded SQLite event store expected in tests');
  const eventsFile = config.eventStore.file;
  return {
    engine,
    url,
    eventsFile,
    token: (claims) =>
      mintDevelopmentToken({
        secret: auth.secret,
        role: claims.role,
        ...(claims.institution ? { institution: claims.institution } : {}),
        ...(claims.porteurId ? { porteurId: claims.porteurId } : {}),
        ...(claims.siret ? { siret: claims.siret } : {}),
        subject: claims.subject ?? `${claims.role}-test`,
      }),
    call: async (method, path, options = {}) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined || options.rawBody !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
          ...options.headers,
        },
        ...(options.rawBody !== undefined
          ? { body: options.rawBody }
          : options.body !== undefined
            ? { body: JSON.stringify(options.body) }
            : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (CSV exports, HTML docs): keep the text
      }
      return { status: res.status, body, headers: res.headers };
    },
    stop: async () => {
      await engine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A campaign whose submission window opened at midnight today, created through the API by a grant
 * manager and open once this resolves (its own timer opens it at once; « Ouvrir » is asked until it
 * has). Returns the creation's answer.
 */
export async function openCampaignToday(
  e: RunningEngine,
  managerToken: string,
  campaignId: string,
  /** The territory's quartiers, when not the whole reference. */
  options: { qpvCodes?: string[] } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const today = parisDateOf(fromEpochMs(Date.now()));
  const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId, opensInDays: 0 });
  const territory =
    options.qpvCodes === undefined
      ? campaign.territory
      : { ...campaign.territory, qpvCodes: options.qpvCodes };
  const created = await e.call('POST', '/api/campaigns', {
    token: managerToken,
    body: {
      ...campaign,
      territory,
      submissionWindow: { ...campaign.submissionWindow, opensAt: parisInstant(today) },
    },
  });
  if (created.status !== 201) throw new Error(`campagne non créée : ${JSON.stringify(created.body)}`);
  for (let i = 0; i < 50; i += 1) {
    const open = await e.call('POST', `/api/campaigns/${campaignId}/open`, { token: managerToken, body: {} });
    if (open.status === 200 || (open.body as { code?: string }).code === 'CAMPAIGN_ALREADY_OPEN') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return created;
}

/** Tokens of the roles that send commands, one each. */
export interface CommandTokens {
  manager: string;
  porteur: string;
  /** A funder's (its institution is solicited by the test's applications). */
  funder: string;
  council: string;
}

/** A command route's concrete path (its application or campaign, year 1) and a token its roles accept. */
export function commandTarget(
  route: { path: string; kind: 'application' | 'campaign'; roles: readonly string[] },
  ids: { application: string; campaign: string },
  tokens: CommandTokens,
): { path: string; token: string } {
  const path = route.path
    .replace(':id', route.kind === 'campaign' ? ids.campaign : ids.application)
    .replace(':year', '1');
  const token = route.roles.includes('grant_manager')
    ? tokens.manager
    : route.roles.includes('porteur')
      ? tokens.porteur
      : route.roles.includes('funder')
        ? tokens.funder
        : tokens.council;
  return { path, token };
}
