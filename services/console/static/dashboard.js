// The evaluator's dashboard: per campaign (and year), requested / awarded / paid per funder and per
// QPV, envelope use, the share of multi-year conventions (CPO) against the target, overdue reports;
// every table downloadable as CSV, generated here from the API's JSON.
import { useState } from './vendor/hooks.mjs';
import { BarChart } from './charts.js';
import { html, money, date, funderLabel, saveBlob, toCsv } from './lib.js';
import { useApi } from './pages.js';

const amountSeries = [
  { name: 'Demandé', className: 's-requested' },
  { name: 'Attribué', className: 's-awarded' },
  { name: 'Versé', className: 's-paid' },
];
const eurosCell = (cents) => (cents / 100).toFixed(2);
const csvButton = (label, filename, header, rows) =>
  html`<button
    type="button"
    onClick=${() => saveBlob(new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }), filename)}
  >
    ${label}
  </button>`;

export function DashboardPage({ campaigns }) {
  const [campaignId, setCampaignId] = useState('');
  const [year, setYear] = useState('');
  const id = campaignId || campaigns?.[0]?.campaignId || '';
  const q = new URLSearchParams({ ...(id ? { campaignId: id } : {}), ...(year ? { year } : {}) }).toString();
  const summary = useApi(id ? `/api/campaigns/${encodeURIComponent(id)}/summary` : null);
  const funders = useApi(`/api/stats/funders?${q}`);
  const qpv = useApi(`/api/stats/qpv?${q}`);
  const overdue = useApi(`/api/reports/overdue?${id ? `campaignId=${encodeURIComponent(id)}` : ''}`);
  const s = summary.data;
  const years = s?.byYear?.map((y) => y.year) ?? [];
  const fItems = funders.data?.items ?? [];
  const qItems = qpv.data?.items ?? [];
  const mY = s?.multiYear;
  return html`<section>
    <h1>Tableau de bord</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filtres">
      <div class="field">
        <label for="f-campaign">Campagne</label>
        <select id="f-campaign" onChange=${(e) => setCampaignId(e.currentTarget.value)}>
          ${(campaigns ?? []).map((c) => html`<option value=${c.campaignId} selected=${c.campaignId === id}>${c.name}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="f-year">Exercice</label>
        <select id="f-year" onChange=${(e) => setYear(e.currentTarget.value)}>
          <option value="">Tous</option>
          ${years.map((y) => html`<option value=${y} selected=${String(y) === year}>${y}</option>`)}
        </select>
      </div>
    </form>
    ${summary.error ? html`<p class="refusal" role="alert">${summary.error}</p>` : null}
    ${
      s
        ? html`<dl class="kpis" data-testid="kpis">
            <div>
              <dt>Candidatures</dt>
              <dd data-kpi="applications">${s.applications}</dd>
            </div>
            <div>
              <dt>Demandé</dt>
              <dd data-kpi="requested">${money(s.amounts.requestedCents)}</dd>
            </div>
            <div>
              <dt>Attribué</dt>
              <dd data-kpi="awarded">${money(s.amounts.awardedCents)}</dd>
            </div>
            <div>
              <dt>Versé</dt>
              <dd data-kpi="paid">${money(s.amounts.paidCents)}</dd>
            </div>
            <div>
              <dt>Bénéficiaires (attendus / touchés)</dt>
              <dd>${s.expectedBeneficiaries} / ${s.reachedBeneficiaries}</dd>
            </div>
            <div>
              <dt>Part des actions en CPO (cible ${mY?.targetPercent ?? 50} %)</dt>
              <dd data-kpi="cpo">
                ${mY?.sharePercent === null || mY?.sharePercent === undefined ? '— (aucune action retenue)' : `${Math.round(mY.sharePercent)} %`}
              </dd>
            </div>
          </dl>`
        : null
    }
    <div class="charts">
      <${BarChart}
        id="chart-funders"
        title=${`Par financeur${year ? `, exercice ${year}` : ''} : demandé, attribué, versé`}
        series=${amountSeries}
        rows=${fItems.map((f) => ({ label: f.funderName ?? funderLabel(f.funder), values: [f.amounts.requestedCents, f.amounts.awardedCents, f.amounts.paidCents] }))}
      />
      ${csvButton(
        'Télécharger (CSV) — financeurs',
        `financeurs-${id}${year ? `-${year}` : ''}.csv`,
        [
          'financeur',
          'candidatures',
          'demande_eur',
          'attribue_eur',
          'verse_eur',
          'enveloppe_eur',
          'reserve_eur',
          'disponible_eur',
        ],
        fItems.map((f) => [
          f.funder,
          f.applications,
          eurosCell(f.amounts.requestedCents),
          eurosCell(f.amounts.awardedCents),
          eurosCell(f.amounts.paidCents),
          f.envelope ? eurosCell(f.envelope.amountCents) : '',
          f.envelope ? eurosCell(f.envelope.reservedCents) : '',
          f.envelope ? eurosCell(f.envelope.remainingCents) : '',
        ]),
      )}
      <${BarChart}
        id="chart-qpv"
        title=${`Par quartier prioritaire${year ? `, exercice ${year}` : ''} : demandé, attribué, versé`}
        series=${amountSeries}
        rows=${qItems.map((x) => ({ label: x.qpv, values: [x.amounts.requestedCents, x.amounts.awardedCents, x.amounts.paidCents] }))}
      />
      ${csvButton(
        'Télécharger (CSV) — quartiers',
        `qpv-${id}${year ? `-${year}` : ''}.csv`,
        [
          'qpv',
          'candidatures',
          'beneficiaires_attendus',
          'beneficiaires_touches',
          'demande_eur',
          'attribue_eur',
          'verse_eur',
        ],
        qItems.map((x) => [
          x.qpv,
          x.applications,
          x.expectedBeneficiaries,
          x.reachedBeneficiaries,
          eurosCell(x.amounts.requestedCents),
          eurosCell(x.amounts.awardedCents),
          eurosCell(x.amounts.paidCents),
        ]),
      )}
      ${
        s
          ? html`<${BarChart}
                id="chart-envelopes"
                title="Utilisation des enveloppes (campagne) : enveloppe, réservé"
                series=${[
                  { name: 'Enveloppe', className: 's-envelope' },
                  { name: 'Réservé', className: 's-awarded' },
                ]}
                rows=${s.byFunder.filter((f) => f.envelope).map((f) => ({ label: f.funderName ?? funderLabel(f.funder), values: [f.envelope.amountCents, f.envelope.reservedCents] }))}
              />
              <${BarChart}
                id="chart-cpo"
                title="Part des actions retenues en CPO, face à la cible"
                format=${(n) => `${Math.round(n)} %`}
                series=${[{ name: 'Part', className: 's-paid' }]}
                rows=${[
                  { label: 'Part des CPO', values: [mY?.sharePercent ?? 0] },
                  { label: 'Cible du contrat', values: [mY?.targetPercent ?? 50] },
                ]}
              />`
          : null
      }
    </div>
    <h2>Comptes rendus en retard</h2>
    ${
      overdue.data?.items?.length
        ? html`<table data-testid="overdue">
              <thead>
                <tr>
                  <th scope="col">Candidature</th>
                  <th scope="col">Année</th>
                  <th scope="col">Dû le</th>
                </tr>
              </thead>
              <tbody>
                ${overdue.data.items.map(
                  (r) =>
                    html`<tr>
                      <td>${r.title ?? r.applicationId}</td>
                      <td>${r.year}</td>
                      <td>${date(r.dueDate)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${csvButton(
              'Télécharger (CSV) — retards',
              `retards-${id}.csv`,
              ['candidature', 'annee', 'du_le'],
              overdue.data.items.map((r) => [r.applicationId, r.year, r.dueDate]),
            )}`
        : html`<p class="empty">Aucun compte rendu en retard.</p>`
    }
  </section>`;
}
