// The evaluator's dashboard: per campaign (and year), requested / awarded / paid per funder, per
// quartier (QPV, named from the campaign's reference version) and per theme; envelope use; the share
// of multi-year conventions (CPO) against the target; the ledger per funder and year the money moved
// (what was committed, awarded, paid, recovered and reserved in each); overdue and upcoming yearly
// reports. « Exercice » has one meaning on the page, the filter's: the year the statistics file a
// convention year under (the calendar year it starts in). The ledger counts by the calendar year each
// movement fell in, called « année du mouvement », every year, whatever the filter. Every table is
// downloadable as CSV, written here from the API's JSON (what the page shows, nothing else).
import { useState } from './vendor/hooks.mjs';
import { BarChart, ShareGauge } from './charts.js';
import {
  html,
  money,
  count,
  date,
  byFunder,
  compareFunders,
  funderLabel,
  plural,
  saveBlob,
  toCsv,
  TableScroll,
} from './lib.js';
import { useApi, useQpvNaming } from './pages.js';

const amountSeries = [
  { name: 'Demandé', className: 's-requested' },
  { name: 'Attribué', className: 's-awarded' },
  { name: 'Versé', className: 's-paid' },
];
/** Euros with a decimal comma: the CSV is `;`-separated for French spreadsheets. */
const eurosCell = (cents) =>
  cents === null || cents === undefined ? '' : (cents / 100).toFixed(2).replace('.', ',');
/** The money of a statistic's row, in the order of amountSeries. */
const seriesValues = (x) => [x.amounts.requestedCents, x.amounts.awardedCents, x.amounts.paidCents];
/** Per quartier and per theme: the counts shown beside the money, their column titles and CSV names. */
const countColumns = ['Candidatures', 'Bénéficiaires attendus', 'Bénéficiaires touchés'];
const countCsvHeader = ['candidatures', 'beneficiaires_attendus', 'beneficiaires_touches'];
const counts = (x) => [x.applications, x.expectedBeneficiaries, x.reachedBeneficiaries];
const amountCsvHeader = ['demande_eur', 'attribue_eur', 'verse_eur', 'reverse_eur'];
/** The money of a statistic's row in a CSV: the chart's series, then what porteurs repay. */
const csvAmounts = (x) => [...seriesValues(x), x.amounts.recoveredCents].map(eurosCell);
const percentOf = (part, whole) => (whole > 0 ? Math.round((part * 1000) / whole) / 10 : null);
const percentText = (p) => (p === null ? '—' : `${String(p).replace('.', ',')} %`);
const horizons = [30, 60, 90, 180, 365];
/** Under an envelope's bars: what is left of it and the share reserved (« reste 427 500,00 € · 46,6 % utilisés »). */
const envelopeNote = (e) => {
  const used = percentOf(e.reservedCents, e.amountCents);
  return `reste ${money(e.remainingCents)}${used === null ? '' : ` · ${percentText(used)} utilisés`}`;
};

function CsvButton({ label, filename, header, rows, testId }) {
  return html`<button
    type="button"
    class="csv"
    data-csv=${testId}
    onClick=${() => saveBlob(new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }), filename)}
  >
    ${label}
  </button>`;
}

function Problem({ error }) {
  return error ? html`<p class="refusal" role="alert">${error}</p>` : null;
}

function ReportsTable({ items, testId, caption }) {
  if (!items?.length) return null;
  return html`<${TableScroll} label=${caption}>
    <table data-testid=${testId}>
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Action</th>
          <th scope="col">Porteur</th>
          <th scope="col" class="num">Année de convention</th>
          <th scope="col">Dû le</th>
          <th scope="col">Statut</th>
          <th scope="col">Financeurs</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (r) =>
            html`<tr data-row=${`${r.applicationId}-${r.year}`}>
              <td><a href=${`#/candidatures/${r.applicationId}`}>${r.title || r.applicationId}</a></td>
              <td>${r.porteurName}</td>
              <td class="num" data-field="year">${r.year}</td>
              <td data-field="dueDate" data-value=${r.dueDate}>${date(r.dueDate)}</td>
              <td>${r.statusLabel}</td>
              <td>${[...(r.funders ?? [])].sort(compareFunders).map(funderLabel).join(', ')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

const reportsCsvHeader = [
  'candidature',
  'action',
  'porteur',
  'annee_convention',
  'debut_annee',
  'fin_annee',
  'du_le',
  'statut',
  'financeurs',
];
const reportsCsvRows = (items) =>
  (items ?? []).map((r) => [
    r.applicationId,
    r.title,
    r.porteurName,
    r.year,
    r.yearStart,
    r.yearEnd,
    r.dueDate,
    r.statusLabel,
    [...(r.funders ?? [])].sort(compareFunders).join(' '),
  ]);

const ledgerColumns = [
  ['committedCents', 'Engagé', 'engage_eur'],
  ['awardedCents', 'Attribué', 'attribue_eur'],
  ['paidCents', 'Versé', 'verse_eur'],
  ['recoveredCents', 'Reversé', 'reverse_eur'],
  ['reservedCents', 'Réservé', 'reserve_eur'],
];

/**
 * The money each funder moved in each year (GET /api/stats/ledger, by default by the Paris year of
 * each movement): a table rather than a chart, since a year of cancellations moves money back
 * (negative amounts, written with their sign).
 */
function LedgerTable({ items, caption }) {
  if (!items?.length) return null;
  return html`<${TableScroll} label=${caption}>
    <table data-testid="ledger">
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Financeur</th>
          <th scope="col" class="num">Année du mouvement</th>
          ${ledgerColumns.map(([, title]) => html`<th scope="col" class="num">${title}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (t) =>
            html`<tr data-row=${`${t.funder}-${t.year}`}>
              <th scope="row">${t.funderName ?? funderLabel(t.funder)}</th>
              <td class="num">${t.year}</td>
              ${ledgerColumns.map(
                ([field]) =>
                  html`<td class="num" data-field=${field} data-value=${t[field]}>${money(t[field])}</td>`,
              )}
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

/**
 * Why a funder's « attribué » may exceed its « réservé »: after a termination, or a closing whose
 * balance was cancelled, the award stays what the committee decided while the envelope keeps only
 * what was paid (net of recoveries), the rest freed (domain/application/queries.ts,
 * expectedReservations). Shown when some funder's figures differ that way; both figures are the
 * summary's own (`amounts.awardedCents`, `envelope.reservedCents`), compared, never recomputed.
 * @param {{ funders: { funder: string, funderName?: string, amounts: { awardedCents: number }, envelope: { reservedCents: number } }[] }} props
 */
function AwardedAboveReserved({ funders }) {
  const above = funders.filter((f) => f.amounts.awardedCents > f.envelope.reservedCents);
  if (above.length === 0) return null;
  return html`<div class="explain" data-testid="awarded-vs-reserved">
    <p>
      <strong>Attribué supérieur au réservé :</strong> après une résiliation ou une clôture, l’attribution
      reste la décision du comité, mais l’enveloppe ne réserve plus que ce qui a été versé (moins les
      reversements) : le reste redevient disponible.
    </p>
    <ul>
      ${above.map(
        (f) =>
          html`<li data-funder=${f.funder}>
            ${`${f.funderName ?? funderLabel(f.funder)} : ${money(f.amounts.awardedCents)} attribués, ${money(f.envelope.reservedCents)} réservés.`}
          </li>`,
      )}
    </ul>
  </div>`;
}

/**
 * Under a list the API cut at its limit: how many it shows of how many.
 * @param {{ list?: { items: unknown[], total: number } }} props
 */
function CutNote({ list }) {
  if (list === undefined || list.total <= list.items.length) return null;
  return html`<p class="reference-note" role="note">
    Les ${count(list.items.length)} premiers sur ${count(list.total)}.
  </p>`;
}

export function DashboardPage({ campaigns }) {
  const [campaignId, setCampaignId] = useState('');
  const [year, setYear] = useState('');
  const [withinDays, setWithinDays] = useState('60');
  const id = campaignId || campaigns?.[0]?.campaignId || '';
  const enc = encodeURIComponent(id);
  const q = new URLSearchParams({ ...(id ? { campaignId: id } : {}), ...(year ? { year } : {}) }).toString();
  const summary = useApi(id ? `/api/campaigns/${enc}/summary` : null);
  const campaign = useApi(id ? `/api/campaigns/${enc}` : null);
  const funders = useApi(id ? `/api/stats/funders?${q}` : null);
  const qpv = useApi(id ? `/api/stats/qpv?${q}` : null);
  const themes = useApi(id ? `/api/stats/themes?${q}` : null);
  // By the year the money moved, every year: not the filter's exercice (see the section's note).
  const ledger = useApi(id ? `/api/stats/ledger?campaignId=${enc}` : null);
  // As many as the API lists at once; a list cut there says so (CutNote).
  const overdue = useApi(id ? `/api/reports/overdue?campaignId=${enc}&limit=5000` : null);
  const upcoming = useApi(
    id ? `/api/reports/upcoming?campaignId=${enc}&withinDays=${withinDays}&limit=5000` : null,
  );
  const s = summary.data;
  const years = s?.byYear?.map((y) => y.year) ?? [];
  // The API lists funders by code (CAF, COMMUNE-…, DEPARTEMENT…): shown, like everywhere in the
  // console, in the funders' order (byFunder: État first, the communes last by INSEE code).
  const fItems = byFunder(funders.data?.items);
  const qItems = qpv.data?.items ?? [];
  const tItems = themes.data?.items ?? [];
  const envelopes = byFunder((s?.byFunder ?? []).filter((f) => f.envelope));
  // Each funder's years keep the API's order (byFunder's sort is stable).
  const ledgerItems = byFunder(ledger.data?.items);
  const mY = s?.multiYear;
  const naming = useQpvNaming(campaign.data?.state?.territory?.qpvReferenceVersion);
  const suffix = `${id}${year ? `-${year}` : ''}`;
  const scope = year ? `, exercice ${year}` : ', tous exercices';

  if (campaigns && campaigns.length === 0)
    return html`<section>
      <h1>Tableau de bord</h1>
      <p class="empty">Aucune campagne pour l’instant.</p>
    </section>`;

  return html`<section class="dashboard">
    <h1>Tableau de bord</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filtres du tableau de bord">
      <div class="field">
        <label for="f-campaign">Campagne</label>
        <select id="f-campaign" onChange=${(e) => (setCampaignId(e.currentTarget.value), setYear(''))}>
          ${(campaigns ?? []).map((c) => html`<option value=${c.campaignId} selected=${c.campaignId === id}>${c.name ?? c.campaignId}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="f-year">Exercice (montants)</label>
        <select id="f-year" onChange=${(e) => setYear(e.currentTarget.value)}>
          <option value="" selected=${year === ''}>Tous</option>
          ${years.map((y) => html`<option value=${y} selected=${String(y) === year}>${y}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="f-horizon">Comptes rendus à venir dans les</label>
        <select id="f-horizon" onChange=${(e) => setWithinDays(e.currentTarget.value)}>
          ${horizons.map((d) => html`<option value=${d} selected=${String(d) === withinDays}>${d} jours</option>`)}
        </select>
      </div>
    </form>
    <${Problem} error=${summary.error} />
    ${
      s
        ? html`<dl class="kpis" data-testid="kpis">
              <div>
                <dt>Candidatures</dt>
                <dd data-kpi="applications">${count(s.applications)}</dd>
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
                <dt>Reversé</dt>
                <dd data-kpi="recovered">${money(s.amounts.recoveredCents)}</dd>
              </div>
              <div>
                <dt>Bénéficiaires par an (attendus / touchés)</dt>
                <dd data-kpi="beneficiaries">
                  ${count(s.expectedBeneficiaries)} / ${count(s.reachedBeneficiaries)}
                </dd>
              </div>
              <div>
                <dt>Part des actions en CPO (cible ${mY?.targetPercent ?? 50} %)</dt>
                <dd data-kpi="cpo">
                  ${mY?.sharePercent === null || mY?.sharePercent === undefined ? '— (aucune action retenue)' : percentText(mY.sharePercent)}
                </dd>
              </div>
            </dl>
            <p class="reference-note">
              Indicateurs de la campagne, tous exercices. Versé : les versements ordonnés ; reversé : ce que
              les porteurs doivent rendre (résiliation, sommes versées non dépensées), à déduire du versé.
              Bénéficiaires par an : attendus selon les dossiers encore en lice ou retenus (hors retirés,
              irrecevables, rejetés, caducs), touchés selon le dernier compte rendu accepté de chaque action.
              Les graphiques suivent le filtre d’exercice pour les montants (l’exercice d’une année de
              convention : l’année civile où elle commence) ; les candidatures et bénéficiaires comptent toute
              la campagne ; le grand livre compte par année du mouvement, toutes années.
            </p>`
        : null
    }

    <div class="dash-grid">
      <section class="dash-section" aria-labelledby="funders-title">
        <h2 id="funders-title">Financeurs</h2>
        <${Problem} error=${funders.error} />
        <${BarChart}
          id="chart-funders"
          compact
          title=${`Par financeur${scope} : demandé, attribué, versé`}
          rowHeader="Financeur"
          extraColumns=${['Candidatures']}
          series=${amountSeries}
          rows=${fItems.map((f) => ({
            key: f.funder,
            label: f.funderName ?? funderLabel(f.funder),
            shortLabel: funderLabel(f.funder),
            extras: [f.applications],
            values: seriesValues(f),
          }))}
        />
        <${CsvButton}
          testId="funders"
          label="Télécharger les financeurs (CSV)"
          filename=${`financeurs-${suffix}.csv`}
          header=${['financeur', 'nom', 'candidatures', ...amountCsvHeader, 'enveloppe_eur', 'reserve_eur', 'disponible_eur']}
          rows=${fItems.map((f) => [
            f.funder,
            f.funderName ?? funderLabel(f.funder),
            f.applications,
            ...csvAmounts(f),
            eurosCell(f.envelope?.amountCents),
            eurosCell(f.envelope?.reservedCents),
            eurosCell(f.envelope?.remainingCents),
          ])}
        />
      </section>

      <section class="dash-section" aria-labelledby="envelopes-title">
        <h2 id="envelopes-title">Enveloppes de la campagne</h2>
        <${BarChart}
          id="chart-envelopes"
          compact
          title="Utilisation des enveloppes : enveloppe votée et montant réservé"
          rowHeader="Financeur"
          extraColumns=${['Disponible', 'Utilisation']}
          series=${[
            { name: 'Enveloppe', className: 's-envelope' },
            { name: 'Réservé', className: 's-reserved' },
          ]}
          rows=${envelopes.map((f) => ({
            key: f.funder,
            label: f.funderName ?? funderLabel(f.funder),
            shortLabel: funderLabel(f.funder),
            note: envelopeNote(f.envelope),
            extras: [
              money(f.envelope.remainingCents),
              percentText(percentOf(f.envelope.reservedCents, f.envelope.amountCents)),
            ],
            values: [f.envelope.amountCents, f.envelope.reservedCents],
          }))}
        />
        <${AwardedAboveReserved} funders=${envelopes} />
        <${CsvButton}
          testId="envelopes"
          label="Télécharger les enveloppes (CSV)"
          filename=${`enveloppes-${id}.csv`}
          header=${['financeur', 'nom', 'enveloppe_eur', 'reserve_eur', 'disponible_eur', 'utilisation_pct']}
          rows=${envelopes.map((f) => [
            f.funder,
            f.funderName ?? funderLabel(f.funder),
            eurosCell(f.envelope.amountCents),
            eurosCell(f.envelope.reservedCents),
            eurosCell(f.envelope.remainingCents),
            String(percentOf(f.envelope.reservedCents, f.envelope.amountCents) ?? '').replace('.', ','),
          ])}
        />
        ${
          s
            ? html`<${ShareGauge}
                id="chart-cpo"
                title="Part des actions retenues en convention pluriannuelle (CPO), face à la cible"
                label="des actions retenues sont en CPO"
                percent=${mY?.sharePercent ?? null}
                target=${mY?.targetPercent ?? null}
                detail=${`${mY?.multiYearActions ?? 0} CPO sur ${plural(mY?.retainedActions ?? 0, 'action retenue', 'actions retenues')}`}
              />`
            : null
        }
      </section>
    </div>

    <section class="dash-section" aria-labelledby="qpv-title">
      <h2 id="qpv-title">Quartiers prioritaires</h2>
      ${
        naming.reference
          ? html`<p class="reference-note" data-testid="qpv-reference">
              ${`Noms des quartiers : référentiel « ${naming.version} » (${naming.reference.source}, ${date(naming.reference.date)}).`}
            </p>`
          : campaign.data && !naming.loading
            ? html`<p class="reference-note">
                Noms des quartiers indisponibles pour le référentiel « ${naming.version ?? '—'} » : codes
                seuls.
              </p>`
            : null
      }
      <p class="reference-note" data-testid="qpv-overlap">
        ${`Une action visant plusieurs quartiers compte en entier dans chacun : les quartiers ne s’additionnent pas.${year ? ' Candidatures et bénéficiaires : toutes années.' : ''}`}
      </p>
      <${Problem} error=${qpv.error} />
      <${BarChart}
        id="chart-qpv"
        title=${`Par quartier prioritaire${scope} : demandé, attribué, versé`}
        rowHeader="Quartier"
        extraColumns=${countColumns}
        series=${amountSeries}
        rows=${qItems.map((x) => ({
          key: x.qpv,
          label: naming.label(x.qpv),
          extras: counts(x),
          values: seriesValues(x),
        }))}
      />
      <${CsvButton}
        testId="qpv"
        label="Télécharger les quartiers (CSV)"
        filename=${`quartiers-${suffix}.csv`}
        header=${['qpv', 'nom', ...countCsvHeader, ...amountCsvHeader]}
        rows=${qItems.map((x) => [x.qpv, naming.name(x.qpv) ?? '', ...counts(x), ...csvAmounts(x)])}
      />
    </section>

    <section class="dash-section" aria-labelledby="themes-title">
      <h2 id="themes-title">Thèmes</h2>
      <${Problem} error=${themes.error} />
      <${BarChart}
        id="chart-themes"
        title=${`Par thème de la nomenclature nationale${scope} : demandé, attribué, versé`}
        rowHeader="Thème"
        extraColumns=${countColumns}
        series=${amountSeries}
        rows=${tItems.map((t) => ({
          key: t.theme,
          label: `${t.theme} ${t.themeLabel}`,
          extras: counts(t),
          values: seriesValues(t),
        }))}
      />
      <${CsvButton}
        testId="themes"
        label="Télécharger les thèmes (CSV)"
        filename=${`themes-${suffix}.csv`}
        header=${['theme', 'libelle', ...countCsvHeader, ...amountCsvHeader]}
        rows=${tItems.map((t) => [t.theme, t.themeLabel, ...counts(t), ...csvAmounts(t)])}
      />
    </section>

    <section class="dash-section" aria-labelledby="ledger-title">
      <h2 id="ledger-title">Grand livre par financeur et par année du mouvement</h2>
      <p class="reference-note" data-testid="ledger-note">
        L’argent de la campagne selon l’année civile où il a bougé : engagements des financeurs et
        attributions (annulations déduites), versements et reversements ordonnés, réservations sur les
        enveloppes (libérations déduites). Toutes les années, quel que soit le filtre d’exercice : l’argent
        d’un exercice est souvent engagé, voire avancé, l’année d’avant. Le détail, mouvement par mouvement,
        est le grand livre des auditeurs.
      </p>
      <${Problem} error=${ledger.error} />
      ${
        ledgerItems.length
          ? html`<${LedgerTable}
              items=${ledgerItems}
              caption="Grand livre par financeur et par année du mouvement, toutes années"
            />`
          : ledger.data
            ? html`<p class="empty">Aucun mouvement.</p>`
            : null
      }
      <${CsvButton}
        testId="ledger"
        label="Télécharger le grand livre par année du mouvement (CSV)"
        filename=${`grand-livre-par-annee-du-mouvement-${id}.csv`}
        header=${['financeur', 'nom', 'annee_mouvement', ...ledgerColumns.map(([, , csv]) => csv)]}
        rows=${ledgerItems.map((t) => [
          t.funder,
          t.funderName ?? funderLabel(t.funder),
          t.year,
          ...ledgerColumns.map(([field]) => eurosCell(t[field])),
        ])}
      />
    </section>

    <div>
      <section class="dash-section" aria-labelledby="overdue-title">
        <h2 id="overdue-title">Comptes rendus en retard</h2>
        <p class="reference-note">Les versements de ces conventions sont suspendus jusqu’au dépôt.</p>
        <${Problem} error=${overdue.error} />
        ${
          overdue.data?.items?.length
            ? html`<${ReportsTable}
                items=${overdue.data.items}
                testId="overdue"
                caption="Comptes rendus en retard"
              />`
            : overdue.data
              ? html`<p class="empty">Aucun compte rendu en retard.</p>`
              : null
        }
        <${CutNote} list=${overdue.data} />
        <${CsvButton}
          testId="overdue"
          label="Télécharger les retards (CSV)"
          filename=${`comptes-rendus-en-retard-${id}.csv`}
          header=${reportsCsvHeader}
          rows=${reportsCsvRows(overdue.data?.items)}
        />
      </section>
      <section class="dash-section" aria-labelledby="upcoming-title">
        <h2 id="upcoming-title">Comptes rendus attendus dans les ${withinDays} jours</h2>
        <${Problem} error=${upcoming.error} />
        ${
          upcoming.data?.items?.length
            ? html`<${ReportsTable}
                items=${upcoming.data.items}
                testId="upcoming"
                caption=${`Comptes rendus attendus dans les ${withinDays} jours`}
              />`
            : upcoming.data
              ? html`<p class="empty">Aucun compte rendu attendu dans les ${withinDays} jours.</p>`
              : null
        }
        <${CutNote} list=${upcoming.data} />
        <${CsvButton}
          testId="upcoming"
          label="Télécharger les échéances (CSV)"
          filename=${`comptes-rendus-a-venir-${id}-${withinDays}j.csv`}
          header=${reportsCsvHeader}
          rows=${reportsCsvRows(upcoming.data?.items)}
        />
      </section>
    </div>
  </section>`;
}
