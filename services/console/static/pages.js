// Pages of the people who act on applications: the queue (grant managers, funders, conseil citoyen,
// porteurs), one application's full picture with the actions possible now, the porteur's
// submission form, and the grant manager's campaigns.
import { useEffect, useRef, useState, useCallback } from './vendor/hooks.mjs';
import {
  ActionForm,
  CommandForm,
  ConventionTerms,
  ErrorSummary,
  FieldInput,
  apiErrors,
  beforeSending,
  checkFields,
  focusFirstError,
  parisMidnight,
  textMax,
} from './actions.js';
import { communeFunders } from './communes.js';
import {
  eventDetail,
  eventLabels,
  opinionLabels,
  recoveryReasons,
  terminationLabels,
} from './eventDetails.js';
import { whyNot } from './whyNot.js';
import {
  html,
  api,
  ApiError,
  money,
  count,
  plural,
  date,
  businessTime,
  dateTime,
  lastDayBefore,
  frenchText,
  funderLabel,
  byFunder,
  compareFunders,
  theFunder,
  toFunder,
  ofFunder,
  themes,
  statusLabels,
  centsOf,
  lines,
  today,
  addDays,
  roleLabels,
  focusHeading,
  installmentLabels,
  triggerText,
  TableScroll,
  useCommandSender,
} from './lib.js';

/** Loads `path` and reloads it on demand. */
export function useApi(path) {
  const [state, setState] = useState(
    /** @type {{ data?: any, error?: string, status?: number, loading: boolean }} */ ({ loading: true }),
  );
  const load = useCallback(() => {
    if (!path) return;
    setState((s) => ({ ...s, loading: true }));
    api('GET', path).then(
      (data) => setState({ data, loading: false }),
      (e) =>
        setState({ error: e.message, status: e instanceof ApiError ? e.status : undefined, loading: false }),
    );
  }, [path]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}

// The quartiers' names come from the API (GET /api/reference/qpv/:version), per version of the QPV
// reference a campaign was built on (its territory.qpvReferenceVersion), fetched once per version and
// kept in the page's memory. A version the engine does not know (404) shows codes only: the console
// never guesses a name.

/** @type {Map<string, Promise<any>>} */
const qpvReferenceRequests = new Map();
/** Answers received: the reference, or null when the engine does not know the version. */
const qpvReferencesKnown = new Map();

/** @param {string} version */
function loadQpvReference(version) {
  let request = qpvReferenceRequests.get(version);
  if (request === undefined) {
    request = api('GET', `/api/reference/qpv/${encodeURIComponent(version)}`)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      })
      .then(
        (reference) => {
          qpvReferencesKnown.set(version, reference);
          return reference;
        },
        (e) => {
          // A network failure or an expired session: asked again next time, not kept.
          qpvReferenceRequests.delete(version);
          throw e;
        },
      );
    qpvReferenceRequests.set(version, request);
  }
  return request;
}

/**
 * The quartiers' names for a reference version: `name(code)` is undefined when unknown, `label(code)`
 * is « Nom (CODE) » or the code alone; `reference` ({ version, source, date, placeholder, entries })
 * is undefined when there are no names, `loading` true while they are being fetched.
 * @param {string | null | undefined} version
 * @param {any} [reference] the API's answer for that version (null or undefined: none)
 */
export function qpvNaming(version, reference, loading = false) {
  /** @type {Map<string, string>} */
  const names = new Map((reference?.entries ?? []).map((e) => [e.code, e.name]));
  /** @param {string} code */
  const name = (code) => names.get(code);
  return {
    version: version ?? null,
    reference: reference ?? undefined,
    loading,
    name,
    /** @param {string} code */
    label: (code) => (name(code) ? `${name(code)} (${code})` : code),
  };
}

/** qpvNaming for a version, its reference fetched from the API (once per version and page). */
export function useQpvNaming(version) {
  const [answer, setAnswer] = useState(
    /** @type {{ version: string | null, reference: any }} */ ({ version: null, reference: null }),
  );
  useEffect(() => {
    if (!version || qpvReferencesKnown.has(version)) return undefined;
    let live = true;
    const settle = (reference) => {
      if (live) setAnswer({ version, reference });
    };
    loadQpvReference(version).then(settle, () => settle(null));
    return () => {
      live = false;
    };
  }, [version]);
  if (!version) return qpvNaming(version, null);
  if (qpvReferencesKnown.has(version)) return qpvNaming(version, qpvReferencesKnown.get(version));
  if (answer.version === version) return qpvNaming(version, answer.reference);
  return qpvNaming(version, null, true);
}

const deadlineKinds = {
  'co-decision-due': 'co-décision',
  'complements-due': 'compléments',
  'signature-due': 'signature',
  'report-due': 'fin de l’année de convention',
  'report-overdue': 'compte rendu',
};

/**
 * An application's next deadline (the API's `nextDeadline`: `at`, the instant it passes, and its
 * kind) as people read it: `day`, the last day still allowed (civil date: `at` is midnight at the
 * start of the day after), `kind` in French, `overdue` once `at` is reached.
 * @param {{ at: string, kind: string } | null | undefined} deadline
 */
export function deadlineOf(deadline, now = Date.now()) {
  if (!deadline) return null;
  return {
    day: lastDayBefore(deadline.at),
    kind: deadlineKinds[deadline.kind] ?? deadline.kind,
    overdue: new Date(deadline.at).getTime() <= now,
  };
}

/**
 * Yearly reports marked overdue, by application: the last day each was due (the oldest when several).
 * The application's `nextDeadline` keeps that passed date too (its earliest); this list is read as
 * well so that the reports page and the queues say the same date, from the same source.
 * @param {boolean} [wanted] false: nothing asked (roles that cannot read the list)
 */
function useOverdueReports(wanted = true) {
  const list = useApi(wanted ? '/api/reports/overdue?limit=5000' : null);
  /** @type {Map<string, string>} */
  const dueByApplication = new Map();
  for (const r of list.data?.items ?? [])
    if (!dueByApplication.has(r.applicationId)) dueByApplication.set(r.applicationId, r.dueDate);
  return { dueByApplication, reload: list.reload };
}

/**
 * What the Échéance column says of one list item: its overdue yearly report first (`overdueReports`,
 * from useOverdueReports), else its next deadline; `day` null when only the waiting label says it is
 * late (the overdue list could not be read).
 * @param {any} a a list item
 * @param {Map<string, string>} [overdueReports]
 */
function deadlineOfItem(a, overdueReports, now = Date.now()) {
  const reportDue = overdueReports?.get(a.id);
  if (reportDue) return { day: reportDue, kind: deadlineKinds['report-overdue'], overdue: true };
  const next = deadlineOf(a.nextDeadline, now);
  if (next) return next;
  // The domain's hint on an overdue report (« …, en retard : versements suspendus »).
  if (/en retard/i.test(a.waitingFor ?? ''))
    return { day: null, kind: deadlineKinds['report-overdue'], overdue: true };
  return null;
}

/**
 * @param {{ items: any[], caption: string, empty?: string, requestedLabel?: string, overdueReports?: Map<string, string>, campaignName?: (campaignId: string) => string }} props
 * `requestedLabel`: the column of the amount asked; in a list filtered by funder (a funder's own) each
 * item carries that funder's share (funderAmounts), shown instead of what all funders were asked.
 * `campaignName`: a « Campagne » column, each application's AMI by its name (the grant manager's
 * queue, where several campaigns' files are mixed).
 */
function QueueTable({
  items,
  caption,
  empty = 'Rien en attente.',
  requestedLabel = 'Demandé',
  overdueReports,
  campaignName,
}) {
  const now = Date.now();
  if (!items?.length) return html`<p class="empty">${empty}</p>`;
  // On a phone each row is a card (app.css), each cell under its column's name (`data-label`, drawn
  // by the stylesheet and hidden from screen readers, which have the header): the deadline and
  // « En retard » in sight, not beyond the screen's edge. The explicit roles keep the table's
  // semantics, which some browsers drop from a table displayed as blocks.
  return html`<div class="table-scroll">
    <table class="queue" role="table">
      <caption>
        ${caption}
      </caption>
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">Action</th>
          ${campaignName ? html`<th scope="col" role="columnheader">Campagne</th>` : null}
          <th scope="col" role="columnheader">Porteur</th>
          <th scope="col" role="columnheader">Statut</th>
          <th scope="col" role="columnheader">En attente de</th>
          <th scope="col" role="columnheader">Échéance</th>
          <th scope="col" role="columnheader" class="num">${requestedLabel}</th>
        </tr>
      </thead>
      <tbody role="rowgroup">
        ${items.map((a) => {
          const deadline = deadlineOfItem(a, overdueReports, now);
          return html`<tr role="row" class=${deadline?.overdue ? 'overdue' : ''} data-application=${a.id}>
            <td role="cell" data-label="Action"><a href=${`#/candidatures/${a.id}`}>${a.title}</a></td>
            ${
              campaignName
                ? html`<td role="cell" data-label="Campagne" data-campaign=${a.campaignId}>
                    ${campaignName(a.campaignId)}
                  </td>`
                : null
            }
            <td role="cell" data-label="Porteur">${a.porteur?.name}</td>
            <td role="cell" data-label="Statut">${a.statusLabel ?? statusLabels[a.status] ?? a.status}</td>
            <td role="cell" data-label="En attente de">${frenchText(a.waitingFor) ?? '—'}</td>
            <td role="cell" data-label="Échéance">
              ${
                deadline
                  ? html`${deadline.overdue ? html`<strong class="badge-late">En retard</strong> ` : null}${
                        deadline.day
                          ? html`<span data-field="deadline" data-value=${deadline.day}
                              >${date(deadline.day)}</span
                            >`
                          : null
                      }${' '}<small>(${deadline.kind})</small>`
                  : '—'
              }
            </td>
            <td role="cell" data-label=${requestedLabel} class="num">
              ${money((a.funderAmounts ?? a.amounts)?.requestedCents)}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

/**
 * Overdue first (oldest first), then the soonest deadline, none last (as the API's sort=deadline,
 * for lists merged in the page). A report's due date comes from `overdueReports` when it is listed.
 * @param {any[]} items
 * @param {Map<string, string>} [overdueReports]
 */
const overdueFirst = (items, overdueReports) => {
  const now = Date.now();
  const keyed = items.map((a) => {
    const d = deadlineOfItem(a, overdueReports, now);
    return { a, late: d?.overdue ? 0 : 1, day: d?.day ?? (d?.overdue ? '' : '\uffff') };
  });
  keyed.sort((x, y) => x.late - y.late || (x.day < y.day ? -1 : x.day > y.day ? 1 : 0));
  return keyed.map((k) => k.a);
};

/** The domain's terminal statuses: nothing waits on anyone any more. */
const finishedStatuses = ['withdrawn', 'ineligible', 'rejected', 'lapsed', 'closed', 'terminated'];
/** Where an application still waits on someone. */
const liveStatuses = Object.keys(statusLabels).filter(
  (s) => s !== 'not_submitted' && !finishedStatuses.includes(s),
);
const queueLimit = 200;

/**
 * Several lists of the API at once (GET /api/applications takes one status at a time): the pages
 * in the order of `paths`, reloaded on demand; nothing is asked while `paths` is empty.
 * @param {string[]} paths
 */
function useLists(paths) {
  const key = paths.join('\n');
  const [state, setState] = useState(
    /** @type {{ pages?: any[], error?: string, loading: boolean, of?: string }} */ ({
      loading: paths.length > 0,
    }),
  );
  // The lists now wanted: an answer for former ones, come late, is dropped.
  const wanted = useRef(key);
  wanted.current = key;
  const load = useCallback(() => {
    if (paths.length === 0) return;
    setState((s) => ({ ...s, loading: true }));
    const settle = (next) => {
      if (wanted.current === key) setState({ ...next, loading: false, of: key });
    };
    Promise.all(paths.map((p) => api('GET', p))).then(
      (pages) => settle({ pages }),
      (e) => settle({ error: e.message }),
    );
  }, [key]);
  useEffect(load, [load]);
  // Other lists asked for (another filter): the pages of the former ones are not shown meanwhile;
  // reloaded as they are, they stay until the new ones come.
  if (state.of !== undefined && state.of !== key) return { loading: true, reload: load };
  return { ...state, reload: load };
}

/**
 * One request for every application in one of `statuses` (the API takes `status` repeated), of one
 * campaign when `campaignId` is given.
 * @param {string[]} statuses @param {string} sort @param {string} [campaignId]
 */
const inStatuses = (statuses, sort, campaignId = '') => [
  `/api/applications?sort=${sort}&${statuses.map((s) => `status=${encodeURIComponent(s)}`).join('&')}` +
    `${campaignId ? `&campaignId=${encodeURIComponent(campaignId)}` : ''}&limit=${queueLimit}`,
];

/**
 * A list cut at the limit: how many shown out of how many, and which ones (the API's order). `shown`
 * agrees with what the list counts: « candidatures affichées », « dossiers affichés ».
 * @param {{ pages?: any[], shown?: string, which?: string }} props
 */
function Truncated({ pages, shown = 'candidatures affichées', which = 'les échéances les plus proches' }) {
  const page = pages?.[0];
  if (!page || page.total <= page.items.length) return null;
  return html`<p class="hint">
    ${`${count(page.items.length)} ${shown} sur ${count(page.total)} (${which}).`}
  </p>`;
}

/** The items of several pages of the list, in order. */
const items = (pages) => (pages ?? []).flatMap((p) => p.items);

/**
 * Finished files (withdrawn, ineligible, rejected, lapsed, closed, terminated) are not work: a
 * folded section under a queue, the most recently submitted first. `finished` is asked of the API
 * only once the section is `open` (`onOpen`).
 * @param {{ finished: ReturnType<typeof useLists>, open: boolean, onOpen: (open: boolean) => void, campaignName?: (campaignId: string) => string, requestedLabel?: string, title?: string }} props
 */
function FinishedFiles({
  finished,
  open,
  onOpen,
  campaignName,
  requestedLabel,
  title = 'Dossiers terminés',
}) {
  return html`<details
    class="finished"
    data-testid="finished"
    onToggle=${(e) => onOpen(e.currentTarget.open)}
  >
    <summary>${title} (retirés, irrecevables, rejetés, caducs, clôturés, résiliés)</summary>
    ${finished.error ? html`<p class="refusal" role="alert">${finished.error}</p>` : null}
    ${
      !open || (finished.loading && !finished.pages)
        ? html`<p>Chargement…</p>`
        : html`<${QueueTable}
              items=${items(finished.pages).sort((a, b) => String(b.submittedAt).localeCompare(String(a.submittedAt)))}
              campaignName=${campaignName}
              requestedLabel=${requestedLabel}
              caption=${`${title} (les plus récents en tête)`}
              empty="Aucun dossier terminé."
            />
            <${Truncated}
              pages=${finished.pages}
              shown="dossiers affichés"
              which="les plus récemment déposés"
            />`
    }
  </details>`;
}

/**
 * The campaign the grant manager's queue was last filtered on, kept while the console stays open: back
 * from an application's page, the queue is the one left.
 */
let queueCampaign = '';

/**
 * « Campagne » above the grant manager's queue: every campaign (GET /api/campaigns, the most recent
 * first) or one, asked of the API (`campaignId`), so that a list cut at its limit is cut within it.
 * @param {{ campaigns: any[], value: string, onChange: (campaignId: string) => void }} props
 */
function CampaignFilter({ campaigns, value, onChange }) {
  return html`<div class="field queue-filter">
    <label for="queue-campaign">Campagne</label>
    <select id="queue-campaign" onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="" selected=${value === ''}>Toutes les campagnes</option>
      ${campaigns.map(
        (c) =>
          html`<option value=${c.campaignId} selected=${c.campaignId === value}>
            ${c.name ?? c.campaignId}
          </option>`,
      )}
    </select>
  </div>`;
}

/**
 * The grant manager's queue: every application that still waits on someone (one request for the
 * live statuses, soonest deadline first, overdue first), each with its campaign (the AMI of its
 * year: several are open or running at once), all campaigns' or one's. Finished files (withdrawn,
 * ineligible, rejected, lapsed, closed, terminated) are not work: they are in a folded section, asked
 * for the API only when it is opened.
 */
function ManagerQueue() {
  const [campaignId, setCampaignId] = useState(queueCampaign);
  const chooseCampaign = (id) => {
    queueCampaign = id;
    setCampaignId(id);
  };
  const campaignsApi = useApi('/api/campaigns');
  const campaigns = campaignsApi.data?.items ?? [];
  /** A campaign by its name; by its id while the list has not come (or lacks it). */
  const campaignName = (id) => campaigns.find((c) => c.campaignId === id)?.name ?? id;
  const live = useLists(inStatuses(liveStatuses, 'deadline', campaignId));
  const late = useOverdueReports();
  const [showFinished, setShowFinished] = useState(false);
  const finished = useLists(showFinished ? inStatuses(finishedStatuses, 'submitted', campaignId) : []);
  // The manager's own work first: an eligibility to rule on has no deadline, and sorted among the
  // files waiting on others by date it came last.
  const waitsOnManager = (a) => (a.waitingOn ?? []).includes('grant_manager');
  const open = items(live.pages);
  return html`<${CampaignFilter} campaigns=${campaigns} value=${campaignId} onChange=${chooseCampaign} />
    ${live.error ? html`<p class="refusal" role="alert">${live.error}</p>` : null}
    ${
      live.loading && !live.pages
        ? html`<p>Chargement…</p>`
        : html`<h2>À traiter par vous</h2>
            <div data-testid="queue-mine">
              <${QueueTable}
                items=${overdueFirst(open.filter(waitsOnManager), late.dueByApplication)}
                overdueReports=${late.dueByApplication}
                campaignName=${campaignName}
                caption="Ce que vous avez à faire (retards en tête)"
                empty="Rien à traiter pour le moment."
              />
            </div>
            <h2>En attente des autres</h2>
            <div data-testid="queue-others">
              <${QueueTable}
                items=${overdueFirst(
                  open.filter((a) => !waitsOnManager(a)),
                  late.dueByApplication,
                )}
                overdueReports=${late.dueByApplication}
                campaignName=${campaignName}
                caption="Ce qui attend les financeurs, les porteurs ou le conseil citoyen, jusqu’à quand"
                empty="Rien en attente des autres."
              />
            </div>
            <${Truncated} pages=${live.pages} />`
    }
    <${FinishedFiles}
      finished=${finished}
      open=${showFinished}
      onOpen=${setShowFinished}
      campaignName=${campaignName}
    />
    <button
      type="button"
      onClick=${() => {
        live.reload();
        late.reload();
        finished.reload();
        campaignsApi.reload();
      }}
    >
      Actualiser
    </button>`;
}

/**
 * Everyone's home but the evaluator's and the auditor's: the grant manager's queue (ManagerQueue); for
 * a funder or the conseil citoyen, what waits on them first; then the files under way they may see (a
 * porteur: its own), overdue first; finished ones folded apart.
 */
export function QueuePage({ principal }) {
  const manager = principal.role === 'grant_manager';
  const waitingOn =
    principal.role === 'funder'
      ? principal.institution
      : principal.role === 'citizen_council'
        ? 'citizen_council'
        : null;
  // The same limit as the whole list (the API's own is 50): a list cut there says so (Truncated).
  const mine = useApi(
    waitingOn
      ? `/api/applications?sort=deadline&waitingOn=${encodeURIComponent(waitingOn)}&limit=${queueLimit}`
      : null,
  );
  // Files still under way, soonest deadline first; finished ones folded apart, as in the manager's queue.
  const all = useLists(manager ? [] : inStatuses(liveStatuses, 'deadline'));
  const [showFinished, setShowFinished] = useState(false);
  const finished = useLists(!manager && showFinished ? inStatuses(finishedStatuses, 'submitted') : []);
  // The conseil citoyen may not read the reports (403): its opinions come before any convention.
  const late = useOverdueReports(!manager && principal.role !== 'citizen_council');
  const title = manager
    ? 'File d’attente'
    : principal.role === 'porteur'
      ? 'Mes candidatures'
      : principal.role === 'funder'
        ? `À traiter — ${funderLabel(principal.institution)}`
        : 'Avis attendus du conseil citoyen';
  // A funder's lists are filtered by its institution: each item carries its own share (funderAmounts).
  const requestedLabel =
    principal.role === 'funder' ? `Demandé ${toFunder(principal.institution)}` : 'Demandé';
  if (manager)
    return html`<section>
      <h1>${title}</h1>
      <${ManagerQueue} />
    </section>`;
  return html`<section>
    <h1>${title}</h1>
    ${
      waitingOn
        ? html`<h2>
              ${principal.role === 'funder' ? 'En attente de vous (position ou signature)' : 'En attente de votre avis'}
            </h2>
            ${mine.error ? html`<p class="refusal" role="alert">${mine.error}</p>` : null}
            ${
              mine.loading && !mine.data
                ? html`<p>Chargement…</p>`
                : html`<${QueueTable}
                      items=${overdueFirst(mine.data?.items ?? [], late.dueByApplication)}
                      overdueReports=${late.dueByApplication}
                      caption="Candidatures qui attendent votre réponse (retards en tête)"
                      requestedLabel=${requestedLabel}
                    />
                    <${Truncated} pages=${mine.data ? [mine.data] : undefined} />`
            }
            <h2>Toutes les candidatures en cours</h2>`
        : null
    }
    ${all.error ? html`<p class="refusal" role="alert">${all.error}</p>` : null}
    ${
      all.loading && !all.pages
        ? html`<p>Chargement…</p>`
        : html`<${QueueTable}
              items=${overdueFirst(items(all.pages), late.dueByApplication)}
              overdueReports=${late.dueByApplication}
              caption=${principal.role === 'porteur' ? 'Mes candidatures en cours (retards en tête, puis les échéances les plus proches)' : 'Candidatures en cours (retards en tête, puis les échéances les plus proches)'}
              empty=${principal.role === 'porteur' ? 'Aucune candidature en cours.' : 'Aucune candidature en cours visible.'}
              requestedLabel=${requestedLabel}
            />
            <${Truncated} pages=${all.pages} />`
    }
    <${FinishedFiles}
      finished=${finished}
      open=${showFinished}
      onOpen=${setShowFinished}
      requestedLabel=${requestedLabel}
      title=${principal.role === 'porteur' ? 'Mes dossiers terminés' : 'Dossiers terminés'}
    />
    <button
      type="button"
      onClick=${() => {
        all.reload();
        mine.reload();
        late.reload();
        finished.reload();
      }}
    >
      Actualiser
    </button>
  </section>`;
}

const outcomeLabels = { pass: 'Conforme', warn: 'Alerte', fail: 'Échec' };

/** Who: the role, for whom, and the account itself (an auditor's « qui », not only « quel rôle »). */
const actorOf = (m) => {
  const a = m?.actor;
  if (!a) return '—';
  const who = [roleLabels[a.role] ?? a.role, a.institution ? funderLabel(a.institution) : null, a.porteurId]
    .filter(Boolean)
    .join(' — ');
  return a.role === 'system' ? who : html`${who} · <span class="code">${a.id}</span>`;
};

/** A campaign's envelopes, one row per funder (the campaign page, and the auditor's as-of view). */
export function EnvelopeTable({ funders, caption, testId }) {
  return html`<${TableScroll} label=${caption}>
    <table data-testid=${testId}>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Financeur</th>
          <th scope="col" class="num">Enveloppe</th>
        </tr>
      </thead>
      <tbody>
        ${byFunder(funders).map(
          (f) =>
            html`<tr data-row=${f.funder} data-funder=${f.funder}>
              <th scope="row">${funderLabel(f.funder)}</th>
              <td class="num" data-value=${f.envelopeCents}>${money(f.envelopeCents)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

/** The console's words for an event's detail line (eventDetails.js). */
const detailWords = { money, date, funder: funderLabel, theFunder, compareFunders, plural };

/**
 * The events of one stream, in order: what, who, business time and record time, what each said (a
 * line of French) and, unfolded on demand, its data as the log stores it.
 */
export function Timeline({ stream }) {
  const { data, error, loading } = useApi(
    `/api/audit/streams/${encodeURIComponent(stream)}/events?limit=500`,
  );
  if (error) return html`<p class="refusal" role="alert">${error}</p>`;
  if (loading && !data) return html`<p>Chargement de l’historique…</p>`;
  return html`<${TableScroll} label="Historique">
    <table class="timeline" data-testid="timeline">
      <caption>
        Historique (${plural(data.events.length, 'événement')}, dans l’ordre du journal)
      </caption>
      <thead>
        <tr>
          <th scope="col" class="num">Rév.</th>
          <th scope="col">Événement</th>
          <th scope="col">Détail</th>
          <th scope="col">Qui</th>
          <th scope="col">Date métier</th>
          <th scope="col">Enregistré le</th>
        </tr>
      </thead>
      <tbody>
        ${data.events.map(
          (e) =>
            html`<tr>
              <td class="num">${e.revision}</td>
              <td>${eventLabels[e.type] ?? e.type} <small class="code">${e.type}</small></td>
              <td class="event-detail">
                ${frenchText(eventDetail(e, detailWords))}
                <details>
                  <summary>Données enregistrées</summary>
                  <pre class="code">${JSON.stringify(e.data, null, 2)}</pre>
                </details>
              </td>
              <td>${actorOf(e.metadata)}</td>
              <td>${businessTime(e.metadata?.occurredAt, e.metadata?.recordedAt)}</td>
              <td>${dateTime(e.metadata?.recordedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

function Dossier({ state, qpvVersion }) {
  const d = state.dossier;
  const qpv = useQpvNaming(qpvVersion);
  if (!d) return null;
  return html`<section aria-labelledby="dossier-title">
    <h2 id="dossier-title">Dossier</h2>
    <dl class="facts">
      <dt>Porteur</dt>
      <dd>
        ${d.porteur.name} ${d.porteur.siret ? `(SIRET ${d.porteur.siret})` : ''}
        ${d.porteur.rna ? `(RNA ${d.porteur.rna})` : ''}
      </dd>
      <dt>Action</dt>
      <dd>${d.action.title}</dd>
      <dt>Résumé</dt>
      <dd>${d.action.summary}</dd>
      <dt>Thème</dt>
      <dd>${d.action.theme} ${themes.find(([c]) => c === d.action.theme)?.[1] ?? ''}</dd>
      <dt>Quartiers (QPV)</dt>
      <dd data-field="qpv">${d.action.qpvCodes.map((c) => qpv.label(c)).join(', ')}</dd>
      <dt>Bénéficiaires attendus</dt>
      <dd>${count(d.action.expectedBeneficiaries)}</dd>
      <dt>Implication des habitants</dt>
      <dd>${d.action.residentsInvolvement || '—'}</dd>
      <dt>Durée</dt>
      <dd>${d.durationYears} an${d.durationYears > 1 ? 's' : ''}</dd>
    </dl>
    <${TableScroll} label="Budget prévisionnel">
      <table>
        <caption>
          Budget prévisionnel
        </caption>
        <thead>
          <tr>
            <th scope="col">Année</th>
            <th scope="col" class="num">Coût total</th>
            <th scope="col">Demandé</th>
            <th scope="col" class="num">Autres ressources</th>
          </tr>
        </thead>
        <tbody>
          ${d.budget.map(
            (b) =>
              html`<tr>
                <td>${b.year}</td>
                <td class="num">${money(b.totalCostCents)}</td>
                <td>
                  ${byFunder(b.requested)
                    .map((r) => `${funderLabel(r.funder)} : ${money(r.amountCents)}`)
                    .join(' ; ')}
                </td>
                <td class="num">${money(b.otherResourcesCents)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
  </section>`;
}

/**
 * How the co-decision ended, once it has: the committee's decision (the state keeps `award` or
 * `rejection` from then on). Null while it runs.
 */
const coDecisionOutcome = (state) => {
  if (state.status === 'co_decision') return null;
  if (state.rejection)
    return `rejet du comité de pilotage le ${date(state.rejection.decisionDate)} (${state.rejection.decisionReference})`;
  if (state.award)
    return `approbation du comité de pilotage le ${date(state.award.decisionDate)} (${state.award.decisionReference})`;
  // No state keeps a closed co-decision without either today (a withdrawal drops the co-decision):
  // said in words all the same, should one come.
  return 'terminée sans décision du comité de pilotage';
};

function CoDecision({ state }) {
  const c = state.coDecision;
  if (!c) return null;
  // Once the committee has decided, the deadline means nothing any more: the step is over.
  const outcome = coDecisionOutcome(state);
  return html`<section aria-labelledby="codecision-title" data-testid="codecision">
    <h2 id="codecision-title">
      ${outcome ? 'Co-décision des financeurs (terminée)' : `Co-décision des financeurs (jusqu’au ${date(c.dueDate)} inclus)`}
    </h2>
    ${outcome ? html`<p data-field="codecision-outcome">Issue : ${outcome}.</p>` : null}
    <${TableScroll} label="Positions des financeurs sollicités">
      <table>
        <caption>
          Positions des financeurs sollicités
        </caption>
        <thead>
          <tr>
            <th scope="col">Financeur</th>
            <th scope="col">Position</th>
            <th scope="col">Détail</th>
          </tr>
        </thead>
        <tbody>
          ${[...c.solicitedFunders].sort(compareFunders).map((f) => {
            const p = c.positions[f];
            return html`<tr>
              <td>${funderLabel(f)}</td>
              <td>
                ${!p ? (outcome ? 'Sans réponse' : 'En attente') : p.decision === 'committed' ? 'Engagement' : p.decision === 'declined' ? 'Refus' : 'Silence (vaut refus)'}
              </td>
              <td>
                ${
                  p?.decision === 'committed'
                    ? p.amountsByYear.map((a) => `année ${a.year} : ${money(a.amountCents)}`).join(' ; ') +
                      (p.conditions ? ` — conditions : ${p.conditions}` : '')
                    : p?.decision === 'declined'
                      ? p.reason
                      : ''
                }${p?.decisionReference ? ` (décision ${p.decisionReference})` : ''}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    <//>
    <p>
      <strong>Avis du conseil citoyen :</strong>${' '}
      ${c.citizenOpinion ? `${opinionLabels[c.citizenOpinion.opinion]} — ${c.citizenOpinion.comment}` : outcome ? 'aucun avis donné' : 'en attente'}
    </p>
  </section>`;
}

/**
 * The years whose report is overdue while the convention is in force: the domain suspends every
 * payment of the application until they are filed (convention.ts, paymentsSuspended: a report
 * expected, or sent back for changes, past its due date).
 */
const overdueReportYears = (state) =>
  state.status === 'in_force'
    ? (state.reports ?? [])
        .filter((r) => (r.status === 'expected' || r.status === 'changes_requested') && r.overdue)
        .map((r) => r.year)
    : [];

/** « le compte rendu de l’année 1 », « les comptes rendus des années 1 et 2 ». */
const reportsOfYears = (years) =>
  years.length === 1
    ? `le compte rendu de l’année ${years[0]}`
    : `les comptes rendus des années ${years.slice(0, -1).join(', ')} et ${years[years.length - 1]}`;

function Convention({ state }) {
  const conv = state.convention;
  const award = state.award;
  const installmentKinds = installmentLabels(state.installments);
  const overdueYears = overdueReportYears(state);
  // What an unpaid installment's row says while payments are suspended (« suspendu : compte rendu
  // de l’année 1 en retard »): not « prévu », which reads as if it would be paid when its time comes.
  const suspended =
    overdueYears.length === 0
      ? null
      : `suspendu : ${reportsOfYears(overdueYears).replace(/^(le|les) /, '')} en retard`;
  return html`
    ${
      award
        ? html`<section aria-labelledby="award-title">
            <h2 id="award-title">
              Décision du comité (${award.decisionReference}, ${date(award.decisionDate)})
            </h2>
            <ul>
              ${byFunder(award.plan).map((l) => html`<li>${funderLabel(l.funder)}, année ${l.year} : ${money(l.amountCents)}</li>`)}
            </ul>
          </section>`
        : null
    }
    ${
      state.rejection
        ? html`<section>
            <h2>
              Rejet du comité (${state.rejection.decisionReference}, ${date(state.rejection.decisionDate)})
            </h2>
            <ul>
              ${state.rejection.reasons.map((r) => html`<li>${r}</li>`)}
            </ul>
          </section>`
        : null
    }
    ${
      state.reasons
        ? html`<section>
            <h2>Motifs d’irrecevabilité</h2>
            <ul>
              ${state.reasons.map((r) => html`<li>${r}</li>`)}
            </ul>
          </section>`
        : null
    }
    ${
      conv
        ? html`<section aria-labelledby="convention-title">
            <h2 id="convention-title">
              Convention ${conv.kind === 'CPO' ? 'pluriannuelle d’objectifs (CPO)' : 'annuelle'}
            </h2>
            <p>
              ${`Du ${date(conv.startDate)} au ${date(conv.endDate)} ; `}${
                state.enteredIntoForceAt
                  ? `en vigueur depuis le ${date(state.enteredIntoForceAt)} (toutes les signatures).`
                  : state.status === 'awaiting_signatures'
                    ? `signatures jusqu’au ${date(conv.signatureDueDate)} inclus.`
                    : `signatures attendues jusqu’au ${date(conv.signatureDueDate)} inclus, non réunies.`
              }
            </p>
            <p>
              Signataires :${' '}
              ${[...(conv.signatories ?? [])]
                // The porteur first, then the funders in their order.
                .sort((a, b) =>
                  a.kind === 'porteur' || b.kind === 'porteur'
                    ? (a.kind === 'porteur' ? 0 : 1) - (b.kind === 'porteur' ? 0 : 1)
                    : compareFunders(a.funder, b.funder),
                )
                .map((s) => {
                  const signed = (state.signatures ?? []).some(
                    (x) =>
                      (x.signatory.kind === 'porteur' ? 'porteur' : x.signatory.funder) ===
                      (s.kind === 'porteur' ? 'porteur' : s.funder),
                  );
                  return `${s.kind === 'porteur' ? 'le porteur' : theFunder(s.funder)} (${signed || state.status === 'in_force' || state.enteredIntoForceAt ? 'signé' : 'à signer'})`;
                })
                .join(' ; ')}
            </p>
            ${state.installments ? null : html`<${ConventionTerms} state=${state} />`}
          </section>`
        : null
    }
    ${
      state.installments
        ? html`<section aria-labelledby="payments-title">
            <h2 id="payments-title">Versements</h2>
            ${
              suspended
                ? html`<p class="warning" data-testid="payments-suspended">
                    ${`Versements suspendus : ${reportsOfYears(overdueYears)} ${overdueYears.length === 1 ? 'est' : 'sont'} en retard. Aucun versement ne peut être ordonné avant ${overdueYears.length === 1 ? 'son' : 'leur'} dépôt.`}
                  </p>`
                : null
            }
            <${TableScroll} label="Versements">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Versement</th>
                    <th scope="col">Financeur</th>
                    <th scope="col">Quand</th>
                    <th scope="col" class="num">Montant</th>
                    <th scope="col">État</th>
                  </tr>
                </thead>
                <tbody>
                  ${byFunder(state.installments).map(
                    (i) =>
                      html`<tr data-installment=${i.id}>
                        <td>${installmentKinds.get(i.id) ?? `Année ${i.year}`}</td>
                        <td>${funderLabel(i.funder)}</td>
                        <td>${triggerText(i.trigger)}</td>
                        <td class="num">${money(i.scheduledCents)}</td>
                        <td>
                          ${
                            i.status === 'ordered'
                              ? `ordonné (${money(i.orderedCents)})`
                              : // A termination cancels what was not ordered (the domain's evolve).
                                i.status === 'cancelled'
                                ? 'annulé'
                                : (suspended ?? 'prévu')
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            <//>
          </section>`
        : null
    }
    ${
      state.reports
        ? html`<section aria-labelledby="reports-title">
            <h2 id="reports-title">Comptes rendus annuels</h2>
            <ul class="reports">
              ${state.reports.map(
                (r) =>
                  html`<li data-report=${r.year}>
                    <strong>Année ${r.year} :</strong>${' '}
                    <span data-field="report-status"
                      >${
                        {
                          not_due: 'pas encore dû',
                          expected: r.overdue
                            ? `en retard (attendu jusqu’au ${date(r.dueDate)} inclus)`
                            : `attendu jusqu’au ${date(r.dueDate)} inclus`,
                          submitted: 'déposé, à examiner',
                          changes_requested: `corrections demandées jusqu’au ${date(r.dueDate)} inclus${r.overdue ? ' (en retard)' : ''}`,
                          accepted: 'accepté',
                        }[r.status]
                      }</span
                    >
                    ${
                      r.status === 'changes_requested'
                        ? html`<p>Corrections demandées :</p>
                            <ul>
                              ${r.comments.map((c) => html`<li>${c}</li>`)}
                            </ul>`
                        : null
                    }
                    ${r.report ? html`<${ReportContent} report=${r.report} />` : null}
                  </li>`,
              )}
            </ul>
          </section>`
        : null
    }
    ${
      state.recoveries?.length
        ? html`<section aria-labelledby="recoveries-title">
            <h2 id="recoveries-title">Reversements</h2>
            <ul>
              ${byFunder(state.recoveries).map(
                (r) =>
                  html`<li>
                    ${`${funderLabel(r.funder)}, année ${r.year} : ${money(r.amountCents)} (${recoveryReasons[r.reason] ?? r.reason})`}
                  </li>`,
              )}
            </ul>
          </section>`
        : null
    }
  `;
}

/**
 * The porteur's notice of what it must pay back, to whom: the recoveries ordered (RecoveryOrdered),
 * by funder, with the reason.
 */
function RepaymentNotice({ state }) {
  const recoveries = state.recoveries ?? [];
  if (recoveries.length === 0) return null;
  const funders = [...new Set(recoveries.map((r) => r.funder))].sort(compareFunders);
  const total = money(recoveries.reduce((sum, r) => sum + r.amountCents, 0));
  // Whole sentences as strings: htm drops the spaces of a line break between words and expressions.
  const line = (f) => {
    const ofFunder = recoveries.filter((r) => r.funder === f);
    const amount = money(ofFunder.reduce((sum, r) => sum + r.amountCents, 0));
    const why = ofFunder
      .map((r) => `année ${r.year} : ${money(r.amountCents)}, ${recoveryReasons[r.reason] ?? r.reason}`)
      .join(' ; ');
    return `${amount} ${toFunder(f)} (${why})`;
  };
  return html`<div class="warning" data-testid="repayment">
    <p><strong>Reversement à effectuer :</strong> ${`votre organisme doit reverser ${total}.`}</p>
    <ul>
      ${funders.map((f) => html`<li>${line(f)}</li>`)}
    </ul>
    <p class="hint">Chaque financeur vous adresse son titre de recette avec les modalités de paiement.</p>
  </div>`;
}

/** What a yearly report says (CERFA 15059): spending per funder, people reached, narrative. */
function ReportContent({ report }) {
  return html`<dl class="facts">
    <dt>Dépenses</dt>
    <dd>
      ${
        byFunder(report.spentByFunder)
          .map((x) => `${funderLabel(x.funder)} : ${money(x.amountCents)}`)
          .join(' ; ') || '—'
      }
    </dd>
    <dt>Bénéficiaires touchés</dt>
    <dd>${count(report.beneficiariesReached)}</dd>
    ${
      report.indicators?.length
        ? html`<dt>Indicateurs</dt>
            <dd>
              ${report.indicators.map((i) => `${i.name} : ${i.achieved}${i.unit ? ` ${i.unit}` : ''}${i.target !== undefined ? ` (cible ${i.target})` : ''}`).join(' ; ')}
            </dd>`
        : null
    }
    <dt>Bilan</dt>
    <dd>${report.narrative}</dd>
    ${
      report.documentRefs?.length
        ? html`<dt>Pièces</dt>
            <dd>${report.documentRefs.join(', ')}</dd>`
        : null
    }
  </dl>`;
}

/**
 * Every demande de compléments with what the porteur answered, oldest first: the grant manager who
 * rules on eligibility, and whoever reads the file later, see the exchange, not only the findings.
 */
function ComplementsExchanges({ state }) {
  const exchanges = state.complements ?? [];
  if (exchanges.length === 0) return null;
  const pending = (c) => state.status === 'awaiting_complements' && state.request?.number === c.number;
  return html`<section aria-labelledby="complements-title" data-testid="complements">
    <h2 id="complements-title">Compléments demandés et réponses</h2>
    <ol class="complements">
      ${exchanges.map(
        (c) =>
          html`<li data-complements=${c.number}>
            <h3>Demande n° ${c.number} — réponse attendue jusqu’au ${date(c.dueDate)} inclus</h3>
            <dl class="facts">
              <dt>Demandé</dt>
              <dd>
                <ul>
                  ${c.items.map((i) => html`<li>${i}</li>`)}
                </ul>
              </dd>
              <dt>Réponse du porteur</dt>
              <dd data-field="complements-response">
                ${c.answer ? c.answer.response : pending(c) ? 'en attente' : 'aucune réponse'}
              </dd>
              ${
                c.answer
                  ? html`<dt>Pièces jointes</dt>
                      <dd data-field="complements-documents">${c.answer.documentRefs.join(', ') || '—'}</dd>`
                  : null
              }
              ${
                c.answer?.dossierAmended
                  ? html`<dt>Dossier</dt>
                      <dd>corrigé par cette réponse (le dossier ci-dessous est la version corrigée)</dd>`
                  : null
              }
            </dl>
          </li>`,
      )}
    </ol>
  </section>`;
}

/** A text the porteur typed, ended as a sentence: its own final stop kept, never doubled (« disponible.. »). */
const sentenceEnd = (text) => (/[.!?…]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** Where the application stands when it waits on complements or has ended: what, when, why. */
function Outcome({ state }) {
  switch (state.status) {
    case 'awaiting_complements':
      return html`<section aria-labelledby="request-title" data-testid="outcome">
        <h2 id="request-title">
          Compléments demandés (réponse attendue jusqu’au ${date(state.request.dueDate)} inclus)
        </h2>
        <ul>
          ${state.request.items.map((i) => html`<li>${i}</li>`)}
        </ul>
      </section>`;
    case 'withdrawn':
      return html`<section aria-labelledby="outcome-title" data-testid="outcome">
        <h2 id="outcome-title">Candidature retirée le ${date(state.withdrawnAt)}</h2>
        <p>Motif : ${sentenceEnd(state.reason ?? 'non précisé')}</p>
      </section>`;
    case 'closed':
      return html`<section aria-labelledby="outcome-title" data-testid="outcome">
        <h2 id="outcome-title">Dossier clôturé le ${date(state.closedAt)}</h2>
        ${state.comment ? html`<p>${state.comment}</p>` : null}
      </section>`;
    case 'terminated':
      return html`<section aria-labelledby="outcome-title" data-testid="outcome">
        <h2 id="outcome-title">Convention résiliée le ${date(state.terminatedAt)}</h2>
        <p>
          Motif : ${terminationLabels[state.terminationReason] ?? state.terminationReason}. ${state.comment}
        </p>
      </section>`;
    default:
      return null;
  }
}

/**
 * Why the caller's other steps are not possible now (the API's `notNow` of an application or of a
 * campaign, said by whyNot.js), folded under the actions possible now: they come first; a native
 * <details> opens with the keyboard and is announced as such. Nothing for a role with no step at all
 * (auditor) or none listed (evaluator).
 */
function WhyNot({ notNow, anyAllowed }) {
  if (!Array.isArray(notNow) || notNow.length === 0) return null;
  const { sentence, items } = whyNot(notNow);
  return html`<details class="why-not" data-testid="not-now">
    <summary>${anyAllowed ? 'Pourquoi pas les autres actions ?' : 'Pourquoi aucune action ?'}</summary>
    ${
      sentence
        ? html`<p>${frenchText(sentence)}</p>`
        : html`<ul>
            ${items.map(
              (i) =>
                html`<li>
                  ${i.title ? html`<strong>${frenchText(i.title)}</strong> : ` : null}${frenchText(i.text)}
                </li>`,
            )}
          </ul>`
    }
  </details>`;
}

export function ApplicationPage({ id, principal }) {
  const detail = useApi(`/api/applications/${id}`);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [timelineKey, setTimelineKey] = useState(0);
  const d = detail.data;
  // The campaign names the QPV reference its codes come from (their names: « Sous-le-Bois (QN05990X) »).
  const campaign = useApi(d?.campaignId ? `/api/campaigns/${encodeURIComponent(d.campaignId)}` : null);
  const onDone = (view) => {
    setNotice(
      `Action enregistrée. Statut : ${statusLabels[view?.state?.status] ?? view?.state?.status ?? '—'}.`,
    );
    // The form sent is replaced by the next step's: the focus goes to the page's heading, the notice
    // (a status) is read out.
    focusHeading();
    // The read models follow the events within moments: reload until they show the new revision.
    const wanted = Number(view?.revision ?? -1);
    let tries = 0;
    const poll = () =>
      api('GET', `/api/applications/${id}`).then((fresh) => {
        if (Number(fresh.revision) >= wanted || tries++ > 30) {
          detail.reload();
          setTimelineKey((k) => k + 1);
        } else setTimeout(poll, 200);
      }, detail.reload);
    poll();
  };
  if (detail.error)
    return html`<article data-page-title=${`Candidature ${id}`}>
      <p><a href="#/">← Retour à la liste</a></p>
      <h1>
        ${
          detail.status === 403
            ? 'Candidature non accessible'
            : detail.status === 404
              ? 'Candidature introuvable'
              : 'Candidature indisponible'
        }
      </h1>
      <p class="refusal" role="alert">${detail.error}</p>
      <p>
        ${
          principal.role === 'porteur'
            ? 'Vos candidatures sont dans « Mes candidatures ».'
            : 'Les candidatures qui vous concernent sont dans votre liste.'
        }${' '}<a href="#/">Revenir à la liste</a>
      </p>
    </article>`;
  if (!d) return html`<p>Chargement…</p>`;
  const state = d.state ?? {};
  const deadline = deadlineOf(d.nextDeadline, Date.now());
  const canReadHistory = principal.role === 'grant_manager' || principal.role === 'auditor';
  // A funder reads what was asked of its own institution (the list shows all funders' total).
  const own =
    principal.role === 'funder'
      ? (d.funders ?? []).find((f) => f.funder === principal.institution)
      : undefined;
  // The campaign by its name, once its view has come (its id until then).
  const campaignName = campaign.data?.state?.name ? `« ${campaign.data.state.name} »` : d.campaignId;
  // One string: htm drops the spaces of a line break between words and expressions.
  const amountsText =
    `Porteur : ${d.porteur?.name} — campagne ${campaignName} — demandé ${money(d.amounts?.requestedCents)}` +
    (principal.role === 'funder'
      ? ` (dont ${money(own?.totals?.requestedCents ?? 0)} demandés ${toFunder(principal.institution)})`
      : '') +
    `, attribué ${money(d.amounts?.awardedCents)}, versé ${money(d.amounts?.paidCents)}` +
    (d.amounts?.recoveredCents ? ` · à reverser ${money(d.amounts.recoveredCents)}` : '');
  return html`<article data-page-title=${`Candidature ${id} — ${d.title}`}>
    <p><a href="#/">← Retour</a></p>
    <h1>${d.title}</h1>
    <p class="status">
      <span class="badge" data-testid="status">${d.statusLabel ?? statusLabels[d.status]}</span>
      ${d.waitingFor ? html` — ${frenchText(d.waitingFor)}` : null}
      ${
        deadline
          ? html`<span> — </span
              ><span data-testid="deadline" data-value=${deadline.day}
                >échéance : ${date(deadline.day)} (${deadline.kind})</span
              >`
          : null
      }
    </p>
    <p data-testid="amounts">${amountsText}</p>
    ${principal.role === 'porteur' ? html`<${RepaymentNotice} state=${state} />` : null}
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <${Outcome} state=${state} />
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">Actions possibles maintenant</h2>
      ${
        d.allowed.length === 0
          ? html`<p class="hint">
              Aucune action ne vous revient à cette
              étape.${d.waitingFor ? ` ${frenchText(d.waitingFor)}.` : ''}
            </p>`
          : d.allowed.map(
              (a) =>
                html`<${CommandForm}
                  key=${`${a.type}-${d.revision}`}
                  allowed=${a}
                  detail=${d}
                  principal=${principal}
                  onDone=${onDone}
                  onSend=${() => setNotice(null)}
                />`,
            )
      }
      <${WhyNot} notNow=${d.notNow} anyAllowed=${d.allowed.length > 0} />
    </section>
    <${ComplementsExchanges} state=${state} />
    ${
      state.findings
        ? html`<section aria-labelledby="findings-title">
            <h2 id="findings-title">Constats automatiques de recevabilité</h2>
            <${TableScroll} label="Constats automatiques de recevabilité">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Critère</th>
                    <th scope="col">Résultat</th>
                    <th scope="col">Détail</th>
                  </tr>
                </thead>
                <tbody>
                  ${state.findings.map(
                    (f) =>
                      html`<tr class=${`finding-${f.outcome}`}>
                        <td>${frenchText(f.label)}</td>
                        <td>${outcomeLabels[f.outcome] ?? f.outcome}</td>
                        <td>${frenchText(f.detail)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            <//>
          </section>`
        : null
    }
    <${CoDecision} state=${state} />
    <${Convention} state=${state} />
    <${Dossier} state=${state} qpvVersion=${campaign.data?.state?.territory?.qpvReferenceVersion} />
    ${
      canReadHistory
        ? html`<section aria-labelledby="history-title">
            <h2 id="history-title">Historique</h2>
            <${Timeline} key=${timelineKey} stream=${`application-${id}`} />
          </section>`
        : null
    }
  </article>`;
}

const defaultFunderChoices = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI'];
const funderChoices = defaultFunderChoices;

/**
 * The deposit form's field for an API error path (`dossier.porteur.siret`, `dossier.budget.0.
 * requested.1.amountCents`): the error shows next to it, with its label.
 * @param {any} body what was sent (the requested lines are those with an amount)
 * @param {boolean} picker the QPV are checkboxes (the campaign's territory), not a text field
 */
const depotFieldOf = (body, picker) => (path) => {
  const p = path.replace(/^dossier\./, '');
  const direct = {
    campaignId: 'campaignId',
    porteur: 'siret',
    'porteur.name': 'orgName',
    'porteur.siret': 'siret',
    'porteur.rna': 'rna',
    'porteur.contactRef': 'contactRef',
    'action.title': 'title',
    'action.summary': 'summary',
    'action.theme': 'theme',
    'action.expectedBeneficiaries': 'beneficiaries',
    'action.residentsInvolvement': 'residents',
    durationYears: 'duration',
  };
  if (direct[p]) return direct[p];
  if (p.startsWith('action.qpvCodes')) return picker ? 'qpv' : 'qpvText';
  const line = p.match(/^budget\.(\d+)(?:\.(\w+)(?:\.(\d+))?)?/);
  if (!line) return undefined;
  const year = Number(line[1]) + 1;
  if (line[2] === 'otherResourcesCents') return `other-${year}`;
  if (line[2] === 'requested') {
    const funder = body?.dossier?.budget?.[Number(line[1])]?.requested?.[Number(line[3])]?.funder;
    return funder ? `req-${year}-${funder}` : `cost-${year}`;
  }
  return `cost-${year}`;
};

/**
 * The porteur's most recent application (GET /api/applications: most recent first), the list's
 * item: its dossier names the organisation. `profile` is undefined while asked, null when there is
 * none (or the list could not be read).
 * @param {any} principal
 */
export function usePorteurProfile(principal) {
  const porteur = principal?.role === 'porteur';
  const [profile, setProfile] = useState(/** @type {any} */ (undefined));
  const load = useCallback(() => {
    if (!porteur) return;
    api('GET', '/api/applications?limit=1').then(
      (page) => setProfile(page?.items?.[0] ?? null),
      () => setProfile(null),
    );
  }, [porteur]);
  useEffect(load, [load]);
  return { profile: porteur ? profile : null, reload: load };
}

/**
 * The organisation as its last dossier gave it (name, SIRET, RNA, contact), to pre-fill a new one:
 * GET /api/applications/:id of the porteur's most recent application. Undefined while asked, null
 * when there is none.
 * @param {any} latest the list item of the most recent application (usePorteurProfile), null: none
 */
function usePreviousOrganisation(latest) {
  const [organisation, setOrganisation] = useState(/** @type {any} */ (undefined));
  useEffect(() => {
    if (latest === undefined) return;
    if (latest === null) return setOrganisation(null);
    api('GET', `/api/applications/${encodeURIComponent(latest.id)}`).then(
      (detail) => setOrganisation(detail?.state?.dossier?.porteur ?? latest.porteur ?? null),
      () => setOrganisation(latest.porteur ?? null),
    );
  }, [latest?.id, latest === null]);
  return organisation;
}

export function SubmitPage({ principal, campaigns, latest, onSubmitted }) {
  const open = (campaigns ?? []).filter((c) => c.status === 'open');
  const [campaignId, setCampaignId] = useState('');
  const [duration, setDuration] = useState(1);
  const [errors, setErrors] = useState(/** @type {import('./actions.js').FormError[]} */ ([]));
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef(/** @type {HTMLDivElement | null} */ (null));
  // One Idempotency-Key per opening of the form, kept while a send may have been recorded (lib.js).
  const post = useCommandSender();
  const campaign = open.find((c) => c.campaignId === campaignId) ?? open[0];
  // The campaign's own terms (territory, funders) come from GET /api/campaigns/:id.
  // Loaded before the form shows, so nothing typed is lost when the QPV picker replaces the text field.
  const [terms, setTerms] = useState(/** @type {any} */ (null));
  const [termsFor, setTermsFor] = useState(/** @type {string | null} */ (null));
  useEffect(() => {
    if (!campaign) return;
    const id = campaign.campaignId;
    api('GET', `/api/campaigns/${encodeURIComponent(id)}`).then(
      (r) => {
        setTerms(r.state);
        setTermsFor(id);
      },
      () => {
        setTerms(null);
        setTermsFor(id);
      },
    );
  }, [campaign?.campaignId]);
  useEffect(() => {
    if (errors.length > 0) focusFirstError('depot', errors, summaryRef.current);
  }, [errors]);
  const previous = usePreviousOrganisation(latest);
  const territory = terms?.territory?.qpvCodes ?? null;
  // Only the themes the campaign opens (its terms); the whole nomenclature when they are unknown.
  const campaignThemes = terms?.themes?.length
    ? terms.themes.map((code) => [code, themes.find(([c]) => c === code)?.[1] ?? ''])
    : themes;
  const qpv = useQpvNaming(terms?.territory?.qpvReferenceVersion);
  const funderChoices = terms?.funders?.map((f) => f.funder).sort(compareFunders) ?? defaultFunderChoices;
  const years = Array.from({ length: duration }, (_, i) => i + 1);
  /** @type {Record<string, import('./actions.js').Field>} */
  const spec = {
    orgName: {
      name: 'orgName',
      label: 'Nom de l’organisme',
      required: true,
      maxLength: 300,
      value: previous?.name ?? '',
    },
    siret: {
      name: 'siret',
      label: 'SIRET (14 chiffres)',
      help: 'SIRET et/ou RNA.',
      value: previous?.siret ?? '',
    },
    rna: { name: 'rna', label: 'Numéro RNA (W + 9 chiffres)', value: previous?.rna ?? '' },
    contactRef: {
      name: 'contactRef',
      label: 'Référence du contact',
      required: true,
      maxLength: textMax.reference,
      value: previous?.contactRef ?? `contact-${principal.porteurId}`,
      help: 'Référence de l’annuaire des contacts : jamais un nom ni un courriel (données personnelles effaçables).',
    },
    title: { name: 'title', label: 'Intitulé de l’action', required: true, maxLength: 300 },
    summary: {
      name: 'summary',
      label: 'Résumé',
      type: 'textarea',
      required: true,
      maxLength: textMax.freeText,
    },
    theme: {
      name: 'theme',
      label: 'Thème (nomenclature nationale)',
      type: 'select',
      options: campaignThemes.map(([c, l]) => [c, `${c} ${l}`.trim()]),
      help: terms?.themes?.length ? 'Les thèmes retenus par cette campagne.' : undefined,
    },
    qpvText: {
      name: 'qpvText',
      label: 'Codes des quartiers prioritaires visés',
      required: true,
      help: 'Codes QPV (QN…) séparés par des virgules, tels que publiés par l’ANCT.',
    },
    beneficiaries: { name: 'beneficiaries', label: 'Bénéficiaires attendus', type: 'number', value: '0' },
    residents: {
      name: 'residents',
      label: 'Comment les habitants co-construisent l’action',
      type: 'textarea',
      maxLength: textMax.freeText,
      recommended: true,
      help: 'Si ce champ reste vide, la candidature est signalée en échec à l’examen de recevabilité (« Implication des habitants décrite ») ; s’il compte moins de 80 caractères, elle est signalée en alerte.',
    },
    ...Object.fromEntries(
      years.flatMap((y) => [
        [`cost-${y}`, { name: `cost-${y}`, label: `Coût total, année ${y}`, type: 'money', required: true }],
        ...funderChoices.map((f) => [
          `req-${y}-${f}`,
          { name: `req-${y}-${f}`, label: `Demandé ${toFunder(f)}, année ${y}`, type: 'money' },
        ]),
        [`other-${y}`, { name: `other-${y}`, label: `Autres ressources, année ${y}`, type: 'money' }],
      ]),
    ),
  };
  const labels = {
    campaignId: 'Appel à manifestation d’intérêt',
    qpv: 'Quartiers prioritaires visés',
    duration: 'Durée (années)',
  };
  const labelOf = (name) => spec[name]?.label ?? labels[name] ?? name;
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const v = (k) => String(form.get(k) ?? '').trim();
    // Checked here first: an amount read wrong (« 20.000 » as 20 €) is money asked for wrongly.
    const checked = Object.values(spec).filter((f) => (f.name === 'qpvText' ? !territory : true));
    const found = checkFields(checked, Object.fromEntries(checked.map((f) => [f.name, v(f.name)])));
    // The territory's boxes are no field of the spec: checked in their place, after the theme.
    if (territory && form.getAll('qpv').length === 0) {
      const after = Object.keys(spec).indexOf('qpvText');
      const at = found.findIndex((e) => Object.keys(spec).indexOf(e.name ?? '') > after);
      found.splice(at === -1 ? found.length : at, 0, {
        name: 'qpv',
        message: 'Cochez au moins un quartier prioritaire.',
      });
    }
    if (found.length > 0) return setErrors(beforeSending(found));
    const qpvCodes = territory
      ? form.getAll('qpv').map(String)
      : lines(v('qpvText').replace(/[,;\s]+/g, '\n'));
    const budget = years.map((y) => ({
      year: y,
      totalCostCents: centsOf(v(`cost-${y}`)),
      requested: funderChoices
        .map((f) => ({ funder: f, amountCents: centsOf(v(`req-${y}-${f}`)) }))
        .filter((r) => r.amountCents !== 0),
      otherResourcesCents: centsOf(v(`other-${y}`)),
    }));
    const body = {
      campaignId: v('campaignId'),
      dossier: {
        porteur: {
          name: v('orgName'),
          ...(v('siret') ? { siret: v('siret') } : {}),
          ...(v('rna') ? { rna: v('rna') } : {}),
          contactRef: v('contactRef'),
        },
        action: {
          title: v('title'),
          summary: v('summary'),
          theme: v('theme'),
          qpvCodes,
          expectedBeneficiaries: Number(v('beneficiaries') || 0),
          residentsInvolvement: v('residents'),
        },
        durationYears: duration,
        budget,
      },
    };
    setErrors([]);
    setBusy(true);
    try {
      // A resend after a lost answer reaches the application the first send created, not a second one.
      const view = await post('/api/applications', body);
      setDone(view.state.applicationId);
      onSubmitted?.();
    } catch (e) {
      setErrors(apiErrors(e, depotFieldOf(body, territory !== null), labelOf));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (done) focusHeading();
  }, [done]);
  if (done)
    return html`<section>
      <h1>Candidature déposée</h1>
      <p role="status">Votre candidature est enregistrée sous le numéro <strong>${done}</strong>.</p>
      <p><a href=${`#/candidatures/${done}`}>Voir la candidature</a></p>
    </section>`;
  if (campaigns && open.length === 0)
    return html`<section>
      <h1>Déposer une candidature</h1>
      <p>Aucune campagne n’est ouverte au dépôt.</p>
    </section>`;
  // The form's values are set once, when it appears: the campaign's terms and the organisation's
  // previous dossier come first.
  if ((campaign && termsFor !== campaign.campaignId) || previous === undefined)
    return html`<section>
      <h1>Déposer une candidature</h1>
      <p role="status">Chargement des conditions de la campagne…</p>
    </section>`;
  const errorOf = (name) => errors.find((e) => e.name === name)?.message;
  const field = (name) => FieldInput('depot', spec[name], errorOf(name));
  const groupError = (name) =>
    errorOf(name) ? html`<p class="field-error" id=${`depot-${name}-error`}>${errorOf(name)}</p>` : null;
  return html`<section>
    <h1>Déposer une candidature</h1>
    <p class="hint">
      Formulaire inspiré du CERFA 12156. Les montants sont en euros (20 000 ou 20.000 ; 1 500,50 avec des
      centimes). Les champs marqués * sont obligatoires.
    </p>
    <form onSubmit=${submit} class="cerfa" aria-label="Dépôt de candidature" data-action="depot" novalidate>
      <${ErrorSummary} formId="depot" errors=${errors} summaryRef=${summaryRef} />
      <fieldset>
        <legend>Campagne</legend>
        <div class=${errorOf('campaignId') ? 'field invalid' : 'field'}>
          <label for="depot-campaignId">Appel à manifestation d’intérêt *</label>
          <select
            id="depot-campaignId"
            name="campaignId"
            required
            aria-invalid=${errorOf('campaignId') ? 'true' : undefined}
            aria-describedby=${errorOf('campaignId') ? 'depot-campaignId-error' : undefined}
            onChange=${(e) => setCampaignId(e.currentTarget.value)}
          >
            ${open.map((c) => html`<option value=${c.campaignId}>${c.name} (dépôt jusqu’au ${date(lastDayBefore(c.submissionWindow?.closesAt))} inclus)</option>`)}
          </select>
          ${groupError('campaignId')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Organisme porteur</legend>
        ${previous ? html`<p class="hint" data-testid="prefilled">Champs repris de votre candidature la plus récente : vérifiez-les.</p>` : null}
        ${field('orgName')} ${field('siret')} ${field('rna')} ${field('contactRef')}
      </fieldset>
      <fieldset>
        <legend>Action</legend>
        ${field('title')} ${field('summary')} ${field('theme')}
        ${
          territory
            ? html`<fieldset
                class=${errorOf('qpv') ? 'qpv invalid' : 'qpv'}
                id="depot-qpv"
                tabindex="-1"
                aria-describedby=${errorOf('qpv') ? 'depot-qpv-error' : undefined}
              >
                <legend>Quartiers prioritaires visés (territoire de la campagne) *</legend>
                ${territory.map(
                  (q) =>
                    html`<div class="checkbox">
                      <input
                        type="checkbox"
                        id=${`qpv-${q}`}
                        name="qpv"
                        value=${q}
                        aria-invalid=${errorOf('qpv') ? 'true' : undefined}
                      /><label for=${`qpv-${q}`}>${qpv.label(q)}</label>
                    </div>`,
                )}
                ${groupError('qpv')}
              </fieldset>`
            : field('qpvText')
        }
        ${field('beneficiaries')} ${field('residents')}
        <div class=${errorOf('duration') ? 'field invalid' : 'field'}>
          <label for="depot-duration">Durée (années)</label>
          <select
            id="depot-duration"
            name="duration"
            aria-invalid=${errorOf('duration') ? 'true' : undefined}
            aria-describedby=${errorOf('duration') ? 'depot-duration-error' : undefined}
            onChange=${(e) => setDuration(Number(e.currentTarget.value))}
          >
            ${[1, 2, 3, 4].map((n) => html`<option value=${n} selected=${n === duration}>${n} an${n > 1 ? 's' : ''}${n > 1 ? ' (CPO)' : ''}</option>`)}
          </select>
          ${groupError('duration')}
        </div>
      </fieldset>
      ${years.map(
        (y) =>
          html`<fieldset class="budget">
            <legend>Budget de l’année ${y}</legend>
            ${field(`cost-${y}`)} ${funderChoices.map((f) => field(`req-${y}-${f}`))} ${field(`other-${y}`)}
          </fieldset>`,
      )}
      <button type="submit" class="primary" disabled=${busy}>
        ${busy ? 'Envoi…' : 'Déposer la candidature'}
      </button>
    </form>
  </section>`;
}

const campaignStatusLabels = { draft: 'en préparation', open: 'ouverte', closed: 'fermée' };

/**
 * « du 1er mars 2027 au 29 mai 2027 inclus »: `closesAt` is the instant the window closes (midnight
 * at the start of the day after the « Dernier jour de dépôt (inclus) » the grant manager gave), so
 * the last day of submission is the day before.
 */
const submissionWindowText = (w) =>
  w ? `du ${date(w.opensAt)} au ${date(lastDayBefore(w.closesAt))} inclus` : '—';

/**
 * The closing, told by the last day of submission as the window is (« au 24 février 2027 inclus »):
 * « le 25 février », the day the window closes at 0 h, read as a day more beside it.
 */
const automaticClosingText = (w) =>
  w?.closesAt
    ? `Dépôt possible jusqu’au ${date(lastDayBefore(w.closesAt))} inclus ; la fenêtre se fermera ensuite d’elle-même.`
    : undefined;

/**
 * One campaign as its own workflow sees it now (GET /api/campaigns/:id): terms, envelopes, the
 * forms of the actions possible now (open, close, adjust an envelope) and, folded under them, why the
 * others are not (its `notNow`), nothing else.
 */
function CampaignCard({ campaignId, listStatus, onDone, onSend }) {
  const view = useApi(`/api/campaigns/${encodeURIComponent(campaignId)}`);
  // The list saw the campaign change (it opened by itself, at creation or later): the card follows.
  const seenStatus = useRef(listStatus);
  useEffect(() => {
    if (seenStatus.current === listStatus) return;
    seenStatus.current = listStatus;
    view.reload();
  }, [listStatus]);
  // An answer that did not come (the engine busy or restarting) is asked again on demand, as the list.
  if (view.error)
    return html`<div class="refusal" role="alert" data-campaign-error=${campaignId}>
      <p>La campagne ${campaignId} n’a pas pu être lue : ${view.error}</p>
      <button type="button" onClick=${() => view.reload()}>Réessayer</button>
    </div>`;
  if (!view.data) return html`<p>Chargement de la campagne ${campaignId}…</p>`;
  const c = view.data.state;
  const allowed = view.data.allowed ?? [];
  const done = (what) => (v) => {
    view.reload();
    onDone(v, what);
  };
  const base = `/api/campaigns/${encodeURIComponent(campaignId)}`;
  const id = (kind) => `${kind}-${campaignId}`;
  return html`<section class="card" aria-labelledby=${id('title')} data-campaign=${campaignId}>
    <h2 id=${id('title')}>${c.name}</h2>
    <dl class="facts">
      <dt>Statut</dt>
      <dd data-field="campaign-status">${campaignStatusLabels[c.status] ?? c.status}</dd>
      <dt>Fenêtre de dépôt</dt>
      <dd data-field="submission-window">${submissionWindowText(c.submissionWindow)}</dd>
      <dt>Thèmes</dt>
      <dd>${(c.themes ?? []).join(', ')}</dd>
      <dt>Territoire</dt>
      <dd>${c.territory?.name} (${c.territory?.qpvCodes?.length ?? 0} QPV)</dd>
    </dl>
    <${EnvelopeTable}
      funders=${c.funders ?? []}
      caption="Enveloppes des financeurs"
      testId=${id('envelopes')}
    />
    ${
      allowed.length === 0
        ? html`<p class="hint">Aucune action possible sur cette campagne.</p>`
        : allowed.map((a) => {
            switch (a.type) {
              case 'OpenCampaign':
                return html`<${ActionForm}
                  key=${`open-${view.data.revision}`}
                  id=${id('open')}
                  title="Ouvrir la fenêtre de dépôt"
                  hint=${a.reason}
                  submitLabel="Ouvrir"
                  path=${`${base}/open`}
                  fields=${[]}
                  build=${() => ({})}
                  onDone=${done('ouverte')}
                  onSend=${onSend}
                />`;
              case 'CloseCampaign':
                return html`<${ActionForm}
                  key=${`close-${view.data.revision}`}
                  id=${id('close')}
                  title="Fermer la fenêtre de dépôt"
                  hint=${automaticClosingText(c.submissionWindow) ?? a.reason}
                  submitLabel="Fermer"
                  danger
                  path=${`${base}/close`}
                  fields=${[{ name: 'reason', label: 'Motif (facultatif)', maxLength: textMax.freeText }]}
                  build=${(v) => (v.reason?.trim() ? { reason: v.reason } : {})}
                  confirm=${() => ({
                    title: `Fermer le dépôt de « ${c.name} » ?`,
                    body: html`<p>
                      Plus aucun porteur ne pourra déposer de candidature à cette campagne. Les candidatures
                      déjà déposées suivent leur cours.
                    </p>`,
                  })}
                  onDone=${done('fermée')}
                  onSend=${onSend}
                />`;
              case 'AdjustFunderEnvelope':
                return html`<${ActionForm}
                  key=${`envelope-${view.data.revision}`}
                  id=${id('envelope')}
                  title="Ajuster une enveloppe"
                  submitLabel="Ajuster"
                  path=${`${base}/envelopes`}
                  fields=${[
                    {
                      name: 'funder',
                      label: 'Financeur',
                      type: 'select',
                      options: byFunder(c.funders).map((f) => [
                        f.funder,
                        `${funderLabel(f.funder)} (actuellement ${money(f.envelopeCents)})`,
                      ]),
                    },
                    {
                      name: 'amount',
                      label: 'Nouveau montant de l’enveloppe',
                      type: 'money',
                      required: true,
                    },
                    { name: 'reason', label: 'Motif', required: true, maxLength: textMax.freeText },
                  ]}
                  build=${(v) => ({ funder: v.funder, amountCents: centsOf(v.amount), reason: v.reason })}
                  onDone=${done('enveloppe ajustée')}
                  onSend=${onSend}
                />`;
              default:
                return html`<p class="hint">
                  ${a.type} : ${a.reason ?? 'action sans formulaire dans la console.'}
                </p>`;
            }
          })
    }
    <${WhyNot} notNow=${view.data.notNow} anyAllowed=${allowed.length > 0} />
  </section>`;
}

/**
 * The grant manager's campaigns: the list (read models), each campaign's card with the actions
 * possible now, and the creation form. `reload` refreshes the list and gives its items.
 */
export function CampaignsPanel({ campaigns, reload }) {
  const year = new Date().getFullYear() + 1;
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [created, setCreated] = useState(/** @type {string[]} */ ([]));
  /** The list follows the events within moments: reload until `ready` holds (or give up quietly). */
  const refreshUntil = (ready) => {
    let tries = 0;
    const poll = () =>
      reload().then(
        (items) => {
          if (!ready(items ?? []) && tries++ < 30) setTimeout(poll, 200);
        },
        () => undefined,
      );
    poll();
  };
  const onDone = (view, what) => {
    const c = view?.state ?? {};
    setNotice(`Action enregistrée. Campagne « ${c.name ?? c.campaignId} » : ${what}.`);
    focusHeading();
    refreshUntil((items) => items.some((i) => i.campaignId === c.campaignId && i.status === c.status));
  };
  /**
   * A campaign whose window opens today opens at once (its workflow's timer is already due): the
   * answer to the creation may still say « en préparation ». The notice follows the list until the
   * campaign is in it and, when it opens now, open.
   */
  const onCreated = (view) => {
    const c = view?.state ?? {};
    const say = (status) =>
      setNotice(
        `Action enregistrée. Campagne « ${c.name ?? c.campaignId} » : créée, ${campaignStatusLabels[status] ?? status}.`,
      );
    say(c.status);
    focusHeading();
    const opensNow = new Date(c.submissionWindow?.opensAt ?? '').getTime() <= Date.now();
    refreshUntil((items) => {
      const row = items.find((i) => i.campaignId === c.campaignId);
      if (!row) return false;
      say(row.status);
      return !opensNow || row.status !== 'draft';
    });
  };
  const ids = [...new Set([...(campaigns ?? []).map((c) => c.campaignId), ...created])];
  const statusOf = (id) => (campaigns ?? []).find((c) => c.campaignId === id)?.status;
  const suggestedId = `camvs-${year}`;
  return html`<section>
    <h1>Campagnes (AMI)</h1>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <${TableScroll} label="Campagnes et candidatures reçues">
      <table>
        <caption>
          Campagnes et candidatures reçues
        </caption>
        <thead>
          <tr>
            <th scope="col">Campagne</th>
            <th scope="col">Statut</th>
            <th scope="col">Fenêtre de dépôt</th>
            <th scope="col" class="num">Candidatures</th>
            <th scope="col" class="num">Demandé</th>
          </tr>
        </thead>
        <tbody>
          ${(campaigns ?? []).map(
            (c) =>
              html`<tr data-campaign-row=${c.campaignId}>
                <td>${c.name} <small class="code">${c.campaignId}</small></td>
                <td>${campaignStatusLabels[c.status] ?? c.status}</td>
                <td>${submissionWindowText(c.submissionWindow)}</td>
                <td class="num">${count(c.applications)}</td>
                <td class="num">${money(c.amounts?.requestedCents)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <div class="grid">
      ${ids.map(
        (id) =>
          html`<${CampaignCard}
            key=${id}
            campaignId=${id}
            listStatus=${statusOf(id)}
            onDone=${onDone}
            onSend=${() => setNotice(null)}
          />`,
      )}
    </div>
    <${ActionForm}
      key=${`create-campaign-${created.length}`}
      id="create-campaign"
      level=${2}
      onSend=${() => setNotice(null)}
      title="Créer une campagne"
      hint="La campagne est créée en préparation ; elle s’ouvre d’elle-même à la date d’ouverture, ou plus tôt avec « Ouvrir »."
      submitLabel="Créer la campagne"
      path="/api/campaigns"
      fieldOf=${(path) => {
        const nested = {
          'territory.name': 'territoryName',
          'territory.qpvCodes': 'qpvCodes',
          'territory.qpvReferenceVersion': 'qpvReferenceVersion',
          'submissionWindow.opensAt': 'opensAt',
          'submissionWindow.closesAt': 'closesAt',
        };
        const known = Object.keys(nested).find((k) => path === k || path.startsWith(`${k}.`));
        if (known) return nested[known];
        if (path.startsWith('submissionWindow')) return 'closesAt';
        if (path.startsWith('themes')) return 'themes';
        const first = path.split('.')[0];
        return [
          'campaignId',
          'year',
          'name',
          'maxDurationYears',
          'publicShareCapPercent',
          'multiYearTargetPercent',
        ].includes(first)
          ? first
          : undefined;
      }}
      onDone=${(view) => {
        const id = view?.state?.campaignId;
        // A new form (its key changes): the identifier just used is not offered again.
        if (id) setCreated((c) => (c.includes(id) ? c : [...c, id]));
        onCreated(view);
      }}
      fields=${[
        {
          name: 'campaignId',
          label: 'Identifiant (lettres, chiffres, tirets)',
          required: true,
          maxLength: 64,
          // After a creation, none: a second click must not create another campaign unasked.
          value: created.length > 0 || ids.includes(suggestedId) ? '' : suggestedId,
        },
        { name: 'year', label: 'Année', type: 'number', value: String(year), required: true },
        { name: 'name', label: 'Nom', required: true, maxLength: 200, value: `AMI Contrat de ville ${year}` },
        { name: 'opensAt', label: 'Ouverture du dépôt', type: 'date', value: today(), required: true },
        {
          // The last day included, as the campaign's card and the deposit form then tell it: the API's
          // closesAt is the instant after it (0 h, Paris, the next day).
          name: 'closesAt',
          label: 'Dernier jour de dépôt (inclus)',
          type: 'date',
          value: addDays(today(), 59),
          required: true,
          help: 'Le dépôt ferme à minuit (heure de Paris) à la fin de ce jour.',
        },
        {
          name: 'themes',
          label: 'Thèmes retenus (codes séparés par des virgules)',
          value: '1.1, 1.5a, 2.1, 3.1',
          required: true,
          help: 'Nomenclature nationale : 1.1 Éducation, 1.5a Jeunesse, 2.1 Emploi, 3.1 Cadre de vie…',
        },
        ...funderChoices.map((f) => ({
          name: `env-${f}`,
          label: `Enveloppe ${ofFunder(f)} (vide : non partenaire)`,
          type: /** @type {const} */ ('money'),
        })),
        {
          name: 'communes',
          label: 'Communes financeuses (une par ligne : code INSEE : enveloppe en €)',
          type: 'textarea',
          help: 'Par exemple « 59392 : 50 000 » pour Maubeuge. Code INSEE de 5 caractères (2A ou 2B puis 3 chiffres en Corse). Vide : aucune commune.',
        },
        { name: 'maxDurationYears', label: 'Durée maximale (années)', type: 'number', value: '4' },
        {
          name: 'publicShareCapPercent',
          label: 'Plafond de financement public (%)',
          type: 'number',
          value: '80',
        },
        { name: 'multiYearTargetPercent', label: 'Cible d’actions en CPO (%)', type: 'number', value: '50' },
        {
          name: 'territoryName',
          label: 'Territoire',
          value: 'CA Maubeuge Val-de-Sambre',
          required: true,
          maxLength: 200,
        },
        {
          name: 'qpvCodes',
          label: 'Codes QPV du territoire (un par ligne)',
          type: 'textarea',
          required: true,
        },
        { name: 'qpvReferenceVersion', label: 'Version du référentiel QPV', required: true, maxLength: 100 },
      ]}
      build=${(v) => ({
        campaignId: v.campaignId,
        year: Number(v.year),
        name: v.name,
        submissionWindow: {
          opensAt: parisMidnight(v.opensAt),
          closesAt: parisMidnight(addDays(v.closesAt, 1)),
        },
        themes: v.themes.split(/[,;\s]+/).filter(Boolean),
        funders: [
          ...funderChoices
            .filter((f) => v[`env-${f}`]?.trim())
            .map((f) => ({ funder: f, envelopeCents: centsOf(v[`env-${f}`]) })),
          ...communeFunders(v.communes),
        ],
        maxDurationYears: Number(v.maxDurationYears),
        publicShareCapPercent: Number(v.publicShareCapPercent),
        multiYearTargetPercent: Number(v.multiYearTargetPercent),
        territory: {
          name: v.territoryName,
          qpvCodes: lines(v.qpvCodes),
          qpvReferenceVersion: v.qpvReferenceVersion,
        },
      })}
    />
  </section>`;
}
