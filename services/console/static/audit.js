// The auditor's page (and the grant manager's history): the integrity check and the exports, then
// three views — an application's event timeline and its state as of a past date; a campaign and a
// funder's envelope as of a past date; the funding ledger, page by page with filters, and its CSV.
// Business time (when it happened) and record time (when it was written) are always both shown.
import { useState } from './vendor/hooks.mjs';
import {
  html,
  api,
  ApiError,
  count,
  plural,
  frenchText,
  download,
  businessTime,
  date,
  dateTime,
  lastDayBefore,
  funderLabel,
  byFunder,
  money,
  statusLabels,
  today,
  themes,
} from './lib.js';
import { EnvelopeTable, Timeline, useApi, useQpvNaming } from './pages.js';
import { frenchPath } from './actions.js';
import { loadStylesheet } from './charts.js';
import { asOfParameter, parisClockOf } from './instants.js';

loadStylesheet('./dashboard.css');

const campaignStatusLabels = {
  not_created: 'Pas encore créée à cette date',
  draft: 'En préparation',
  open: 'Ouverte aux dépôts',
  closed: 'Fermée',
};
const envelopeStatusLabels = { not_opened: 'Pas encore ouverte à cette date', open: 'Ouverte' };
const roleNames = {
  porteur: 'Porteur',
  grant_manager: 'Chargé de mission',
  funder: 'Financeur',
  citizen_council: 'Conseil citoyen',
  auditor: 'Auditeur',
  evaluator: 'Évaluateur',
  system: 'Système (automatique)',
};
const themeName = (code) => themes.find(([c]) => c === code)?.[1] ?? '';
const atLabel = 'Au (date)';
const atTimeLabel = 'Heure à Paris (facultative)';
/**
 * A refusal of the API in words. A field the API refuses is named as the page names it (`fields`: the
 * query parameter → its label, « Année des conventions (entrée en vigueur) : … »), never by its path
 * (`query.year`); one without a label on the page is said in words (frenchPath).
 * @param {unknown} e @param {Record<string, string>} [fields]
 */
function errorText(e, fields = {}) {
  const problems = e instanceof ApiError ? (e.problem?.errors ?? []) : [];
  if (problems.length === 0) return e instanceof Error ? e.message : String(e);
  return problems
    .map((p) => {
      const path = String(p.path ?? '');
      const message = frenchText(String(p.message ?? ''));
      return path === '' ? message : `${fields[path] ?? frenchPath(path)} : ${message}`;
    })
    .join(' ; ');
}
/** The fields of an as-of form, by the query parameter each one sends (`at`: the date and the time). */
const instantFieldNames = { at: 'Au (date et heure)', time: 'Horloge' };

/**
 * @typedef {{ date: string, time: string }} AskedInstant the date and the time of day typed (the time
 * empty: the end of that day)
 */

/**
 * What the as-of routes are sent as `at` for what was typed, or the refusal to show without asking:
 * a time of day the page cannot read (a browser without a time picker takes any text).
 * @param {AskedInstant} asked
 * @returns {{ at: string } | { error: string }}
 */
function atOf(asked) {
  const at = asOfParameter(asked);
  if (at !== null) return { at };
  return {
    error:
      asked.date.trim() === ''
        ? `${atLabel} : à remplir.`
        : `${atTimeLabel} : « ${asked.time} » n’est pas une heure lisible (attendue au format HH:MM ou HH:MM:SS, par exemple 14:05:30).`,
  };
}

/**
 * The instant a replay used (the API's `at`: a date alone is the end of that day in Paris), in words:
 * « 12 mai 2027 à 14:05:23, heure de Paris », « 12 mai 2027 à 23:59:59, heure de Paris (fin de journée) ».
 * @param {string} at
 */
function instantWords(at) {
  const clock = parisClockOf(at);
  if (clock === null) return at;
  return `${date(clock.day)} à ${clock.clock}, heure de Paris${clock.endOfDay ? ' (fin de journée)' : ''}`;
}
const clockWords = { business: 'la date métier', record: 'la date d’enregistrement' };

/**
 * The heading of a replay's result: the instant actually used and on which clock.
 * @param {{ result: { at: string, time: string }, id: string, what: string }} props
 */
function AsOfHeading({ result, id, what }) {
  return html`<h3 id=${id} data-testid=${id} data-at=${result.at}>
    ${`${what} au ${instantWords(result.at)}, selon ${clockWords[result.time] ?? result.time}`}
  </h3>`;
}

const integrityReasonNames = {
  hash_mismatch: 'contenu modifié',
  chain_broken: 'chaînage rompu',
  revision_gap: 'révisions non consécutives',
  malformed: 'métadonnées illisibles',
};

/**
 * Every broken stream the verification listed (its summary names the first few), each at its first
 * broken event: the events after it in its stream were not checked.
 */
function BrokenStreams({ report }) {
  const listed = report.broken ?? [];
  if (listed.length < 2) return null;
  return html`<details data-testid="verify-broken">
    <summary>
      ${
        listed.length < report.brokenStreams
          ? `Les ${count(listed.length)} premiers des ${count(report.brokenStreams)} flux altérés`
          : `Les ${count(listed.length)} flux altérés`
      }
    </summary>
    <ul>
      ${listed.map(
        (b) =>
          html`<li key=${b.stream}>
            ${`${b.stream}, révision ${b.revision} (position ${b.position}) : ${integrityReasonNames[b.reason] ?? b.reason}`}
          </li>`,
      )}
    </ul>
  </details>`;
}

/**
 * The date, time and clock fields of an as-of form (ids prefixed, the labels the same everywhere). The
 * date and the time are the page's state (`at`, changed by `onAt`): each replay renders the form
 * again, and must neither put today back nor send it the next time; a tab left and opened again finds
 * them as typed. The time is optional: left empty, the state is the one at the end of the day.
 * @param {{ prefix: string, at: AskedInstant, onAt: (at: Partial<AskedInstant>) => void }} props
 */
function InstantFields({ prefix, at, onAt }) {
  return html`<div class="field">
      <label for=${`${prefix}-at`}>${atLabel}</label
      ><input
        id=${`${prefix}-at`}
        name="at"
        type="date"
        value=${at.date}
        onInput=${(e) => onAt({ date: e.currentTarget.value })}
        required
      />
    </div>
    <div class="field">
      <label for=${`${prefix}-at-time`}>${atTimeLabel}</label
      ><input
        id=${`${prefix}-at-time`}
        name="atTime"
        type="time"
        step="1"
        value=${at.time}
        aria-describedby=${`${prefix}-at-time-hint`}
        onInput=${(e) => onAt({ time: e.currentTarget.value })}
      />
    </div>
    <div class="field">
      <label for=${`${prefix}-time`}>Horloge</label>
      <select id=${`${prefix}-time`} name="time">
        <option value="business">Date métier</option>
        <option value="record">Date d’enregistrement</option>
      </select>
    </div>
    <small id=${`${prefix}-at-time-hint`} class="inline-hint"
      >Heure vide : l’état en fin de journée (23:59:59, heure de Paris). Une heure donnée compte les
      événements de cette seconde-là.</small
    >`;
}

/** What every replay says: how many events, the last one applied, those written late. */
function ReplayFacts({ result }) {
  return html`<dt>Événements appliqués</dt>
    <dd data-field="eventsApplied">${count(result.eventsApplied)} / ${count(result.streamLength)}</dd>
    <dt>Dernier événement appliqué</dt>
    <dd data-field="lastEvent">
      ${result.lastEvent ? `révision ${result.lastEvent.revision} — métier ${businessTime(result.lastEvent.occurredAt, result.lastEvent.recordedAt)}, enregistré ${dateTime(result.lastEvent.recordedAt)}` : '—'}
    </dd>
    <dt>Saisis en retard (non appliqués)</dt>
    <dd data-field="outOfOrder">${count(result.outOfOrder?.length ?? 0)}</dd>
    <dt>Chaîne d’empreintes du flux</dt>
    <dd data-field="integrity" class=${result.integrity?.ok === false ? 'refusal' : undefined}>
      ${result.integrity === undefined ? '—' : result.integrity.ok ? 'intacte' : frenchText(result.integrity.summary)}
    </dd>
    <dt>En résumé</dt>
    <dd data-field="summary">${result.summary ?? '—'}</dd>`;
}

function AsOf({ id, at, onAt }) {
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const time = String(form.get('time') ?? 'business');
    setError(null);
    const asked = atOf(at);
    if ('error' in asked) return setError(asked.error);
    try {
      setResult(
        await api(
          'GET',
          `/api/audit/applications/${id}/as-of?at=${encodeURIComponent(asked.at)}&time=${time}`,
        ),
      );
    } catch (e) {
      setError(errorText(e, instantFieldNames));
    }
  };
  return html`<section aria-labelledby="asof-title">
    <h2 id="asof-title">État à une date passée</h2>
    <form onSubmit=${submit} class="inline">
      <${InstantFields} prefix="asof" at=${at} onAt=${onAt} />
      <button type="submit" class="primary">Rejouer</button>
    </form>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      result
        ? html`<div data-testid="asof-result" aria-live="polite">
            <${AsOfHeading} result=${result} id="asof-at" what="État" />
            <dl class="facts">
              <dt>Statut</dt>
              <dd data-field="status">${statusLabels[result.state?.status] ?? result.state?.status}</dd>
              <${ReplayFacts} result=${result} />
            </dl>
            <details>
              <summary>État complet (JSON)</summary>
              <pre>${JSON.stringify(result.state, null, 2)}</pre>
            </details>
          </div>`
        : null
    }
  </section>`;
}

/** @param {{ id?: string, list: any, at: AskedInstant, onAt: (at: Partial<AskedInstant>) => void }} props */
function ApplicationView({ id, list, at, onAt }) {
  return html`<div class="field">
      <label for="audit-app">Candidature</label>
      <select id="audit-app" onChange=${(e) => (location.hash = `#/audit/${e.currentTarget.value}`)}>
        <option value="">— choisir —</option>
        ${(list.data?.items ?? []).map((a) => html`<option value=${a.id} selected=${a.id === id}>${a.title} — ${a.porteur?.name} (${a.id})</option>`)}
      </select>
    </div>
    ${
      id
        ? html`<${AsOf} id=${id} at=${at} onAt=${onAt} />
            <section aria-labelledby="trail-title">
              <h2 id="trail-title">Événements</h2>
              <${Timeline} key=${id} stream=${`application-${id}`} />
            </section>
            <p><a href=${`#/candidatures/${id}`}>Voir la candidature</a></p>`
        : html`<p class="empty">Choisissez une candidature pour voir son historique.</p>`
    }`;
}

function EnvelopeAsOf({ campaignId, funders, at, time, titles }) {
  const [funder, setFunder] = useState(funders[0] ?? '');
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(
        await api(
          'GET',
          `/api/audit/envelopes/${encodeURIComponent(campaignId)}/${encodeURIComponent(funder)}/as-of?at=${encodeURIComponent(at)}&time=${time}`,
        ),
      );
    } catch (e) {
      setError(errorText(e, { ...instantFieldNames, funder: 'Financeur' }));
    }
  };
  const st = result?.state;
  const reservations = st?.status === 'open' ? Object.entries(st.reservations ?? {}) : [];
  return html`<section class="envelope-asof" aria-labelledby="envelope-asof-title">
    <h3 id="envelope-asof-title">Enveloppe d’un financeur au même instant : ${instantWords(at)}</h3>
    <form class="inline" onSubmit=${submit}>
      <div class="field">
        <label for="envelope-funder">Financeur</label>
        <select id="envelope-funder" onChange=${(e) => setFunder(e.currentTarget.value)}>
          ${funders.map((f) => html`<option value=${f} selected=${f === funder}>${funderLabel(f)}</option>`)}
        </select>
      </div>
      <button type="submit">Rejouer l’enveloppe</button>
    </form>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      result
        ? html`<div data-testid="envelope-asof" aria-live="polite">
            <dl class="facts">
              <dt>Statut</dt>
              <dd data-field="status">${envelopeStatusLabels[st?.status] ?? st?.status}</dd>
              ${
                st?.status === 'open'
                  ? html`<dt>Enveloppe</dt>
                      <dd data-field="amount" data-value=${st.amountCents}>${money(st.amountCents)}</dd>
                      <dt>Réservé</dt>
                      <dd data-field="reserved" data-value=${st.reservedCents}>${money(st.reservedCents)}</dd>
                      <dt>Disponible</dt>
                      <dd data-field="remaining" data-value=${st.amountCents - st.reservedCents}>
                        ${money(st.amountCents - st.reservedCents)}
                      </dd>`
                  : null
              }
              <${ReplayFacts} result=${result} />
            </dl>
            ${
              reservations.length
                ? html`<div
                    class="table-scroll"
                    tabindex="0"
                    role="region"
                    aria-label="Réservations par candidature"
                  >
                    <table data-testid="reservations">
                      <caption>
                        Réservations par candidature
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col">Candidature</th>
                          <th scope="col">Par année de convention</th>
                          <th scope="col" class="num">Total</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${reservations.map(
                          ([applicationId, r]) =>
                            html`<tr data-row=${applicationId}>
                              <td>
                                <a href=${`#/audit/${applicationId}`}
                                  >${titles[applicationId] ?? applicationId}</a
                                >
                              </td>
                              <td>
                                ${(r.amountsByYear ?? []).map((y) => `année ${y.year} : ${money(y.amountCents)}`).join(' ; ')}
                              </td>
                              <td class="num" data-value=${r.totalCents}>${money(r.totalCents)}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
                : null
            }
          </div>`
        : null
    }
  </section>`;
}

function CampaignView({ campaigns, titles, at, onAt }) {
  const [campaignId, setCampaignId] = useState('');
  const [result, setResult] = useState(/** @type {any} */ (null));
  // What the last replay asked: the envelopes are replayed at the very instant it used (its `at`).
  const [asked, setAsked] = useState(/** @type {{ id: string, at: string, time: string } | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const id = campaignId || campaigns[0]?.campaignId || '';
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const time = String(form.get('time') ?? 'business');
    setError(null);
    setResult(null);
    const instant = atOf(at);
    if ('error' in instant) return setError(instant.error);
    try {
      const replay = await api(
        'GET',
        `/api/audit/campaigns/${encodeURIComponent(id)}/as-of?at=${encodeURIComponent(instant.at)}&time=${time}`,
      );
      setResult(replay);
      setAsked({ id, at: replay.at, time });
    } catch (e) {
      setError(errorText(e, { ...instantFieldNames, id: 'Campagne' }));
    }
  };
  const st = result?.state;
  const created = st && st.status !== 'not_created';
  const naming = useQpvNaming(st?.territory?.qpvReferenceVersion);
  return html`<section aria-labelledby="campaign-asof-title">
    <h2 id="campaign-asof-title">Une campagne à une date passée</h2>
    ${
      campaigns.length === 0
        ? html`<p class="empty">Aucune campagne.</p>`
        : html`<form class="inline" onSubmit=${submit}>
            <div class="field">
              <label for="campaign-asof-id">Campagne</label>
              <select id="campaign-asof-id" onChange=${(e) => setCampaignId(e.currentTarget.value)}>
                ${campaigns.map((c) => html`<option value=${c.campaignId} selected=${c.campaignId === id}>${c.name ?? c.campaignId}</option>`)}
              </select>
            </div>
            <${InstantFields} prefix="campaign-asof" at=${at} onAt=${onAt} />
            <button type="submit" class="primary">Rejouer la campagne</button>
          </form>`
    }
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      result
        ? html`<div data-testid="campaign-asof" aria-live="polite">
            <${AsOfHeading} result=${result} id="campaign-asof-at" what="Campagne" />
            <dl class="facts">
              <dt>Statut</dt>
              <dd data-field="status">${campaignStatusLabels[st?.status] ?? st?.status}</dd>
              ${
                created
                  ? html`<dt>Nom</dt>
                      <dd data-field="name">${st.name}</dd>
                      <dt>Exercice</dt>
                      <dd data-field="year">${st.year}</dd>
                      <dt>Fenêtre de dépôt</dt>
                      <dd>
                        ${`du ${dateTime(st.submissionWindow?.opensAt)} au ${dateTime(st.submissionWindow?.closesAt)} (dernier jour de dépôt : ${date(lastDayBefore(st.submissionWindow?.closesAt))} inclus)`}
                      </dd>
                      <dt>Ouverte le</dt>
                      <dd>${st.openedAt ? dateTime(st.openedAt) : '—'}</dd>
                      <dt>Fermée le</dt>
                      <dd>${st.closedAt ? dateTime(st.closedAt) : '—'}</dd>
                      <dt>Territoire</dt>
                      <dd>${st.territory?.name}</dd>
                      <dt>Quartiers prioritaires (référentiel ${st.territory?.qpvReferenceVersion})</dt>
                      <dd data-field="qpv">
                        ${(st.territory?.qpvCodes ?? []).map(naming.label).join(' ; ')}
                      </dd>
                      <dt>Thèmes</dt>
                      <dd>${(st.themes ?? []).map((t) => `${t} ${themeName(t)}`.trim()).join(' ; ')}</dd>
                      <dt>Durée maximale</dt>
                      <dd>${plural(st.maxDurationYears, 'an')}</dd>
                      <dt>Part publique maximale</dt>
                      <dd>${st.publicShareCapPercent} %</dd>
                      <dt>Cible de CPO</dt>
                      <dd>${st.multiYearTargetPercent} %</dd>`
                  : null
              }
              <${ReplayFacts} result=${result} />
            </dl>
            ${
              created
                ? html`<${EnvelopeTable}
                    funders=${st.funders}
                    caption="Enveloppes votées à cette date"
                    testId="campaign-envelopes"
                  />`
                : null
            }
            <details>
              <summary>État complet (JSON)</summary>
              <pre>${JSON.stringify(st, null, 2)}</pre>
            </details>
            ${
              created && asked
                ? html`<${EnvelopeAsOf}
                    key=${`${asked.id}-${asked.at}-${asked.time}`}
                    campaignId=${asked.id}
                    funders=${st.funders.map((f) => f.funder)}
                    titles=${titles}
                    at=${asked.at}
                    time=${asked.time}
                  />`
                : null
            }
          </div>`
        : null
    }
  </section>`;
}

const ledgerFilterNames = ['from', 'to', 'time', 'funder', 'campaign'];
/** The ledger's filters, by the query parameter each one sends. */
const ledgerFieldNames = {
  from: 'Du (inclus)',
  to: 'Au (inclus)',
  time: 'Dates selon',
  funder: 'Financeur (code)',
  campaign: 'Campagne',
  limit: 'Écritures par page',
};
/**
 * The SCDL file's year is the year of dateConvention, the day the last signature put the convention in
 * force (services/audit/scdl.ts): not the dashboard's « exercice », the year a convention year starts
 * in. An AMI 2027 convention signed in December 2026 is in the 2026 file.
 */
const scdlYearLabel = 'Année des conventions (entrée en vigueur)';
/** The fields of the integrity and export forms, by the query parameter each one sends. */
const auditFieldNames = {
  upTo: 'Empreinte du journal jusqu’à la position',
  year: scdlYearLabel,
  asOf: 'Tel qu’enregistré au',
};
const funderSuggestions = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI'];

/** The campaign's envelope decisions: in the ledger for information, their amount in no movement. */
const decisionMovements = ['envelope_voted', 'envelope_adjustment_decided'];
/**
 * @typedef {{ decidedCents: number, previousCents?: number, reason?: string }} EnvelopeDecision
 * what the campaign decided for one funder's envelope: the amount voted, or adjusted to (from
 * `previousCents`, for `reason`)
 */
/**
 * The amounts of the campaign's envelope decisions on a page of the ledger, by entry
 * (`position-line`). The ledger gives them no amount (the envelope's own opening and adjustments
 * carry it: summed, a vote would count twice) and spells the amount decided out in its reference
 * (« montant voté : 500 000,00 € »), where a figure reads as a reference. The event itself says
 * them (the campaign's stream, at the entry's revision), read rather than the sentence parsed. An
 * event that cannot be read leaves its entries as the ledger gives them.
 * @param {any[]} entries
 * @returns {Promise<Map<string, EnvelopeDecision>>}
 */
async function envelopeDecisions(entries) {
  const decisions = entries.filter((e) => decisionMovements.includes(e.movement));
  const events = new Map(
    await Promise.all(
      [...new Set(decisions.map((e) => `${e.stream}\n${e.revision}`))].map(async (key) => {
        const [stream, revision] = key.split('\n');
        const page = await api(
          'GET',
          `/api/audit/streams/${encodeURIComponent(stream)}/events?from=${revision}&limit=1&data=current`,
        ).catch(() => null);
        const event = page?.events?.[0];
        return /** @type {[string, any]} */ ([key, String(event?.revision) === revision ? event : null]);
      }),
    ),
  );
  /** @type {Map<string, EnvelopeDecision>} */
  const found = new Map();
  for (const e of decisions) {
    const event = events.get(`${e.stream}\n${e.revision}`);
    const data = event?.data;
    if (event?.type === 'CampaignCreated') {
      const voted = (data?.funders ?? []).find((f) => f.funder === e.funder);
      if (typeof voted?.envelopeCents === 'number')
        found.set(`${e.position}-${e.line}`, { decidedCents: voted.envelopeCents });
    } else if (event?.type === 'FunderEnvelopeAdjusted' && data?.funder === e.funder) {
      found.set(`${e.position}-${e.line}`, {
        decidedCents: data.amountCents,
        previousCents: data.previousCents,
        reason: data.reason,
      });
    }
  }
  return found;
}

/**
 * The « Montant décidé » cell of a ledger entry and its « Référence » once that amount is in its own
 * column: a vote has no other reference; an adjustment keeps its reason.
 * @param {any} e @param {EnvelopeDecision | undefined} decision
 */
function decisionCells(e, decision) {
  if (decision === undefined)
    return {
      decided: html`<td class="num" data-field="decided">—</td>`,
      reference: e.reference ?? '—',
    };
  return {
    decided: html`<td class="num" data-field="decided" data-decided=${decision.decidedCents}>
      ${money(decision.decidedCents)}
      ${
        decision.previousCents === undefined
          ? null
          : html`<br /><small>${`auparavant ${money(decision.previousCents)}`}</small>`
      }
    </td>`,
    reference: decision.reason ? frenchText(decision.reason) : '—',
  };
}

function LedgerView({ campaigns, titles, onOpenApplication }) {
  const [filters, setFilters] = useState(/** @type {Record<string, string> | null} */ (null));
  const [limit, setLimit] = useState('50');
  // Cursors of the pages seen: [undefined (first page), next of page 1, …].
  const [cursors, setCursors] = useState(/** @type {(string | undefined)[]} */ ([undefined]));
  const [page, setPage] = useState(/** @type {any} */ (null));
  const [decisions, setDecisions] = useState(/** @type {Map<string, EnvelopeDecision>} */ (new Map()));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);

  const query = (f, extra = {}) => {
    const params = new URLSearchParams();
    for (const name of ledgerFilterNames) if (f[name]) params.set(name, f[name]);
    for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') params.set(k, String(v));
    return params.toString();
  };
  const load = async (f, pageCursors) => {
    setBusy(true);
    setError(null);
    try {
      const after = pageCursors[pageCursors.length - 1];
      const data = await api('GET', `/api/audit/ledger?${query(f, { after, limit })}`);
      const decided = await envelopeDecisions(data?.entries ?? []);
      setFilters(f);
      setCursors(pageCursors);
      setPage(data);
      setDecisions(decided);
    } catch (e) {
      setError(errorText(e, ledgerFieldNames));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    /** @type {Record<string, string>} */
    const f = {};
    for (const name of ledgerFilterNames) f[name] = String(form.get(name) ?? '').trim();
    return load(f, [undefined]);
  };
  const pageNumber = cursors.length;
  const entries = page?.entries ?? [];

  return html`<section aria-labelledby="ledger-title">
    <h2 id="ledger-title">Grand livre des financements</h2>
    <p class="reference-note">
      Chaque mouvement d’argent ou d’engagement (enveloppes, réservations, positions, attributions,
      versements, reversements), dans l’ordre du journal, lu dans le journal lui-même.
    </p>
    <form class="inline" onSubmit=${submit} aria-label="Filtres du grand livre">
      <div class="field">
        <label for="ledger-from">Du (inclus)</label><input id="ledger-from" name="from" type="date" />
      </div>
      <div class="field">
        <label for="ledger-to">Au (inclus)</label><input id="ledger-to" name="to" type="date" />
      </div>
      <div class="field">
        <label for="ledger-time">Dates selon</label>
        <select id="ledger-time" name="time">
          <option value="business">la date métier</option>
          <option value="record">la date d’enregistrement</option>
        </select>
      </div>
      <div class="field">
        <label for="ledger-funder">Financeur (code)</label>
        <input
          id="ledger-funder"
          name="funder"
          list="ledger-funders"
          placeholder="tous"
          aria-describedby="ledger-funder-hint"
          autocomplete="off"
        />
        <datalist id="ledger-funders">
          ${funderSuggestions.map((f) => html`<option value=${f}>${funderLabel(f)}</option>`)}
        </datalist>
        <small id="ledger-funder-hint">ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-code INSEE</small>
      </div>
      <div class="field">
        <label for="ledger-campaign">Campagne</label>
        <select id="ledger-campaign" name="campaign">
          <option value="">Toutes</option>
          ${campaigns.map((c) => html`<option value=${c.campaignId}>${c.name ?? c.campaignId}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="ledger-limit">Écritures par page</label>
        <select id="ledger-limit" onChange=${(e) => setLimit(e.currentTarget.value)}>
          ${['10', '25', '50', '100', '200'].map((n) => html`<option value=${n} selected=${n === limit}>${n}</option>`)}
        </select>
      </div>
      <button type="submit" class="primary" disabled=${busy}>Afficher</button>
    </form>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      // The engine's last check of the whole log found it altered: these figures may carry it.
      page?.integrity?.verdict === 'altéré'
        ? html`<p class="refusal" role="alert" data-testid="ledger-integrity">${page.integrity.warning}</p>`
        : null
    }
    ${
      page
        ? html`<div class="pager">
              <button
                type="button"
                disabled=${busy || pageNumber <= 1}
                onClick=${() => load(filters, cursors.slice(0, -1))}
              >
                Page précédente
              </button>
              <span role="status" data-testid="ledger-status"
                >Page ${pageNumber} : ${plural(entries.length, 'écriture')}
                ${entries.length ? ` (positions ${entries[0].position} à ${entries[entries.length - 1].position})` : ''}
                ${page.next === null ? ' — fin du journal' : ''}</span
              >
              <button
                type="button"
                disabled=${busy || page.next === null}
                onClick=${() => load(filters, [...cursors, page.next])}
              >
                Page suivante
              </button>
              <button
                type="button"
                onClick=${() =>
                  download(
                    `/api/audit/ledger.csv?${query(filters ?? {})}`,
                    'grand-livre-financements.csv',
                  ).catch((e) => setError(errorText(e, ledgerFieldNames)))}
              >
                Télécharger le grand livre filtré (CSV)
              </button>
            </div>
            ${
              entries.length === 0
                ? html`<p class="empty">
                    ${page.next === null ? 'Aucune écriture pour ces filtres.' : 'Aucune écriture dans cette tranche du journal : voir la page suivante.'}
                  </p>`
                : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="ledger-caption">
                    <table class="ledger" data-testid="ledger">
                      <caption id="ledger-caption">
                        Écritures du grand livre, page ${pageNumber}
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col" class="num">Position</th>
                          <th scope="col">Mouvement</th>
                          <th scope="col">Financeur</th>
                          ${filters?.campaign ? null : html`<th scope="col">Campagne</th>`}
                          <th scope="col">Candidature</th>
                          <th scope="col" class="num">Montant (exercice)</th>
                          <th scope="col" class="num">Montant décidé (pour information)</th>
                          <th scope="col">Référence</th>
                          <th scope="col">Qui</th>
                          <th scope="col">Date métier / enregistré le</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${entries.map((e) => {
                          const decision = decisionCells(e, decisions.get(`${e.position}-${e.line}`));
                          return html`<tr data-row=${`${e.position}-${e.line}`}>
                            <td class="num">${e.position}${e.line > 0 ? `.${e.line}` : ''}</td>
                            <td class="wrap">${e.movementLabel}</td>
                            <td>${e.funder ? funderLabel(e.funder) : '—'}</td>
                            ${filters?.campaign ? null : html`<td>${e.campaign ?? '—'}</td>`}
                            <td class="wrap">
                              ${
                                e.application
                                  ? html`<a href=${`#/audit/${e.application}`} onClick=${onOpenApplication}
                                      >${titles[e.application] ?? e.application}</a
                                    >`
                                  : '—'
                              }
                            </td>
                            <td class="num" data-value=${e.amountCents ?? ''}>
                              ${e.amountCents === null ? '—' : money(e.amountCents)}
                              <br /><small
                                >${`${e.year ?? '—'}${e.conventionYear ? ` (année ${e.conventionYear})` : ''}`}</small
                              >
                            </td>
                            ${decision.decided}
                            <td>${decision.reference}</td>
                            <td>
                              ${`${roleNames[e.actorRole] ?? e.actorRole}${e.actorInstitution ? ` — ${funderLabel(e.actorInstitution)}` : ''}`}
                              <br /><small class="code">${e.actorId}</small>
                            </td>
                            <td>
                              ${businessTime(e.occurredAt, e.recordedAt)}<br /><small
                                >${`enregistré ${dateTime(e.recordedAt)}`}</small
                              >
                            </td>
                          </tr>`;
                        })}
                      </tbody>
                    </table>
                  </div>`
            }`
        : html`<p class="empty">Choisissez des filtres (ou aucun) puis « Afficher ».</p>`
    }
  </section>`;
}

const views = [
  ['application', 'Candidature'],
  ['campaign', 'Campagne et enveloppes'],
  ['ledger', 'Grand livre'],
];

/** Tabs (WAI-ARIA pattern): arrows, Home and End move between them; only the open panel is drawn. */
function Tabs({ current, onChange }) {
  const focusTab = (key) => {
    onChange(key);
    requestAnimationFrame(() => document.getElementById(`tab-${key}`)?.focus());
  };
  const onKeyDown = (event) => {
    const focused = views.findIndex(([k]) => `tab-${k}` === event.target?.id);
    const i = focused >= 0 ? focused : views.findIndex(([k]) => k === current);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: views.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    focusTab(views[(to + views.length) % views.length][0]);
  };
  return html`<div class="tabs" role="tablist" aria-label="Vues de l’audit" onKeyDown=${onKeyDown}>
    ${views.map(
      ([key, label]) =>
        html`<button
          type="button"
          role="tab"
          id=${`tab-${key}`}
          aria-selected=${key === current ? 'true' : 'false'}
          aria-controls=${`panel-${key}`}
          tabindex=${key === current ? 0 : -1}
          onClick=${() => onChange(key)}
        >
          ${label}
        </button>`,
    )}
  </div>`;
}

/**
 * Downloads the SCDL file and says what it holds. The CSV is the file; its JSON twin (same question,
 * GET /api/audit/exports/scdl) gives the rows' count and, when the CSV is refused as incomplete
 * (SCDL_INCOMPLETE), the funders without a SIRET, named in the console's words: the API's detail
 * speaks to whoever runs the engine (a setting, a restart, `allowIncomplete=true`), not to an auditor.
 * A file with no row says which neighbouring years have conventions (scdlNeighbours).
 * @param {{ year: string, aboveThreshold: boolean, allowIncomplete: boolean, asOf: string }} form
 * The engine's last verification of the whole log comes with it (`integrity`): a log found altered
 * is said beside the file (`warning`), which must not be published as it is.
 * @returns {Promise<{ text: string, warning?: string }>} what to show once the file is downloaded
 */
async function exportScdl({ year, aboveThreshold, allowIncomplete, asOf }) {
  const queryOf = (y) =>
    `year=${encodeURIComponent(y)}${aboveThreshold ? '&aboveThreshold=true' : ''}${asOf ? `&asOf=${encodeURIComponent(asOf)}` : ''}`;
  const query = queryOf(year);
  const review = await api('GET', `/api/audit/exports/scdl?${query}`);
  const warning = review.integrity?.warning;
  const when = asOf ? ` (tel qu’enregistré au ${date(asOf)})` : '';
  const conventionsOf = `des conventions entrées en vigueur en ${review.year}`;
  try {
    await download(
      `/api/audit/exports/scdl.csv?${query}${allowIncomplete ? '&allowIncomplete=true' : ''}`,
      `scdl-subventions-${year}${asOf ? `-au-${asOf}` : ''}.csv`,
    );
  } catch (e) {
    const missing = review?.missingIdAttribuant ?? [];
    if (!(e instanceof ApiError) || e.code !== 'SCDL_INCOMPLETE' || missing.length === 0) throw e;
    throw new Error(
      `Export SCDL ${conventionsOf}${when} incomplet : le SIRET du financeur, que le schéma ` +
        `rend obligatoire (idAttribuant), est inconnu pour ${missingFunders(missing)}. Pour télécharger ` +
        'quand même le fichier, à compléter avant publication, cochez « Accepter un fichier incomplet » ' +
        'et relancez l’export. Pour un fichier publiable, demandez à l’administrateur du moteur (son ' +
        'exploitant) de déclarer le nom officiel et le SIRET de ces financeurs.',
    );
  }
  const rows = review?.rows?.length ?? 0;
  if (rows === 0) {
    const above = aboveThreshold ? ' au-dessus du seuil de publication obligatoire' : '';
    const none = `Aucune convention entrée en vigueur en ${review.year}${above}${when} : le fichier ne contient que l’en-tête.`;
    const neighbours = await scdlNeighbours(Number(review.year), queryOf);
    const text =
      neighbours.length === 0
        ? none
        : `${none} Il y en a en ${neighbours.map((n) => `${n.year} (${plural(n.rows, 'ligne')})`).join(' et en ')} : ` +
          'le fichier d’une année est celui des conventions dont la dernière signature date de cette année, ' +
          'pas celui d’un exercice du tableau de bord.';
    return { text, warning };
  }
  const incomplete = review.complete
    ? ''
    : ` Fichier incomplet : SIRET inconnu pour ${missingFunders(review.missingIdAttribuant ?? [])}, à compléter avant publication.`;
  return {
    text: `Fichier téléchargé ${conventionsOf}${when} : ${plural(rows, 'ligne')} sous l’en-tête, une par bénéficiaire et financeur.${incomplete}`,
    warning,
  };
}

/**
 * The years just before and after an SCDL year with no row that do have rows (same filters), asked
 * to the same JSON route: a convention of an AMI is signed in the year before, during or after it,
 * and an auditor who typed the dashboard's exercice is most often one year off. A year that cannot
 * be read is left out of the suggestion: the file asked for was downloaded and said.
 * @param {number} year @param {(year: number) => string} queryOf
 * @returns {Promise<{ year: number, rows: number }[]>}
 */
async function scdlNeighbours(year, queryOf) {
  const found = await Promise.all(
    [year - 1, year + 1].map((y) =>
      api('GET', `/api/audit/exports/scdl?${queryOf(y)}`).then(
        (r) => ({ year: y, rows: r?.rows?.length ?? 0 }),
        () => ({ year: y, rows: 0 }),
      ),
    ),
  );
  return found.filter((n) => n.rows > 0);
}
/**
 * « « État » (ETAT, 2 lignes), « Région » (REGION, 1 ligne) »: named as the API names them, in the
 * funders' order (the API's is by code).
 */
const missingFunders = (missing) =>
  byFunder(missing)
    .map((m) => `« ${frenchText(m.nomAttribuant)} » (${m.funder}, ${plural(m.rows, 'ligne')})`)
    .join(', ');

export function AuditPage({ principal, id }) {
  const list = useApi('/api/applications?limit=200');
  const campaignsApi = useApi(principal.role === 'auditor' ? '/api/campaigns' : null);
  const [view, setView] = useState('application');
  // The dates and times of the as-of forms, as typed: kept across replays and tabs (the views are
  // redrawn). No time: the end of the day.
  const [asOf, setAsOf] = useState(() => ({
    application: { date: today(), time: '' },
    campaign: { date: today(), time: '' },
  }));
  /** @param {'application' | 'campaign'} key */
  const asOfOf = (key) => (at) => setAsOf((dates) => ({ ...dates, [key]: { ...dates[key], ...at } }));
  const [verify, setVerify] = useState(/** @type {any} */ (null));
  const [digest, setDigest] = useState(/** @type {any} */ (null));
  const [digestUpTo, setDigestUpTo] = useState('');
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [scdlYear, setScdlYear] = useState(String(new Date().getFullYear()));
  const [aboveThreshold, setAboveThreshold] = useState(false);
  const [allowIncomplete, setAllowIncomplete] = useState(false);
  /** Empty: today's file; a date: the file as the log stood at the end of that day (record time). */
  const [scdlAsOf, setScdlAsOf] = useState('');
  /** What the last SCDL download held (its rows), said beside the form, and a log found altered. */
  const [scdlStatus, setScdlStatus] = useState(
    /** @type {{ text: string, warning?: string } | null} */ (null),
  );
  const auditor = principal.role === 'auditor';
  const campaigns = campaignsApi.data?.items ?? [];
  /** Application titles by id, for the campaign and ledger views' links. */
  const titles = Object.fromEntries((list.data?.items ?? []).map((a) => [a.id, a.title]));
  const run = async (fn) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(errorText(e, auditFieldNames));
    }
  };
  if (!auditor)
    return html`<section>
      <h1>Historique des candidatures</h1>
      <${ApplicationView} id=${id} list=${list} at=${asOf.application} onAt=${asOfOf('application')} />
    </section>`;
  return html`<section>
    <h1>Audit</h1>
    <section aria-labelledby="integrity-title">
      <h2 id="integrity-title">Intégrité et exports</h2>
      <p class="buttons">
        <button
          type="button"
          class="primary"
          onClick=${() => run(async () => setVerify(await api('POST', '/api/audit/verify', {})))}
        >
          Vérifier l’intégrité du journal
        </button>
        ${id ? html`<button type="button" onClick=${() => run(async () => setVerify(await api('POST', '/api/audit/verify', { stream: `application-${id}` })))}>Vérifier cette candidature</button>` : null}
        <button
          type="button"
          onClick=${() => run(() => download('/api/audit/ledger.csv', 'grand-livre-financements.csv'))}
        >
          Grand livre complet (CSV)
        </button>
      </p>
      ${verify ? html`<p class=${verify.ok ? 'notice' : 'refusal'} role="status" data-testid="verify">${frenchText(verify.summary)}</p>` : null}
      ${verify ? html`<${BrokenStreams} report=${verify} />` : null}
      ${
        verify?.nextSteps?.length
          ? html`<div class="explain" data-testid="verify-next-steps">
              <p><strong>Que faire :</strong></p>
              <ol>
                ${verify.nextSteps.map((step) => html`<li>${step}</li>`)}
              </ol>
            </div>`
          : null
      }
      <form
        class="inline"
        onSubmit=${(e) => {
          e.preventDefault();
          const upTo = digestUpTo.trim();
          return run(async () =>
            setDigest(
              await api('GET', `/api/audit/digest${upTo ? `?upTo=${encodeURIComponent(upTo)}` : ''}`),
            ),
          );
        }}
      >
        <div class="field">
          <label for="digest-up-to">Empreinte du journal jusqu’à la position</label
          ><input
            id="digest-up-to"
            inputmode="numeric"
            placeholder="dernier événement"
            value=${digestUpTo}
            onInput=${(e) => setDigestUpTo(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Calculer l’empreinte</button>
      </form>
      ${
        digest
          ? html`<p class="notice" role="status" data-testid="digest">
              ${frenchText(digest.summary)}<br /><small
                >À comparer à l’empreinte notée ailleurs (sauvegarde.json d’une sauvegarde, registre) :
                identique tant que rien n’a été réécrit ni retiré avant cette position.</small
              >
            </p>`
          : null
      }
      <section aria-labelledby="scdl-title" class="scdl">
        <h3 id="scdl-title">Export SCDL « subventions » (données ouvertes)</h3>
        <form
          class="scdl-form"
          onSubmit=${(e) => {
            e.preventDefault();
            setScdlStatus(null);
            if (scdlYear.trim() === '') return setError(`${auditFieldNames.year} : à remplir.`);
            return run(async () =>
              setScdlStatus(
                await exportScdl({ year: scdlYear, aboveThreshold, allowIncomplete, asOf: scdlAsOf }),
              ),
            );
          }}
        >
          <div class="scdl-dates">
            <div class="field">
              <label for="scdl-year">${scdlYearLabel}</label
              ><input
                id="scdl-year"
                type="number"
                min="2000"
                max="2100"
                aria-describedby="scdl-year-hint"
                value=${scdlYear}
                onInput=${(e) => setScdlYear(e.currentTarget.value)}
              />
              <small id="scdl-year-hint"
                >L’année de la dernière signature (dateConvention), pas l’exercice du tableau de bord : une
                convention de l’AMI 2027 signée en décembre 2026 est dans le fichier de 2026.</small
              >
            </div>
            <div class="field">
              <label for="scdl-as-of">Tel qu’enregistré au (facultatif)</label
              ><input
                id="scdl-as-of"
                type="date"
                aria-describedby="scdl-as-of-hint"
                value=${scdlAsOf}
                onInput=${(e) => setScdlAsOf(e.currentTarget.value)}
              />
              <small id="scdl-as-of-hint"
                >Le fichier qu’on pouvait tirer à la fin de ce jour, pour le comparer à celui publié alors ;
                vide : aujourd’hui.</small
              >
            </div>
          </div>
          <div class="radio">
            <input
              type="checkbox"
              id="scdl-threshold"
              checked=${aboveThreshold}
              onChange=${(e) => setAboveThreshold(e.currentTarget.checked)}
            /><label for="scdl-threshold"
              >Seulement au-dessus de 23 000 € par an (publication obligatoire)</label
            >
          </div>
          <div class="radio">
            <input
              type="checkbox"
              id="scdl-incomplete"
              checked=${allowIncomplete}
              onChange=${(e) => setAllowIncomplete(e.currentTarget.checked)}
            /><label for="scdl-incomplete"
              >Accepter un fichier incomplet (SIRET de financeurs inconnus : pas encore publiable)</label
            >
          </div>
          <button type="submit">Export SCDL « subventions » (CSV)</button>
        </form>
        ${scdlStatus ? html`<p class="notice" role="status" data-testid="scdl-status">${scdlStatus.text}</p>` : null}
        ${
          scdlStatus?.warning
            ? html`<p class="refusal" role="alert" data-testid="scdl-integrity">${scdlStatus.warning}</p>`
            : null
        }
      </section>
    </section>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    <${Tabs} current=${view} onChange=${setView} />
    <div role="tabpanel" id=${`panel-${view}`} aria-labelledby=${`tab-${view}`} tabindex="0">
      ${
        view === 'application'
          ? html`<${ApplicationView}
              id=${id}
              list=${list}
              at=${asOf.application}
              onAt=${asOfOf('application')}
            />`
          : view === 'campaign'
            ? html`<${CampaignView}
                campaigns=${campaigns}
                titles=${titles}
                at=${asOf.campaign}
                onAt=${asOfOf('campaign')}
              />`
            : html`<${LedgerView}
                campaigns=${campaigns}
                titles=${titles}
                onOpenApplication=${() => setView('application')}
              />`
      }
    </div>
  </section>`;
}
