// The auditor's page (and the grant manager's history): an application's event timeline, its state
// as of a past date (business or record time), the integrity check, SCDL and ledger exports.
import { useState } from './vendor/hooks.mjs';
import { html, api, download, dateTime, statusLabels, today } from './lib.js';
import { Timeline, useApi } from './pages.js';

function AsOf({ id }) {
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const at = String(form.get('at') ?? '');
    const time = String(form.get('time') ?? 'business');
    setError(null);
    try {
      setResult(
        await api('GET', `/api/audit/applications/${id}/as-of?at=${encodeURIComponent(at)}&time=${time}`),
      );
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return html`<section aria-labelledby="asof-title">
    <h2 id="asof-title">État à une date passée</h2>
    <form onSubmit=${submit} class="inline">
      <div class="field">
        <label for="asof-at">Au (date, fin de journée à Paris)</label
        ><input id="asof-at" name="at" type="date" value=${today()} required />
      </div>
      <div class="field">
        <label for="asof-time">Horloge</label>
        <select id="asof-time" name="time">
          <option value="business">Date métier</option>
          <option value="record">Date d’enregistrement</option>
        </select>
      </div>
      <button type="submit" class="primary">Rejouer</button>
    </form>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      result
        ? html`<div data-testid="asof-result">
            <dl class="facts">
              <dt>Statut</dt>
              <dd data-field="status">${statusLabels[result.state?.status] ?? result.state?.status}</dd>
              <dt>Événements appliqués</dt>
              <dd data-field="eventsApplied">${result.eventsApplied} / ${result.streamLength}</dd>
              <dt>Dernier événement</dt>
              <dd>
                ${result.lastEvent ? `révision ${result.lastEvent.revision} — métier ${dateTime(result.lastEvent.occurredAt)}, enregistré ${dateTime(result.lastEvent.recordedAt)}` : '—'}
              </dd>
              <dt>Saisis en retard (non appliqués)</dt>
              <dd data-field="outOfOrder">${result.outOfOrder?.length ?? 0}</dd>
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

export function AuditPage({ principal, id }) {
  const list = useApi('/api/applications?limit=200');
  const [verify, setVerify] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [scdlYear, setScdlYear] = useState(String(new Date().getFullYear()));
  const auditor = principal.role === 'auditor';
  const run = async (fn) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return html`<section>
    <h1>${auditor ? 'Audit' : 'Historique des candidatures'}</h1>
    <div class="field">
      <label for="audit-app">Candidature</label>
      <select id="audit-app" onChange=${(e) => (location.hash = `#/audit/${e.currentTarget.value}`)}>
        <option value="">— choisir —</option>
        ${(list.data?.items ?? []).map((a) => html`<option value=${a.id} selected=${a.id === id}>${a.title} — ${a.porteur?.name} (${a.id})</option>`)}
      </select>
    </div>
    ${
      auditor
        ? html`<section aria-labelledby="integrity-title">
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
                onClick=${() => run(() => download('/api/audit/ledger.csv', 'grand-livre.csv'))}
              >
                Grand livre (CSV)
              </button>
            </p>
            <form
              class="inline"
              onSubmit=${(e) => {
                e.preventDefault();
                return run(() =>
                  download(
                    `/api/audit/exports/scdl.csv?year=${encodeURIComponent(scdlYear)}`,
                    `scdl-subventions-${scdlYear}.csv`,
                  ),
                );
              }}
            >
              <div class="field">
                <label for="scdl-year">Exercice de l’export SCDL</label
                ><input
                  id="scdl-year"
                  type="number"
                  value=${scdlYear}
                  onInput=${(e) => setScdlYear(e.currentTarget.value)}
                />
              </div>
              <button type="submit">Export SCDL « subventions » (CSV)</button>
            </form>
            ${verify ? html`<p class=${verify.ok ? 'notice' : 'refusal'} role="status" data-testid="verify">${verify.summary}</p>` : null}
          </section>`
        : null
    }
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
    ${
      id
        ? html`<${AsOf} id=${id} />
            <section aria-labelledby="trail-title">
              <h2 id="trail-title">Événements</h2>
              <${Timeline} key=${id} stream=${`application-${id}`} />
            </section>
            <p><a href=${`#/candidatures/${id}`}>Voir la candidature</a></p>`
        : null
    }
  </section>`;
}
