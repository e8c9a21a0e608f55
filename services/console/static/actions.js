// The forms of the commands: one per action the API lists as possible now (`allowed`), and the
// grant manager's campaign forms. A refusal shows the problem's French `detail` in the form itself.
import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import {
  api,
  centsOf,
  date,
  frenchText,
  funderLabel,
  html,
  lines,
  money,
  ofFunder,
  theFunder,
  today,
  addDays,
} from './lib.js';

/**
 * @typedef {{ name: string, label: string, type?: 'text'|'textarea'|'date'|'select'|'money'|'number', value?: string|number, options?: [string, string][], required?: boolean, help?: string }} Field
 */

/**
 * A form posting one command. `build` turns the typed values into the request body.
 * @param {{ id: string, title: string, hint?: string, fields: Field[], submitLabel: string, path: string | ((v: Record<string,string>) => string), build: (v: Record<string,string>) => unknown, onDone: (view: any) => void, danger?: boolean }} props
 */
export function ActionForm({ id, title, hint, fields, submitLabel, path, build, onDone, danger }) {
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const refusal = useRef(/** @type {HTMLParagraphElement | null} */ (null));
  // A refusal takes the focus: a keyboard or screen-reader user lands on the reason, in the form.
  useEffect(() => {
    if (error) refusal.current?.focus();
  }, [error]);
  const submit = async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(event.currentTarget).entries());
    setBusy(true);
    setError(null);
    try {
      const typed = /** @type {Record<string,string>} */ (values);
      const view = await api('POST', typeof path === 'function' ? path(typed) : path, build(typed));
      onDone(view);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="action" onSubmit=${submit} aria-labelledby=${`${id}-title`} data-action=${id}>
      <h3 id=${`${id}-title`}>${title}</h3>
      ${hint ? html`<p class="hint">${frenchText(hint)}</p>` : null} ${fields.map((f) => FieldInput(id, f))}
      ${
        error
          ? html`<p class="refusal" role="alert" tabindex="-1" ref=${refusal} id=${`${id}-error`}>
              <strong>Refusé :</strong> ${error}
            </p>`
          : null
      }
      <button type="submit" class=${danger ? 'danger' : 'primary'} disabled=${busy}>
        ${busy ? 'Envoi…' : submitLabel}
      </button>
    </form>
  `;
}

/** @param {string} formId @param {Field} f */
export function FieldInput(formId, f) {
  const inputId = `${formId}-${f.name}`;
  const common = {
    id: inputId,
    name: f.name,
    required: f.required ?? false,
    'aria-describedby': f.help ? `${inputId}-help` : undefined,
  };
  let control;
  switch (f.type ?? 'text') {
    case 'textarea':
      control = html`<textarea ...${common} rows="3">${f.value ?? ''}</textarea>`;
      break;
    case 'select':
      control = html`<select ...${common}>
        ${(f.options ?? []).map(
          ([value, label]) =>
            html`<option value=${value} selected=${String(f.value) === value}>${label}</option>`,
        )}
      </select>`;
      break;
    // defaultValue, not value: the inputs are the person's, not the component's — a re-render (the
    // refusal appearing, the page reloading its data) must not put back the initial values.
    case 'date':
      control = html`<input type="date" ...${common} defaultValue=${f.value ?? ''} />`;
      break;
    case 'number':
      control = html`<input type="number" min="0" step="1" ...${common} defaultValue=${f.value ?? ''} />`;
      break;
    case 'money':
      control = html`<input type="text" inputmode="decimal" ...${common} defaultValue=${f.value ?? ''} />`;
      break;
    default:
      control = html`<input type="text" ...${common} defaultValue=${f.value ?? ''} />`;
  }
  return html`<div class="field">
    <label for=${inputId}>${f.label}${f.type === 'money' ? ' (€)' : ''}${f.required ? ' *' : ''}</label>
    ${control} ${f.help ? html`<small id=${`${inputId}-help`}>${f.help}</small>` : null}
  </div>`;
}

/** Cents → the euros a person would type, "1500,00". */
const euros = (cents) => (cents ? (cents / 100).toFixed(2).replace('.', ',') : '');

const yearsOf = (state) => Array.from({ length: state?.dossier?.durationYears ?? 1 }, (_, i) => i + 1);

/**
 * The form of one allowed command on an application.
 * @param {{ allowed: { type: string, reason?: string }, detail: any, principal: any, onDone: (v: any) => void }} props
 */
export function CommandForm({ allowed, detail, principal, onDone }) {
  const state = detail.state ?? {};
  const base = `/api/applications/${detail.id}`;
  const hint = allowed.reason;
  const p = { hint, onDone };
  switch (allowed.type) {
    case 'DeclareEligible':
      return html`<${ActionForm}
        ...${p}
        id="eligible"
        title="Déclarer la candidature recevable"
        submitLabel="Déclarer recevable"
        path=${`${base}/eligibility`}
        fields=${[
          {
            name: 'coDecisionDueDate',
            label: 'Date limite de la co-décision (positions et avis)',
            type: 'date',
            value: addDays(today(), 21),
            required: true,
            help: 'Dernier jour inclus.',
          },
          {
            name: 'justification',
            label: 'Justification',
            type: 'textarea',
            help: 'Obligatoire si un constat automatique est en échec.',
          },
        ]}
        build=${(v) => ({
          decision: 'eligible',
          coDecisionDueDate: v.coDecisionDueDate,
          ...(v.justification?.trim() ? { justification: v.justification } : {}),
        })}
      />`;
    case 'DeclareIneligible':
      return html`<${ActionForm}
        ...${p}
        id="ineligible"
        title="Déclarer la candidature irrecevable"
        submitLabel="Déclarer irrecevable"
        danger
        path=${`${base}/eligibility`}
        fields=${[{ name: 'reasons', label: 'Motifs (un par ligne)', type: 'textarea', required: true }]}
        build=${(v) => ({ decision: 'ineligible', reasons: lines(v.reasons) })}
      />`;
    case 'RequestComplements':
      return html`<${ActionForm}
        ...${p}
        id="complements-request"
        title="Demander des compléments"
        submitLabel="Envoyer la demande"
        path=${`${base}/eligibility`}
        fields=${[
          {
            name: 'items',
            label: 'Pièces ou précisions demandées (une par ligne)',
            type: 'textarea',
            required: true,
          },
          {
            name: 'dueDate',
            label: 'Date limite de réponse',
            type: 'date',
            value: addDays(today(), 15),
            required: true,
            help: 'Dernier jour inclus.',
          },
        ]}
        build=${(v) => ({ decision: 'complements', items: lines(v.items), dueDate: v.dueDate })}
      />`;
    case 'ProvideComplements':
      return html`<${ActionForm}
        ...${p}
        id="complements"
        title="Répondre à la demande de compléments"
        hint=${state.request ? `Demandé : ${state.request.items.join(' ; ')} (réponse attendue jusqu’au ${date(state.request.dueDate)} inclus).` : hint}
        submitLabel="Envoyer la réponse"
        path=${`${base}/complements`}
        fields=${[
          { name: 'response', label: 'Réponse', type: 'textarea', required: true },
          { name: 'documentRefs', label: 'Références des pièces jointes (une par ligne)', type: 'textarea' },
        ]}
        build=${(v) => ({ response: v.response, documentRefs: lines(v.documentRefs) })}
      />`;
    case 'RecordFunderPosition': {
      const funder = principal.institution;
      const requested = (year) =>
        state.dossier?.budget?.find((b) => b.year === year)?.requested?.find((r) => r.funder === funder)
          ?.amountCents ?? 0;
      return html`<${ActionForm}
        ...${p}
        id="position"
        title=${`Position ${ofFunder(funder)}`}
        submitLabel="Enregistrer la position"
        path=${`${base}/positions`}
        fields=${[
          {
            name: 'decision',
            label: 'Décision',
            type: 'select',
            options: [
              ['committed', 'Engagement'],
              ['declined', 'Refus'],
            ],
          },
          ...yearsOf(state).map((y) => ({
            name: `y${y}`,
            label: `Montant engagé, année ${y} (demandé : ${money(requested(y))})`,
            type: 'money',
            value: euros(requested(y)),
          })),
          { name: 'conditions', label: 'Conditions (engagement)', type: 'textarea' },
          { name: 'reason', label: 'Motif (refus)', type: 'textarea' },
        ]}
        build=${(v) =>
          v.decision === 'declined'
            ? { position: { decision: 'declined', reason: v.reason } }
            : {
                position: {
                  decision: 'committed',
                  amountsByYear: yearsOf(state)
                    .map((y) => ({ year: y, amountCents: centsOf(v[`y${y}`]) }))
                    .filter((a) => a.amountCents !== 0),
                  ...(v.conditions?.trim() ? { conditions: v.conditions } : {}),
                },
              }}
      />`;
    }
    case 'GiveCitizenOpinion':
      return html`<${ActionForm}
        ...${p}
        id="opinion"
        title="Avis du conseil citoyen"
        submitLabel="Donner l’avis"
        path=${`${base}/citizen-opinion`}
        fields=${[
          {
            name: 'opinion',
            label: 'Avis',
            type: 'select',
            options: [
              ['favourable', 'Favorable'],
              ['reserved', 'Réservé'],
              ['unfavourable', 'Défavorable'],
            ],
          },
          { name: 'comment', label: 'Commentaire', type: 'textarea', required: true },
        ]}
        build=${(v) => ({ opinion: v.opinion, comment: v.comment })}
      />`;
    case 'RecordCommitteeApproval': {
      const positions = state.coDecision?.positions ?? {};
      const lines_ = Object.entries(positions).flatMap(([funder, pos]) =>
        pos.decision === 'committed' ? pos.amountsByYear.map((a) => ({ funder, ...a })) : [],
      );
      return html`<${ActionForm}
        ...${p}
        id="approval"
        title="Approbation du comité de pilotage"
        hint="Plan de financement prérempli avec les engagements des financeurs."
        submitLabel="Enregistrer l’approbation"
        path=${`${base}/committee-decision`}
        fields=${[
          {
            name: 'decisionReference',
            label: 'Référence de la décision',
            required: true,
            value: `COPIL-${today()}`,
          },
          {
            name: 'decisionDate',
            label: 'Date de la décision',
            type: 'date',
            value: today(),
            required: true,
          },
          ...lines_.map((l) => ({
            name: `plan|${l.funder}|${l.year}`,
            label: `${funderLabel(l.funder)}, année ${l.year}`,
            type: 'money',
            value: euros(l.amountCents),
          })),
        ]}
        build=${(v) => ({
          decision: 'approved',
          decisionReference: v.decisionReference,
          decisionDate: v.decisionDate,
          plan: Object.entries(v)
            .filter(([k]) => k.startsWith('plan|'))
            .map(([k, value]) => {
              const [, funder, year] = k.split('|');
              return { funder, year: Number(year), amountCents: centsOf(value) };
            })
            .filter((l) => l.amountCents !== 0),
        })}
      />`;
    }
    case 'RecordCommitteeRejection':
      return html`<${ActionForm}
        ...${p}
        id="rejection"
        title="Rejet par le comité de pilotage"
        submitLabel="Enregistrer le rejet"
        danger
        path=${`${base}/committee-decision`}
        fields=${[
          { name: 'decisionReference', label: 'Référence de la décision', required: true },
          {
            name: 'decisionDate',
            label: 'Date de la décision',
            type: 'date',
            value: today(),
            required: true,
          },
          { name: 'reasons', label: 'Motifs (un par ligne)', type: 'textarea', required: true },
        ]}
        build=${(v) => ({
          decision: 'rejected',
          decisionReference: v.decisionReference,
          decisionDate: v.decisionDate,
          reasons: lines(v.reasons),
        })}
      />`;
    case 'DraftConvention':
      return html`<${ActionForm}
        ...${p}
        id="convention"
        title="Rédiger la convention"
        hint=${hint ?? 'Échéancier par défaut : avance de 50 % à la signature, solde après le compte rendu.'}
        submitLabel="Rédiger la convention"
        path=${`${base}/convention`}
        fields=${[
          {
            name: 'startDate',
            label: 'Début de la première année',
            type: 'date',
            value: addDays(today(), 10),
            required: true,
          },
          {
            name: 'signatureDueDate',
            label: 'Date limite de signature',
            type: 'date',
            value: addDays(today(), 9),
            required: true,
            help: 'Dernier jour inclus.',
          },
        ]}
        build=${(v) => ({ startDate: v.startDate, signatureDueDate: v.signatureDueDate })}
      />`;
    case 'SignConvention':
      return html`<${ActionForm}
        ...${p}
        id="signature"
        title=${principal.role === 'funder' ? `Signer la convention pour ${theFunder(principal.institution)}` : 'Signer la convention'}
        submitLabel="Signer"
        path=${`${base}/signatures`}
        fields=${[]}
        build=${() => ({})}
      />`;
    case 'SubmitYearlyReport': {
      const due = (state.reports ?? []).filter(
        (r) => r.status === 'expected' || r.status === 'changes_requested',
      );
      const funders = [...new Set((state.award?.plan ?? []).map((l) => l.funder))];
      return html`<${ActionForm}
        ...${p}
        id="report"
        title="Déposer le compte rendu financier annuel"
        submitLabel="Déposer le compte rendu"
        path=${`${base}/reports`}
        fields=${[
          {
            name: 'year',
            label: 'Année de convention',
            type: 'select',
            options: (due.length ? due : (state.reports ?? [])).map((r) => [
              String(r.year),
              `Année ${r.year}`,
            ]),
          },
          ...funders.map((f) => ({
            name: `spent|${f}`,
            label: `Dépensé sur la subvention ${ofFunder(f)}`,
            type: 'money',
            value: '0',
          })),
          {
            name: 'beneficiariesReached',
            label: 'Bénéficiaires touchés',
            type: 'number',
            value: '0',
            required: true,
          },
          { name: 'narrative', label: 'Bilan qualitatif', type: 'textarea', required: true },
          { name: 'documentRefs', label: 'Références des pièces jointes (une par ligne)', type: 'textarea' },
        ]}
        build=${(v) => ({
          year: Number(v.year),
          spentByFunder: Object.entries(v)
            .filter(([k]) => k.startsWith('spent|'))
            .map(([k, value]) => ({ funder: k.slice(6), amountCents: centsOf(value) })),
          beneficiariesReached: Number(v.beneficiariesReached),
          narrative: v.narrative,
          documentRefs: lines(v.documentRefs),
        })}
      />`;
    }
    case 'AcceptYearlyReport':
    case 'RequestReportChanges': {
      const submitted = (state.reports ?? []).filter((r) => r.status === 'submitted');
      const yearField = {
        name: 'year',
        label: 'Compte rendu de l’année',
        type: /** @type {const} */ ('select'),
        options: submitted.map((r) => [String(r.year), `Année ${r.year}`]),
      };
      return allowed.type === 'AcceptYearlyReport'
        ? html`<${ActionForm}
            ...${p}
            id="report-accept"
            title="Accepter le compte rendu"
            submitLabel="Accepter"
            path=${(v) => `${base}/reports/${v.year}/review`}
            fields=${[yearField, { name: 'comment', label: 'Commentaire', type: 'textarea' }]}
            build=${(v) => ({ decision: 'accepted', ...(v.comment?.trim() ? { comment: v.comment } : {}) })}
          />`
        : html`<${ActionForm}
            ...${p}
            id="report-changes"
            title="Demander des corrections du compte rendu"
            submitLabel="Demander des corrections"
            path=${(v) => `${base}/reports/${v.year}/review`}
            fields=${[
              yearField,
              {
                name: 'comments',
                label: 'Corrections demandées (une par ligne)',
                type: 'textarea',
                required: true,
              },
              {
                name: 'dueDate',
                label: 'Date limite',
                type: 'date',
                value: addDays(today(), 30),
                required: true,
                help: 'Dernier jour inclus.',
              },
            ]}
            build=${(v) => ({ decision: 'changes_requested', comments: lines(v.comments), dueDate: v.dueDate })}
          />`;
    }
    case 'OrderPayment': {
      // Due now: scheduled, and its trigger met (signature, or its report accepted) — as the rules say.
      const accepted = new Set(
        (state.reports ?? []).filter((r) => r.status === 'accepted').map((r) => r.year),
      );
      const scheduled = (state.installments ?? []).filter((i) => i.status === 'scheduled');
      const due = scheduled.filter(
        (i) => i.trigger?.kind !== 'report_accepted' || accepted.has(i.trigger.reportYear),
      );
      const open = due.length ? due : scheduled;
      return html`<${ActionForm}
        ...${p}
        id="payment"
        title="Ordonner un versement"
        submitLabel="Ordonner le versement"
        path=${`${base}/payments`}
        fields=${[
          {
            name: 'installmentId',
            label: 'Échéance',
            type: 'select',
            options: open.map((i) => [
              i.id,
              `${funderLabel(i.funder)}, année ${i.year} : ${money(i.scheduledCents)}`,
            ]),
          },
        ]}
        build=${(v) => ({ installmentId: v.installmentId })}
      />`;
    }
    case 'CloseApplication':
      return html`<${ActionForm}
        ...${p}
        id="close"
        title="Clôturer le dossier"
        submitLabel="Clôturer"
        path=${`${base}/close`}
        fields=${[{ name: 'comment', label: 'Commentaire', type: 'textarea' }]}
        build=${(v) => (v.comment?.trim() ? { comment: v.comment } : {})}
      />`;
    case 'TerminateConvention': {
      // Years without an accepted report: what the porteur justified; the rest of what was paid is
      // recovered (reversement).
      const accepted = new Set(
        (state.reports ?? []).filter((r) => r.status === 'accepted').map((r) => r.year),
      );
      const unreconciled = (state.award?.plan ?? [])
        .filter((l) => !accepted.has(l.year))
        .map((l) => ({
          funder: l.funder,
          year: l.year,
          paid: (state.installments ?? [])
            .filter((i) => i.funder === l.funder && i.year === l.year)
            .reduce((sum, i) => sum + (i.orderedCents ?? 0), 0),
        }))
        .filter((l) => l.paid > 0);
      return html`<${ActionForm}
        ...${p}
        id="terminate"
        title="Résilier la convention"
        hint="Pour chaque année sans compte rendu accepté, ce qui a été versé au-delà des dépenses justifiées est à reverser."
        submitLabel="Résilier"
        danger
        path=${`${base}/terminate`}
        fields=${[
          {
            name: 'reason',
            label: 'Motif',
            type: 'select',
            options: [
              ['breach', 'Manquement du porteur'],
              ['porteur_dissolved', 'Dissolution du porteur'],
              ['mutual_agreement', 'Accord des parties'],
            ],
          },
          { name: 'comment', label: 'Commentaire', type: 'textarea', required: true },
          ...unreconciled.map((l) => ({
            name: `justified|${l.funder}|${l.year}`,
            label: `Dépenses justifiées, ${funderLabel(l.funder)}, année ${l.year} (versé : ${money(l.paid)})`,
            type: /** @type {const} */ ('money'),
          })),
        ]}
        build=${(v) => ({
          reason: v.reason,
          comment: v.comment,
          justified: Object.entries(v)
            .filter(([k, value]) => k.startsWith('justified|') && String(value).trim() !== '')
            .map(([k, value]) => {
              const [, funder, year] = k.split('|');
              return { funder, year: Number(year), amountCents: centsOf(value) };
            }),
        })}
      />`;
    }
    case 'WithdrawApplication':
      return html`<${ActionForm}
        ...${p}
        id="withdraw"
        title="Retirer la candidature"
        submitLabel="Retirer"
        danger
        path=${`${base}/withdraw`}
        fields=${[{ name: 'reason', label: 'Motif (facultatif)', type: 'textarea' }]}
        build=${(v) => (v.reason?.trim() ? { reason: v.reason } : {})}
      />`;
    default:
      return html`<p class="hint">
        ${allowed.type} : ${allowed.reason ?? 'action sans formulaire dans la console.'}
      </p>`;
  }
}

/** Midnight in Paris of a civil date, as an ISO instant (CET or CEST, whichever holds that day). */
export function parisMidnight(civil) {
  for (const offset of ['+01:00', '+02:00']) {
    const instant = new Date(`${civil}T00:00:00${offset}`);
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      hourCycle: 'h23',
    }).format(instant);
    if (parts === '00') return instant.toISOString();
  }
  return new Date(`${civil}T00:00:00+01:00`).toISOString();
}
