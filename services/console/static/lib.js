// Shared helpers of the console: the HTTP client (bearer token from sessionStorage, problem+json
// refusals kept whole), French formatting, CSV generation, blob downloads, the box wide tables scroll in.
import { h } from './vendor/preact.mjs';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import htm from './vendor/htm.mjs';
import { parseEuros } from './money.js';

export { parseEuros, unreadableAmount } from './money.js';

export const html = htm.bind(h);

/**
 * The box a wide table scrolls in, never the page (390 px phones). While the table is wider than the
 * box, the keyboard must reach it to scroll it (WCAG 2.1.1, axe's scrollable-region-focusable): it
 * then takes the focus and is named by `label`, as a group rather than a region, so that the page's
 * landmarks are not doubled by a section of the same name; while the table fits, it is a plain box.
 * @param {{ label: string, children?: any }} props
 */
export function TableScroll({ label, children }) {
  const ref = useRef(/** @type {HTMLDivElement | null} */ (null));
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const box = ref.current;
    if (!box) return undefined;
    const measure = () => setScrolls(box.scrollWidth > box.clientWidth);
    // The box resizes with the viewport, the table with its rows.
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    for (const child of box.children) observer.observe(child);
    measure();
    return () => observer.disconnect();
  }, []);
  return html`<div
    class="table-scroll"
    ref=${ref}
    tabindex=${scrolls ? '0' : undefined}
    role=${scrolls ? 'group' : undefined}
    aria-label=${scrolls ? label : undefined}
  >
    ${children}
  </div>`;
}

const tokenKey = 'grants-console-token';

// Set once the API has answered a request made with the session's token: a 401 after that ends a
// session that worked (it expired, or was withdrawn); a 401 before, a token that was never valid (a
// token pasted whole but refused). A new token (signing in, out) starts without it.
const acceptedKey = 'grants-console-token-accepted';

/** @returns {string | null} */
export const storedToken = () => sessionStorage.getItem(tokenKey);
/** @param {string | null} token */
export function storeToken(token) {
  sessionStorage.removeItem(acceptedKey);
  if (token === null) sessionStorage.removeItem(tokenKey);
  else sessionStorage.setItem(tokenKey, token);
}
/** The API answered a request made with `token`: if it is still the session's, the session works. */
function tokenAccepted(token) {
  if (token !== null && token === storedToken()) sessionStorage.setItem(acceptedKey, '1');
}

// A session ends when the API answers 401 (the token expired, or is no longer accepted): the console
// forgets the token and goes back to the sign-in page, which says why, and remembers the page the
// person was on and who they were, to reopen it when the same person signs in again.
const endedKey = 'grants-console-session-ended';
export const sessionExpiredMessage = 'Votre session a expiré : reconnectez-vous.';
export const invalidTokenMessage =
  'Ce jeton n’est pas valide : la plateforme l’a refusé. Vérifiez qu’il a été collé en entier, ou demandez-en un nouveau.';
/** Why the API refused the session's token (401): it worked before (expired), or never did. */
const refusedTokenReason = () =>
  sessionStorage.getItem(acceptedKey) ? sessionExpiredMessage : invalidTokenMessage;
/** Who a token is, for « the same person signs in again »: role and institution or association. */
export const identityOf = (claims) =>
  claims ? [claims.role, claims.institution ?? '', claims.porteurId ?? ''].join('|') : '';

/**
 * @typedef {{ reason: string, hash: string, identity: string }} EndedSession
 * @returns {EndedSession | null}
 */
export function endedSession() {
  try {
    const ended = JSON.parse(sessionStorage.getItem(endedKey) ?? 'null');
    return ended && typeof ended.reason === 'string' ? ended : null;
  } catch {
    return null;
  }
}
export const forgetEndedSession = () => sessionStorage.removeItem(endedKey);

/**
 * Ends the session: the token is forgotten, the reason and the current page kept for the sign-in
 * page, and the shell told (the `grants-session-ended` event) to show it.
 */
export function endSession(reason = sessionExpiredMessage) {
  const token = storedToken();
  if (token === null) return;
  /** @type {EndedSession} */
  const ended = { reason, hash: location.hash, identity: identityOf(claimsOf(token)) };
  sessionStorage.setItem(endedKey, JSON.stringify(ended));
  storeToken(null);
  dispatchEvent(new CustomEvent('grants-session-ended'));
}

/** A token whose `exp` has passed (an unreadable one too): no use asking the API with it. */
export function expired(token, now = Date.now()) {
  const claims = claimsOf(token);
  if (!claims) return true;
  return typeof claims.exp === 'number' && claims.exp * 1000 <= now;
}

/**
 * The claims of the token (display and routing only: the API checks the signature).
 * @returns {{ sub: string, role: string, institution?: string, porteurId?: string, name?: string, exp?: number } | null}
 */
export function claimsOf(token) {
  if (!token) return null;
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** A refusal of the API, with the problem document's French `detail`. */
export class ApiError extends Error {
  /** @param {number} status @param {any} problem */
  constructor(status, problem) {
    super(frenchText(problem?.detail ?? problem?.title ?? `Erreur ${status}`));
    this.status = status;
    this.problem = problem;
    this.code = problem?.code;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {Record<string, string>} [extraHeaders] e.g. a command's Idempotency-Key
 * @returns {Promise<any>}
 */
export async function api(method, path, body, extraHeaders = {}) {
  const token = storedToken();
  /** @type {Record<string, string>} */
  const headers = { ...extraHeaders, accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Answers depend on who asks: never reuse one cached for another token.
  const res = await fetch(path, {
    method,
    headers,
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (res.status === 401) endSession(refusedTokenReason());
  // Any answer but 401 (a 403, a 404 too) and a server's own failure: the token was accepted.
  else if (res.status < 500) tokenAccepted(token);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/**
 * A new Idempotency-Key: 32 hex characters (128 random bits), within the API's
 * /^[A-Za-z0-9_.:-]{8,128}$/. crypto.getRandomValues, not crypto.randomUUID: the latter exists only
 * in secure contexts, and the console may be served over plain http on a LAN host.
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Shown when a command's answer never came: the step may have been recorded. */
export const lostAnswerMessage =
  'La réponse de la plateforme n’est pas parvenue (connexion interrompue) : l’action a peut-être été ' +
  'enregistrée. Renvoyez le formulaire sans rien changer : elle ne le sera pas deux fois.';

/**
 * How one opening of a form posts its command: every send carries the opening's Idempotency-Key, so
 * that pressing the button again after an answer that never came (a dropped connection, a proxy's
 * timeout) or a 503 STEP_PENDING is the same command, answered with its first outcome, never a
 * second one (refused as stale, or a second application).
 *
 * When the key is renewed, so that the next send is a new act:
 * - after a success: the act is done, anything sent next is another one;
 * - after a refusal (4xx) of a request whose outcome is then known, when no other request sent
 *   under the key is left without an answer: the refused step did not happen, and the next send is
 *   a corrected request, a new act. Keeping the key would not be safe either: a refusal the
 *   workflow recorded under the key would be answered again to the corrected request.
 *
 * When it is kept:
 * - after no answer or a 5xx (503 STEP_PENDING included): the request may have reached the workflow
 *   and been, or be about to be, recorded; only this key lets the API recognise it. A resend as it
 *   was gets its outcome; an edited one (the same intended act) is refused with 422
 *   IDEMPOTENCY_KEY_REUSED rather than recorded as a second act;
 * - after a 4xx while such an unanswered request, different from the refused one, is pending: the
 *   refusal (a 400 of the edited body, say) says nothing of the unanswered one;
 * - after IDEMPOTENCY_KEY_REUSED: another request was recorded under this key, so this dialog's
 *   act may already be done; the person reloads the page (a new opening, a new key) to see it.
 * @returns {(path: string, body: unknown) => Promise<any>}
 */
export function commandSender() {
  let key = newIdempotencyKey();
  /** The requests sent under `key` (path and body) whose outcome is unknown. */
  const unanswered = new Set();
  const renew = () => {
    key = newIdempotencyKey();
    unanswered.clear();
  };
  return async (path, body) => {
    const request = JSON.stringify([path, body ?? null]);
    let view;
    try {
      view = await api('POST', path, body, { 'idempotency-key': key });
    } catch (e) {
      if (!(e instanceof ApiError)) {
        unanswered.add(request);
        throw new Error(lostAnswerMessage, { cause: e });
      }
      if (e.status >= 500) unanswered.add(request);
      else if (e.code !== 'IDEMPOTENCY_KEY_REUSED') {
        unanswered.delete(request);
        if (unanswered.size === 0) renew();
      }
      throw e;
    }
    renew();
    return view;
  };
}

/** The command sender of this opening of a form (commandSender): one key per mount of the form. */
export function useCommandSender() {
  const sender = useRef(/** @type {((path: string, body: unknown) => Promise<any>) | null} */ (null));
  if (sender.current === null) sender.current = commandSender();
  return sender.current;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function download(path, filename) {
  const token = storedToken();
  const res = await fetch(path, {
    cache: 'no-store',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) {
    let problem = null;
    try {
      problem = await res.json();
    } catch {
      problem = null;
    }
    if (res.status === 401) endSession(refusedTokenReason());
    else if (res.status < 500) tokenAccepted(token);
    throw new ApiError(res.status, problem);
  }
  tokenAccepted(token);
  saveBlob(await res.blob(), filename);
}

/** @param {Blob} blob @param {string} filename */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * CSV (RFC 4180, `;` as French spreadsheets expect, BOM for accents).
 * @param {string[]} header @param {(string | number | null | undefined)[][]} rows
 */
export function toCsv(header, rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[";\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\uFEFF' + [header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n') + '\r\n';
}

const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
/** @param {number | null | undefined} cents */
export const money = (cents) => (cents === null || cents === undefined ? '—' : euro.format(cents / 100));
const integer = new Intl.NumberFormat('fr-FR');
/** A count as French writes it (« 2 250 », a narrow no-break space between thousands). */
export const count = (n) =>
  n === null || n === undefined || n === '' || !Number.isFinite(Number(n)) ? '—' : integer.format(Number(n));
/**
 * « 1 événement », « 2 événements », « 0 écriture » (French puts 0 and 1 in the singular).
 * @param {number} n @param {string} singular @param {string} [plural] default: singular + s
 */
export const plural = (n, singular, plural = `${singular}s`) =>
  `${count(n)} ${Math.abs(Number(n)) >= 2 ? plural : singular}`;
/**
 * Euros typed by a person (« 1 500,50 », « 20.000 », « 20 000 € ») → integer cents: 0 when empty,
 * NaN when unreadable. Forms check each amount with parseEuros first, to name the field at fault.
 */
export function centsOf(text) {
  const reading = parseEuros(text);
  return reading.ok ? (reading.cents ?? 0) : NaN;
}

/**
 * French text from the API (hints, refusals, findings) written the console's way: the typographic
 * apostrophe (’) the console uses everywhere (the domain's messages use '), and « 1 an » / « 3 ans »
 * for the « an(s) » of findings recorded before the domain wrote the number out itself (the findings
 * are kept in the submission's event, as written then).
 * @param {unknown} text
 */
export function frenchText(text) {
  if (typeof text !== 'string') return text;
  return text
    .replace(/\b(\d+) (an|année)\(s\)/g, (_, n, word) => `${n} ${word}${Number(n) >= 2 ? 's' : ''}`)
    .replace(/(\p{L})'(?=\p{L})/gu, '$1’');
}

const parisDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const longDate = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Paris',
});
const isCivil = (value) => /^\d{4}-\d{2}-\d{2}$/.test(String(value));
/** The Paris civil date (2027-01-31) of an instant; null when it is not one. */
export function parisDateOf(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? null : parisDay.format(d);
}
/**
 * A civil date (2027-01-31) or an instant (its Paris date), as a French date written as the engine
 * writes it (domain/calendar.ts formatFrenchDate): « 31 janvier 2027 », « 1er février 2027 ».
 */
export function date(value) {
  if (!value) return '—';
  const civil = isCivil(value) ? value : parisDateOf(value);
  if (civil === null) return String(value);
  const text = longDate.format(new Date(`${civil}T12:00:00Z`));
  return civil.endsWith('-01') ? text.replace(/^1 /, '1er ') : text;
}
export function dateTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : dateTimeFormat.format(d);
}

const parisClock = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
/**
 * An event's business time for people. An act decided on an earlier day and keyed in later (a
 * committee's, a funder's, the conseil citoyen's) holds from midnight of its day in Paris: its hour
 * is not known, so the day is shown, not « 00:00:00 ». Any other instant as dateTime does.
 * @param {string | undefined} occurredAt
 * @param {string | undefined} recordedAt
 */
export function businessTime(occurredAt, recordedAt) {
  const d = new Date(occurredAt ?? '');
  const day = parisDateOf(occurredAt ?? '');
  const keyedLater =
    !Number.isNaN(d.getTime()) &&
    d.getMilliseconds() === 0 &&
    parisClock.format(d) === '00:00:00' &&
    day !== null &&
    (parisDateOf(recordedAt ?? '') ?? '') > day;
  return keyedLater ? `${date(day)} (jour de la décision)` : dateTime(occurredAt);
}

/**
 * The last day a deadline still allows, as a civil date. The API's `nextDeadline.at` is the instant
 * the deadline passes — midnight in Paris at the start of the day AFTER the due date (the engine's
 * endOfParisDay: a co-decision due on 2027-01-31 has `at` 2027-01-31T23:00:00Z) — so the due date is
 * the Paris date of the millisecond before. Formatting `at` itself shows every deadline a day late.
 * @param {string | null | undefined} at
 */
export function lastDayBefore(at) {
  const ms = new Date(at ?? '').getTime();
  return Number.isNaN(ms) ? null : parisDay.format(new Date(ms - 1));
}

/** Today in Paris, as a civil date. */
export function today() {
  return parisDay.format(new Date());
}
/** @param {string} civil @param {number} days */
export function addDays(civil, days) {
  const d = new Date(`${civil}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
export const roleLabels = {
  porteur: 'Porteur de projet',
  grant_manager: 'Chargé de mission',
  funder: 'Financeur',
  citizen_council: 'Conseil citoyen',
  auditor: 'Auditeur',
  evaluator: 'Évaluateur',
  // The workflow itself: a deadline passed, or what the rules make follow from a step (its cause
  // is the step's command: the event's causationId).
  system: 'Système (automatique)',
};

export const funderLabels = {
  ETAT: 'État',
  REGION: 'Région',
  DEPARTEMENT: 'Département',
  CAF: 'CAF',
  EPCI: 'Intercommunalité (EPCI)',
};
/**
 * The one order the console lists funders in, whatever order a dossier, the positions or a plan came
 * in: the institutions as the domain lists them (domain/shared/funders.ts, institutionalFunders: the
 * État first), then the communes by INSEE code, then anything else by its id.
 * @param {string} a @param {string} b
 */
export function compareFunders(a, b) {
  const rank = (f) => {
    const i = institutionalFunderOrder.indexOf(f);
    return i >= 0 ? i : String(f).startsWith('COMMUNE-') ? institutionalFunderOrder.length : Infinity;
  };
  return rank(a) - rank(b) || (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
}
const institutionalFunderOrder = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI'];
/**
 * A copy of `list` in the funders' order (compareFunders); the items of one funder keep theirs (a
 * plan's years, a schedule's installments in the order of their triggers).
 * @template T @param {readonly T[] | null | undefined} list @param {(item: T) => string} [funderOf]
 * @returns {T[]}
 */
export const byFunder = (list, funderOf = (item) => /** @type {any} */ (item).funder) =>
  [...(list ?? [])].sort((x, y) => compareFunders(funderOf(x), funderOf(y)));

/** The communes the domain knows by name (domain/reference/funders.ts, knownCommunes): same words as the API. */
const communeNames = { 59392: 'Maubeuge', 59365: 'Louvroil' };
export const funderLabel = (f) => {
  if (funderLabels[f]) return funderLabels[f];
  if (!String(f).startsWith('COMMUNE-')) return String(f);
  const insee = String(f).slice('COMMUNE-'.length);
  return communeNames[insee] ? `Commune de ${communeNames[insee]}` : `Commune (INSEE ${insee})`;
};

/** The institutional funders with their article, as a sentence needs them. */
const funderWithArticle = {
  ETAT: 'l’État',
  REGION: 'la Région',
  DEPARTEMENT: 'le Département',
  CAF: 'la CAF',
  EPCI: 'l’intercommunalité (EPCI)',
};
/** « l’État », « la Région », « le Département », « la commune de Maubeuge », « la commune 59001 ». */
export const theFunder = (f) => {
  if (funderWithArticle[f]) return funderWithArticle[f];
  if (!String(f).startsWith('COMMUNE-')) return String(f);
  const insee = String(f).slice('COMMUNE-'.length);
  return communeNames[insee] ? `la commune de ${communeNames[insee]}` : `la commune ${insee}`;
};
/** « de l’État », « du Département » (Position de l’État). */
export const ofFunder = (f) => {
  const the = theFunder(f);
  return the.startsWith('le ') ? `du ${the.slice(3)}` : `de ${the}`;
};
/** « à l’État », « au Département » (Demandé à l’État). */
export const toFunder = (f) => {
  const the = theFunder(f);
  return the.startsWith('le ') ? `au ${the.slice(3)}` : `à ${the}`;
};

/** The national programming nomenclature of themes (ANCT). */
export const themes = [
  ['1.1', 'Éducation'],
  ['1.2', 'Santé'],
  ['1.3', 'Parentalité et droits sociaux'],
  ['1.4', 'Culture et expression artistique'],
  ['1.5', 'Lien social, citoyenneté et participation des habitants'],
  ['1.5a', 'Jeunesse'],
  ['1.5b', 'Sport et loisir'],
  ['1.6', 'Prévention et lutte contre les discriminations liées à l’origine et à l’adresse'],
  ['2.1', 'Emploi'],
  ['2.2', 'Développement économique'],
  ['3.1', 'Cadre de vie et renouvellement urbain'],
  ['3.2', 'Tranquillité et sûreté publique'],
  ['4.1', 'Pilotage, ingénierie, ressources et évaluations'],
  ['4.2', 'Structures mutualisatrices'],
];

export { statusLabels } from './statusLabels.js';

/**
 * Moves the focus to the page's main heading (after an action, or a page replaced by another): a
 * keyboard or screen-reader user starts reading from there, not from the top of the document.
 */
export function focusHeading() {
  const heading = document.querySelector('main h1');
  if (!(heading instanceof HTMLElement)) return;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus();
}

/** Splits a textarea into non-empty lines. @param {string} text */
export const lines = (text) =>
  String(text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** When an installment is paid, in words. */
export const triggerText = (trigger) =>
  trigger?.kind === 'report_accepted'
    ? `après l’acceptation du compte rendu de l’année ${trigger.reportYear}`
    : 'à l’entrée en vigueur (toutes les signatures)';

/**
 * What each installment is, by its id: « Avance année 1 », « Solde année 1 » — read from its trigger
 * as the schedule's rule sets them (domain/application/convention.ts: a year's advance comes at the
 * signature or with the previous year's report, its balance with its own report); a funder's only
 * installment of a year is « Versement année 1 ». Two of the same kind are numbered.
 * @param {{ id: string, funder: string, year: number, trigger?: { kind: string, reportYear?: number } }[]} installments
 * @returns {Map<string, string>}
 */
export function installmentLabels(installments) {
  const list = installments ?? [];
  const kindOf = (i) => {
    const siblings = list.filter((x) => x.funder === i.funder && x.year === i.year);
    if (siblings.length === 1) return `Versement année ${i.year}`;
    if (i.trigger?.kind === 'signature') return `Avance année ${i.year}`;
    if (i.trigger?.kind === 'report_accepted' && i.trigger.reportYear === i.year)
      return `Solde année ${i.year}`;
    if (i.trigger?.kind === 'report_accepted') return `Avance année ${i.year}`;
    return `Versement année ${i.year}`;
  };
  const kinds = list.map((i) => [i, kindOf(i)]);
  const seen = new Map();
  return new Map(
    kinds.map(([i, kind]) => {
      const key = `${i.funder}|${kind}`;
      const same = kinds.filter(([x, k]) => x.funder === i.funder && k === kind).length;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      return [i.id, same > 1 ? `${kind} (${n})` : kind];
    }),
  );
}
