// The forms of the commands: one per action the API lists as possible now (`allowed`), and the
// grant manager's campaign forms. A refusal shows the problem's French `detail` in the form itself.
import { useEffect, useLayoutEffect, useRef, useState } from './vendor/hooks.mjs';
import {
  api,
  ApiError,
  count,
  centsOf,
  parseEuros,
  lostAnswerMessage,
  unreadableAmount,
  date,
  frenchText,
  funderLabel,
  byFunder,
  compareFunders,
  html,
  lines,
  money,
  ofFunder,
  theFunder,
  toFunder,
  today,
  addDays,
  installmentLabels,
  triggerText,
  TableScroll,
  useCommandSender,
} from './lib.js';
import { opinionLabels } from './eventDetails.js';
import {
  allowedTriggers,
  defaultSchedule,
  sameSchedule,
  scheduleProblems,
  triggerKey,
  triggerOfKey,
  triggerRank,
  withIds,
} from './schedule.js';

/**
 * @typedef {{ name: string, label: string, type?: 'text'|'textarea'|'date'|'select'|'money'|'number', value?: string|number, options?: [string, string][], required?: boolean, recommended?: boolean, help?: string, shownWhen?: [string, string], maxLength?: number }} Field
 *   `recommended`: may be left empty, but a check further on will flag it (its `help` says which);
 *   `shownWhen` [name, value]: shown (and checked) only while the field `name` has that value;
 *   `maxLength`: the most characters the API takes in it (services/commands/schemas.ts), typed no further
 * @typedef {{ name?: string, label?: string, message: string, lead?: string }} FormError
 *   an error of a form: on a field of the page (`name`), or for the summary only (`label`, a French name);
 *   `lead` opens the summary instead of « Refusé » (an answer that is no refusal: a check of the page
 *   before sending, `checkedLead`), '' for none
 * @typedef {{ title: string, body: any, confirmLabel?: string }} Confirmation
 */

/**
 * The longest texts the API takes (services/commands/schemas.ts): a form offers no more. Lists typed
 * one per line (reasons, items, corrections, documents) are bounded by the API, which names the line.
 */
export const textMax = { freeText: 5000, longText: 20_000, reference: 200 };

/**
 * What opens the summary of the checks made before anything is sent: nothing was sent, so nothing
 * was refused (« Refusé » is the server's word).
 */
export const checkedLead = 'À corriger avant l’envoi';

/**
 * The errors of the page's own checks, before sending, marked as such for the summary.
 * @param {FormError[]} errors @returns {FormError[]}
 */
export const beforeSending = (errors) => errors.map((e) => ({ ...e, lead: checkedLead }));

/** The id of a field's control: `<form id>-<field name>`. */
export const inputIdOf = (formId, name) => `${formId}-${name}`;

/**
 * The checks made before anything is sent: every required field filled, every amount readable.
 * Each error names its field by its label, in French.
 * @param {Field[]} fields @param {Record<string, string>} values
 * @returns {FormError[]}
 */
export function checkFields(fields, values) {
  /** @type {FormError[]} */
  const errors = [];
  for (const f of fields) {
    const typed = String(values[f.name] ?? '').trim();
    if (f.required && typed === '') {
      errors.push({ name: f.name, message: `${f.label} : à remplir.` });
      continue;
    }
    if (f.type === 'money') {
      const reading = parseEuros(typed);
      if (!reading.ok)
        errors.push({ name: f.name, message: unreadableAmount(f.label, typed, reading.reason) });
    }
    if (f.type === 'number' && typed !== '' && !/^\d+$/.test(typed))
      errors.push({ name: f.name, message: `${f.label} : un nombre entier est attendu.` });
  }
  return errors;
}

/** Words of the API's field paths, for an error whose field is not on the page. */
const pathWords = {
  dossier: 'dossier',
  porteur: 'organisme porteur',
  action: 'action',
  budget: 'budget',
  requested: 'montants demandés',
  position: 'position',
  amountsByYear: 'montants par année',
  amountCents: 'montant',
  plan: 'plan de financement',
  spentByFunder: 'dépenses par financeur',
  justified: 'dépenses justifiées',
  funders: 'financeurs',
  territory: 'territoire',
  qpvCodes: 'quartiers prioritaires',
  submissionWindow: 'fenêtre de dépôt',
  year: 'année',
  funder: 'financeur',
};

/**
 * A French name for an API field path with no field on the page: « budget, ligne 1, montant »
 * rather than « body.dossier.budget.0.amountCents ».
 * @param {string} path
 */
export function frenchPath(path) {
  if (!path) return 'Demande';
  const words = path
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? `ligne ${Number(part) + 1}` : (pathWords[part] ?? part)));
  const text = words.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * After a 503 STEP_PENDING: the step was accepted, its outcome not yet known. The form's
 * Idempotency-Key is kept after a 5xx (lib.js, commandSender), so the same values sent again are
 * the same act, answered with its outcome once known; other values would be refused
 * (IDEMPOTENCY_KEY_REUSED). The API's detail speaks to an API client (Idempotency-Key, GET /api/…).
 */
export const stepPendingMessage =
  'Action acceptée, pas encore enregistrée : elle le sera dès que le moteur répondra. Renvoyez le ' +
  'formulaire sans rien changer (elle ne sera pas enregistrée deux fois), ou rechargez la page dans ' +
  'un instant pour voir si elle a abouti.';

/** After IDEMPOTENCY_KEY_REUSED: an earlier send of this form, with other values, was taken. */
export const keyReusedAdvice =
  'Un envoi précédent de ce formulaire, avec d’autres valeurs, a été pris en compte : rechargez la page ' +
  'pour voir où en est le dossier avant de recommencer.';

/**
 * The errors of an API refusal: the problem document's `errors[]` (400), each on its field when
 * `fieldOf` finds it on the page, with the field's label instead of the technical path; a refusal
 * without field errors (422 of the rules, 403…) is its French `detail`, for the summary.
 * @param {unknown} error
 * @param {(path: string) => string | undefined} fieldOf an API path (`dossier.action.title`) → a field's name
 * @param {(name: string) => string} labelOf a field's name → its label
 * @returns {FormError[]}
 */
export function apiErrors(error, fieldOf, labelOf) {
  const problemErrors = error instanceof ApiError ? (error.problem?.errors ?? []) : [];
  // The detail speaks to an API client (« générez une nouvelle clé »): the person is told what to do.
  if (error instanceof ApiError && error.code === 'IDEMPOTENCY_KEY_REUSED')
    return [{ message: `${error.message} ${keyReusedAdvice}` }];
  // Neither is a refusal: the step was accepted, or the engine could not take it for now.
  if (error instanceof ApiError && error.code === 'STEP_PENDING')
    return [{ message: stepPendingMessage, lead: '' }];
  if (error instanceof ApiError && error.code === 'ENGINE_UNAVAILABLE')
    return [{ message: error.message, lead: 'Indisponible' }];
  if (error instanceof Error && error.message === lostAnswerMessage)
    return [{ message: lostAnswerMessage, lead: '' }];
  if (problemErrors.length === 0)
    return [{ message: error instanceof Error ? error.message : String(error) }];
  return problemErrors.map((e) => {
    const name = e.in === 'body' || e.in === undefined ? fieldOf(String(e.path ?? '')) : undefined;
    const message = frenchText(String(e.message ?? ''));
    return name !== undefined
      ? { name, message: onFieldMessage(labelOf(name), message) }
      : {
          label: frenchPath(String(e.path ?? '')),
          message: `${frenchPath(String(e.path ?? ''))} : ${message}`,
        };
  });
}

/**
 * A refusal under its field's label, in one sentence: « État, année 1 : 99 000,00 € attribués… »
 * rather than « État, année 1 : Année 1 : … » (the domain opens a message about one year with it).
 * @param {string} label @param {string} message
 */
function onFieldMessage(label, message) {
  const year = label.match(/année (\d+)$/i)?.[1];
  const opening = `Année ${year} : `;
  return year !== undefined && message.startsWith(opening)
    ? `${label} : ${message.slice(opening.length)}`
    : `${label} : ${message}`;
}

/**
 * The field the API names by `path`: a field of the form whose name is the path, or its first
 * part (`comment`, `reasons.0` → `reasons`).
 * @param {Field[]} fields
 */
const sameNameField = (fields) => (path) => {
  const first = path.split('.')[0] ?? '';
  return fields.find((f) => f.name === path)?.name ?? fields.find((f) => f.name === first)?.name;
};

/**
 * Moves the focus to the first field in error, or to the summary when none is on the page.
 * @param {string} formId @param {FormError[]} errors @param {HTMLElement | null} summary
 */
export function focusFirstError(formId, errors, summary) {
  const first = errors.find((e) => e.name !== undefined);
  const control = first ? document.getElementById(inputIdOf(formId, first.name ?? '')) : null;
  // A group (the QPV checkboxes) is reached by its first box.
  const target = control?.matches('fieldset') ? (control.querySelector('input') ?? control) : control;
  if (target) target.focus();
  else summary?.focus();
}

/**
 * The summary of a refusal, at the top of the form: every error, those of a field on the page as a
 * link to it. The one `alert` of the form.
 * @param {{ formId: string, errors: FormError[], summaryRef: any }} props
 */
export function ErrorSummary({ formId, errors, summaryRef }) {
  if (errors.length === 0) return null;
  const onField = errors.filter((e) => e.name !== undefined).length;
  const lead = errors[0]?.lead ?? 'Refusé';
  // Several points found before sending: « 3 points à corriger avant l’envoi », not the lead again.
  const checked = lead === checkedLead && errors.length > 1;
  return html`<div class="refusal" role="alert" tabindex="-1" ref=${summaryRef} id=${`${formId}-error`}>
    ${lead && !checked ? html`<strong>${lead} :</strong>${' '}` : null}
    ${
      errors.length === 1
        ? errors[0]?.name === undefined
          ? errors[0]?.message
          : html`<a href=${`#${inputIdOf(formId, errors[0]?.name ?? '')}`} onClick=${focusLink}
              >${errors[0]?.message}</a
            >`
        : html`${
              checked
                ? html`<strong>${`${errors.length} points à corriger avant l’envoi :`}</strong>`
                : onField > 0
                  ? `${errors.length} points à corriger :`
                  : `${errors.length} erreurs :`
            }
            <ul>
              ${errors.map((e) =>
                e.name === undefined
                  ? html`<li>${e.message}</li>`
                  : html`<li>
                      <a href=${`#${inputIdOf(formId, e.name)}`} onClick=${focusLink}>${e.message}</a>
                    </li>`,
              )}
            </ul>`
    }
  </div>`;
}

/** A summary's link focuses its field (the hash routes must not change). */
function focusLink(event) {
  event.preventDefault();
  const id = event.currentTarget.getAttribute('href')?.slice(1) ?? '';
  document.getElementById(id)?.focus();
}

/**
 * The confirmation of an action that cannot be undone, or whose amounts must be read once more:
 * the native modal dialog (focus kept inside, Escape cancels), « Confirmer » / « Annuler ».
 * It opens at its top — the title, the consequences, the amounts — with the focus on « Annuler »
 * (the choice that sends nothing): focused without scrolling to it, at the bottom of a long dialog (a
 * three-year CPO's schedule), where the person would see only the end of what they confirm.
 * @param {{ formId: string, confirmation: Confirmation | null, danger?: boolean, onConfirm: () => void, onCancel: () => void }} props
 */
export function ConfirmDialog({ formId, confirmation, danger, onConfirm, onCancel }) {
  const ref = useRef(/** @type {HTMLDialogElement | null} */ (null));
  const cancel = useRef(/** @type {HTMLButtonElement | null} */ (null));
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (confirmation && !dialog.open) {
      dialog.showModal();
      // showModal focuses a control of its own choosing, and scrolls the dialog to it.
      cancel.current?.focus({ preventScroll: true });
      dialog.scrollTop = 0;
    }
    if (!confirmation && dialog.open) dialog.close();
  }, [confirmation]);
  return html`<dialog
    ref=${ref}
    class="confirm"
    aria-labelledby=${`${formId}-confirm-title`}
    aria-describedby=${`${formId}-confirm-body`}
    onClose=${(event) => {
      // The close event is queued: after Escape, a quick second submission may already have opened
      // the dialog again by the time it arrives. Only a dialog still closed is a cancellation.
      if (!event.currentTarget.open) onCancel();
    }}
  >
    ${
      confirmation
        ? html`<h2 id=${`${formId}-confirm-title`}>${confirmation.title}</h2>
            <div id=${`${formId}-confirm-body`}>${confirmation.body}</div>
            <div class="buttons">
              <button type="button" class=${danger ? 'danger' : 'primary'} onClick=${onConfirm}>
                ${confirmation.confirmLabel ?? 'Confirmer'}
              </button>
              <button type="button" ref=${cancel} onClick=${onCancel}>Annuler</button>
            </div>`
        : null
    }
  </dialog>`;
}

/**
 * A form posting one command. `build` turns the typed values into the request body; it may throw
 * an Error whose French message the summary shows. Before anything is sent, required fields and
 * amounts are checked (and `validate`, for the form's own rules); `confirm`, when given, asks in a
 * dialog first. A refusal of the API shows every error, each next to its field when it is on the
 * page (`fieldOf` maps the API's paths to the fields; by default a field named as the path).
 * @param {{ id: string, title: string, hint?: string, intro?: any, fields: Field[], submitLabel: string, path: string | ((v: Record<string,string>) => string), build: (v: Record<string,string>) => unknown, onDone: (view: any) => void, danger?: boolean, confirm?: (v: Record<string,string>, body: any) => Confirmation, validate?: (v: Record<string,string>) => FormError[], fieldOf?: (path: string) => string | undefined, onSend?: () => void, level?: 2 | 3, extra?: (errorOf: (name: string) => string | undefined) => any, labels?: Record<string, string>, onFieldChange?: (name: string, value: string) => void }} props
 * `onSend`: called at each submission (a page clears its earlier notice); `level`: the title's heading
 * level (2 for a form that stands on its own beside h2 sections); `extra`: controls of the form's own
 * making, shown after the fields (given each name's error, to show it in place); `labels`: the French
 * names of those controls, for the errors; `onFieldChange`: told of each field changed (a form whose
 * title or prefilled values follow a choice, as the yearly report follows its year).
 */
export function ActionForm({
  id,
  title,
  hint,
  intro,
  fields,
  submitLabel,
  path,
  build,
  onDone,
  danger,
  confirm,
  validate,
  fieldOf,
  onSend,
  level = 3,
  extra,
  labels,
  onFieldChange,
}) {
  const [errors, setErrors] = useState(/** @type {FormError[]} */ ([]));
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState(
    /** @type {{ path: string, body: unknown, confirmation: Confirmation } | null} */ (null),
  );
  const summary = useRef(/** @type {HTMLDivElement | null} */ (null));
  // The values of the fields others depend on (`shownWhen`), as chosen now.
  const [chosen, setChosen] = useState(
    /** @type {Record<string, string>} */ (
      Object.fromEntries(
        fields
          .filter((f) => fields.some((g) => g.shownWhen?.[0] === f.name))
          .map((f) => [f.name, String(f.value ?? '')]),
      )
    ),
  );
  const shown = (f) => !f.shownWhen || chosen[f.shownWhen[0]] === f.shownWhen[1];
  const onChange = (event) => {
    const { name, value } = /** @type {HTMLInputElement} */ (event.target);
    if (name in chosen && chosen[name] !== value) setChosen({ ...chosen, [name]: value });
    if (name) onFieldChange?.(name, value);
  };
  // A refusal takes the focus: on its first field, or on the summary when no field is at fault. In
  // the render that shows it (a layout effect): an effect runs after the next paint, so the refusal
  // would be on screen for a moment with the focus still on the button just pressed.
  useLayoutEffect(() => {
    if (errors.length > 0) focusFirstError(id, errors, summary.current);
  }, [errors]);
  const labelOf = (name) => fields.find((f) => f.name === name)?.label ?? labels?.[name] ?? name;
  // One Idempotency-Key per opening of the form, kept while a send may have been recorded (lib.js).
  const post = useCommandSender();
  const send = async (target, body) => {
    setBusy(true);
    try {
      const view = await post(target, body);
      onDone(view);
    } catch (e) {
      setErrors(apiErrors(e, fieldOf ?? sameNameField(fields), labelOf));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event) => {
    event.preventDefault();
    // A notice of an earlier success would read as this submission's outcome.
    onSend?.();
    const values = /** @type {Record<string,string>} */ (
      Object.fromEntries(new FormData(event.currentTarget).entries())
    );
    setErrors([]);
    const found = [...checkFields(fields.filter(shown), values), ...(validate ? validate(values) : [])];
    if (found.length > 0) return setErrors(beforeSending(found));
    let body;
    try {
      body = build(values);
    } catch (e) {
      return setErrors(beforeSending([{ message: e instanceof Error ? e.message : String(e) }]));
    }
    const target = typeof path === 'function' ? path(values) : path;
    if (confirm) setPending({ path: target, body, confirmation: confirm(values, body) });
    else void send(target, body);
  };
  const errorOf = (name) => errors.find((e) => e.name === name)?.message;
  return html`
    <form
      class="action"
      onSubmit=${submit}
      onChange=${onChange}
      aria-labelledby=${`${id}-title`}
      data-action=${id}
      data-confirm=${confirm ? 'dialog' : undefined}
      novalidate
    >
      ${
        level === 2
          ? html`<h2 id=${`${id}-title`}>${title}</h2>`
          : html`<h3 id=${`${id}-title`}>${title}</h3>`
      }
      ${hint ? html`<p class="hint">${frenchText(hint)}</p>` : null} ${intro ?? null}
      <${ErrorSummary} formId=${id} errors=${errors} summaryRef=${summary} />
      ${fields.map((f) => FieldInput(id, f, errorOf(f.name), !shown(f)))} ${extra ? extra(errorOf) : null}
      <button type="submit" class=${danger ? 'danger' : 'primary'} disabled=${busy}>
        ${busy ? 'Envoi…' : submitLabel}
      </button>
      <${ConfirmDialog}
        formId=${id}
        confirmation=${pending?.confirmation ?? null}
        danger=${danger}
        onConfirm=${() => {
          const chosen = pending;
          setPending(null);
          if (chosen) void send(chosen.path, chosen.body);
        }}
        onCancel=${() => setPending(null)}
      />
    </form>
  `;
}

/**
 * @param {string} formId @param {Field} f @param {string} [error] the field's error, shown under it
 * @param {boolean} [hidden] not shown now (its value kept for when it is shown again)
 */
export function FieldInput(formId, f, error, hidden = false) {
  const inputId = inputIdOf(formId, f.name);
  const describedBy = [f.help ? `${inputId}-help` : null, error ? `${inputId}-error` : null].filter(Boolean);
  const common = {
    id: inputId,
    name: f.name,
    required: f.required ?? false,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy.length ? describedBy.join(' ') : undefined,
    // Only when set: a maxlength left empty would read as 0 and let nothing be typed.
    ...(f.maxLength ? { maxlength: f.maxLength } : {}),
  };
  let control;
  switch (f.type ?? 'text') {
    case 'textarea':
      control = html`<textarea ...${common} rows="3" defaultValue=${f.value ?? ''}></textarea>`;
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
      control = html`<input type="text" inputmode="numeric" ...${common} defaultValue=${f.value ?? ''} />`;
      break;
    case 'money':
      control = html`<input type="text" inputmode="decimal" ...${common} defaultValue=${f.value ?? ''} />`;
      break;
    default:
      control = html`<input type="text" ...${common} defaultValue=${f.value ?? ''} />`;
  }
  return html`<div class=${error ? 'field invalid' : 'field'} hidden=${hidden}>
    <label for=${inputId}
      >${f.label}${f.type === 'money' ? ' (€)' : ''}${f.required ? ' *' : ''}${f.recommended && !f.required ? ' (recommandé)' : ''}</label
    >
    ${control} ${f.help ? html`<small id=${`${inputId}-help`}>${f.help}</small>` : null}
    ${error ? html`<p class="field-error" id=${`${inputId}-error`}>${error}</p>` : null}
  </div>`;
}

/**
 * What is left of a funder's envelope for the application's campaign (GET /api/campaigns/{id}/summary,
 * which funders may read: `byFunder[].envelope.remainingCents`), for the position form: a commitment
 * must fit in it. The funder's commitment already recorded on this application is reserved there too,
 * and a new position replaces it: it is said beside.
 * @param {{ campaignId: string, funder: string, recordedCents: number }} props
 */
function EnvelopeLeft({ campaignId, funder, recordedCents }) {
  const [answer, setAnswer] = useState(/** @type {{ envelope?: any, error?: string } | null} */ (null));
  useEffect(() => {
    let current = true;
    api('GET', `/api/campaigns/${encodeURIComponent(campaignId)}/summary`).then(
      (summary) => {
        const mine = (summary?.byFunder ?? []).find((f) => f.funder === funder);
        if (current) setAnswer({ envelope: mine?.envelope ?? null });
      },
      (e) => current && setAnswer({ error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      current = false;
    };
  }, [campaignId, funder]);
  if (answer === null) return null;
  if (answer.error !== undefined)
    return html`<p class="hint" data-testid="envelope-left">
      ${`Le reste de votre enveloppe n’a pas pu être lu : ${answer.error}`}
    </p>`;
  if (!answer.envelope)
    return html`<p class="hint" data-testid="envelope-left">
      La synthèse de la campagne ne donne pas d’enveloppe pour votre institution.
    </p>`;
  const { amountCents, remainingCents } = answer.envelope;
  return html`<p class="envelope-left" data-testid="envelope-left">
    <strong>Reste sur votre enveloppe :</strong>${' '}
    <span data-field="remaining" data-value=${remainingCents}>${money(remainingCents)}</span>
    ${` sur ${money(amountCents)}${
      recordedCents > 0
        ? `, plus les ${money(recordedCents)} de votre engagement enregistré sur cette candidature, que la nouvelle position remplace`
        : ''
    }. L’engagement, toutes années comprises, doit y tenir.`}
  </p>`;
}

/** A recorded position, in one sentence: « engagement : année 1 : 10 000,00 € ; conditions : … ». */
const positionText = (position) => {
  const decision = position.decisionReference ? ` (décision ${position.decisionReference})` : '';
  return position.decision === 'committed'
    ? `engagement${decision} — ${position.amountsByYear.map((a) => `année ${a.year} : ${money(a.amountCents)}`).join(' ; ')}` +
        (position.conditions ? ` — conditions : ${position.conditions}` : ' — sans condition')
    : `refus${decision} — ${position.reason}`;
};

/**
 * What a signatory signs: the amounts per funder and year and the payment schedule of the drafted
 * convention (the application's state carries them: `award.plan`, `convention.years`,
 * `convention.installments`, `convention.conditions`).
 */
export function ConventionTerms({ state }) {
  const conv = state.convention;
  if (!conv) return null;
  const yearOf = (y) => conv.years?.find((c) => c.year === y);
  const plan = byFunder(state.award?.plan);
  const total = plan.reduce((sum, l) => sum + l.amountCents, 0);
  return html`<${TableScroll}
      label=${`Montants de la convention ${conv.kind === 'CPO' ? 'pluriannuelle (CPO)' : 'annuelle'}`}
    >
      <table data-testid="convention-amounts">
        <caption>
          Montants de la convention ${conv.kind === 'CPO' ? 'pluriannuelle (CPO)' : 'annuelle'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Financeur</th>
            <th scope="col">Année</th>
            <th scope="col" class="num">Montant</th>
          </tr>
        </thead>
        <tbody>
          ${plan.map(
            (l) =>
              html`<tr>
                <td>${funderLabel(l.funder)}</td>
                <td>
                  ${`Année ${l.year}`}${yearOf(l.year) ? ` (du ${date(yearOf(l.year).startDate)} au ${date(yearOf(l.year).endDate)})` : ''}
                </td>
                <td class="num">${money(l.amountCents)}</td>
              </tr>`,
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colspan="2">Total</th>
            <td class="num">${money(total)}</td>
          </tr>
        </tfoot>
      </table>
    <//>
    <${ScheduleTable} installments=${conv.installments ?? []} testId="convention-schedule" />
    ${
      (conv.conditions ?? []).length
        ? html`<p>Conditions des financeurs :</p>
            <ul>
              ${byFunder(conv.conditions).map((c) => html`<li>${funderLabel(c.funder)} : ${c.conditions}</li>`)}
            </ul>`
        : null
    }`;
}

/**
 * A payment schedule: per installment, its funder, what it is (« Avance année 1 », installmentLabels),
 * its amount and when it is paid.
 * @param {{ installments: { id: string, funder: string, year: number, amountCents?: number, scheduledCents?: number, trigger: any }[], testId: string, caption?: string }} props
 */
function ScheduleTable({ installments, testId, caption = 'Échéancier des versements' }) {
  const labels = installmentLabels(installments);
  return html`<${TableScroll} label=${caption}>
    <table data-testid=${testId}>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Financeur</th>
          <th scope="col">Versement</th>
          <th scope="col" class="num">Montant</th>
          <th scope="col">Quand</th>
        </tr>
      </thead>
      <tbody>
        ${byFunder(installments).map(
          (i) =>
            html`<tr data-schedule-line=${i.id}>
              <td>${funderLabel(i.funder)}</td>
              <td>${labels.get(i.id) ?? `Année ${i.year}`}</td>
              <td class="num">${money(i.amountCents ?? i.scheduledCents)}</td>
              <td>${triggerText(i.trigger)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

/**
 * What accepting a yearly report does to one funder's money for that year, as the domain's
 * AcceptYearlyReport does it (domain/application/rules.ts, convention.ts): the spending justified is
 * what was spent within what was awarded; what was paid (ordered, less recoveries already ordered)
 * beyond it is to be repaid; the year's installments not paid yet are paid up to the justified
 * spending less what was ordered, and the rest is cancelled.
 * @param {any} state the application's state @param {string} funder @param {number} year @param {number} spent
 */
export function reportOutcome(state, funder, year, spent) {
  const sum = (xs) => xs.reduce((total, x) => total + x, 0);
  const awarded = sum(
    (state.award?.plan ?? []).filter((l) => l.funder === funder && l.year === year).map((l) => l.amountCents),
  );
  const ofYear = (state.installments ?? []).filter((i) => i.funder === funder && i.year === year);
  const ordered = sum(ofYear.map((i) => i.orderedCents ?? 0));
  const recovered = sum(
    (state.recoveries ?? []).filter((r) => r.funder === funder && r.year === year).map((r) => r.amountCents),
  );
  const paid = ordered - recovered;
  const justified = Math.min(spent, awarded);
  const balance = sum(ofYear.filter((i) => i.status === 'scheduled').map((i) => i.scheduledCents));
  const stillPaid = Math.min(balance, Math.max(0, justified - ordered));
  return {
    funder,
    awarded,
    paid,
    spent,
    toRepay: Math.max(0, paid - justified),
    balance,
    stillPaid,
    cancelled: balance - stillPaid,
  };
}

/**
 * The recap of a yearly report before it is sent: per funder, the year's grant, what was paid so far
 * and what the report says was spent; then what accepting it would do (reportOutcome): what is to be
 * repaid, what of the unpaid balance will still be paid and what will be cancelled.
 */
function ReportRecap({ state, report }) {
  const rows = byFunder(report.spentByFunder).map((x) =>
    reportOutcome(state, x.funder, report.year, x.amountCents),
  );
  const total = (key) => rows.reduce((sum, r) => sum + r[key], 0);
  const repaid = rows.filter((r) => r.toRepay > 0);
  const reduced = rows.filter((r) => r.cancelled > 0);
  return html`<${TableScroll}
      label=${`Année ${report.year} : subventions attribuées, versées et dépenses déclarées`}
    >
      <table data-testid="report-recap">
        <caption>
          Année ${report.year} : subventions attribuées, versées et dépenses déclarées
        </caption>
        <thead>
          <tr>
            <th scope="col">Financeur</th>
            <th scope="col" class="num">Attribué</th>
            <th scope="col" class="num">Versé</th>
            <th scope="col" class="num">Dépensé</th>
            <th scope="col" class="num">À reverser</th>
            <th scope="col" class="num">Reste à verser</th>
            <th scope="col" class="num">Annulé</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr data-funder=${r.funder} class=${r.toRepay > 0 || r.cancelled > 0 ? 'short' : ''}>
                <th scope="row">${funderLabel(r.funder)}</th>
                <td class="num">${money(r.awarded)}</td>
                <td class="num">${money(r.paid)}</td>
                <td class="num">${money(r.spent)}</td>
                <td class="num">${money(r.toRepay)}</td>
                <td class="num">${money(r.stillPaid)}</td>
                <td class="num">${money(r.cancelled)}</td>
              </tr>`,
          )}
        </tbody>
        <tfoot>
          <tr data-funder="total">
            <th scope="row">Total</th>
            ${['awarded', 'paid', 'spent', 'toRepay', 'stillPaid', 'cancelled'].map(
              (key) => html`<td class="num">${money(total(key))}</td>`,
            )}
          </tr>
        </tfoot>
      </table>
    <//>
    ${
      repaid.length || reduced.length
        ? html`<p class="warning" data-testid="report-outcome">
            <strong>À l’acceptation du compte rendu :</strong>${' '}
            ${[
              ...repaid.map(
                (r) =>
                  `${money(r.toRepay)} versés par ${theFunder(r.funder)} et non dépensés seront à reverser`,
              ),
              ...reduced.map(
                (r) =>
                  `le solde de ${money(r.balance)} ${ofFunder(r.funder)} ne sera versé qu’à hauteur des dépenses : ${
                    r.stillPaid > 0 ? `${money(r.stillPaid)} versés, ` : ''
                  }${money(r.cancelled)} annulés`,
              ),
            ].join(' ; ')}.
          </p>`
        : html`<p>Les dépenses déclarées couvrent les sommes versées et à verser pour l’année.</p>`
    }
    <p>Bénéficiaires touchés : ${count(report.beneficiariesReached)}.</p>`;
}

/** Cents → the euros a person would type, "1500,00". */
const euros = (cents) => (cents ? (cents / 100).toFixed(2).replace('.', ',') : '');

/**
 * A line of the payment schedule being drafted: `amount` as typed, `trigger` as its select's value
 * (schedule.js, triggerKey).
 * @typedef {{ key: string, funder: string, year: number, amount: string, trigger: string }} DraftLine
 */

/**
 * « compte rendu de l’année 2 accepté »: the words of a trigger in the schedule's select, short enough
 * that a 390 px phone, which cuts a select's text at its width, still shows which year's report.
 */
const triggerChoice = (t) =>
  t.kind === 'signature' ? 'à la signature' : `compte rendu de l’année ${t.reportYear} accepté`;

/**
 * The schedule being drafted as the API takes it, and what stops it (the form's errors, each on its
 * control). Each funder-year's lines go in the order of their triggers (the signature, then the
 * reports by year), as the default rule writes them; the check is the domain's (schedule.js,
 * scheduleProblems), after each amount is read.
 * @param {DraftLine[]} lines @param {{ funder: string, year: number, amountCents: number }[]} plan
 * @param {number} durationYears
 */
export function readDraftSchedule(lines, plan, durationYears) {
  /** @type {FormError[]} */
  const errors = [];
  /** @type {{ line: DraftLine, cents: number | null }[]} */
  const read = [];
  const unreadableGroups = new Set();
  // The errors in the order the form shows the funders (byFunder); the schedule in the plan's.
  for (const p of byFunder(plan)) {
    const group = lines.filter((l) => l.funder === p.funder && l.year === p.year);
    group.forEach((line, i) => {
      const label = `Montant, ${funderLabel(line.funder)}, année ${line.year}, ligne ${i + 1}`;
      const typed = line.amount.trim();
      const reading = parseEuros(typed);
      const name = `schedule-${line.key}-amount`;
      let cents = null;
      if (typed === '') errors.push({ name, message: `${label} : à remplir (ou supprimez la ligne).` });
      else if (!reading.ok) errors.push({ name, message: unreadableAmount(label, typed, reading.reason) });
      else if (!reading.cents)
        errors.push({
          name,
          message: `${label} : un montant supérieur à 0 € est attendu (ou supprimez la ligne).`,
        });
      else cents = reading.cents;
      if (cents === null) unreadableGroups.add(`${line.funder}|${line.year}`);
      read.push({ line, cents });
    });
  }
  const ordered = plan.flatMap((p) =>
    read
      .filter((r) => r.line.funder === p.funder && r.line.year === p.year)
      .map((r, i) => ({ ...r, i, trigger: triggerOfKey(r.line.trigger) }))
      .sort((a, b) => triggerRank(a.trigger) - triggerRank(b.trigger) || a.i - b.i),
  );
  const schedule = ordered.map((r) => ({
    funder: r.line.funder,
    year: r.line.year,
    amountCents: r.cents ?? 0,
    trigger: r.trigger,
  }));
  for (const problem of byFunder(
    scheduleProblems(plan, schedule, durationYears, { nameOf: funderLabel, money }),
  )) {
    const group = `${problem.funder}|${problem.year}`;
    if (problem.index !== undefined) {
      const at = ordered[problem.index]?.line;
      errors.push({ name: at ? `schedule-${at.key}-trigger` : undefined, message: problem.message });
    } else if (!unreadableGroups.has(group)) {
      // A total that is wrong: on the funder-year's first amount, or its « add » button when it has none.
      const first = lines.find((l) => l.funder === problem.funder && l.year === problem.year);
      errors.push({
        name: first ? `schedule-${first.key}-amount` : `schedule-add-${problem.funder}-${problem.year}`,
        message: problem.message,
      });
    }
  }
  return { schedule, errors };
}

/**
 * Days given by default to sign a drafted convention: the domain wants a date to come (within a
 * year), whether before or after the start.
 */
const signatureDays = 30;

/**
 * The form that drafts the convention: its dates and its payment schedule, an editable table
 * prefilled with the default rule for the awarded plan (per funder and year: lines with an amount
 * and a trigger; a line added or removed), checked as it is typed. Left as the default, no
 * schedule is sent: the default rule stays the one recorded. The dialog shows what will be recorded.
 * @param {{ state: any, base: string, hint?: string, onDone: (view: any) => void, onSend?: () => void }} props
 */
function DraftConventionForm({ state, base, hint, onDone, onSend }) {
  const formId = 'convention';
  // The schedule is read and sent in the plan's order, as the domain's default rule writes it; the
  // table shows the funders in the console's order.
  const plan = state.award?.plan ?? [];
  const shownPlan = byFunder(plan);
  const duration = state.dossier?.durationYears ?? Math.max(1, ...plan.map((l) => l.year));
  const defaults = defaultSchedule(plan);
  // Year 1 of the plan is the campaign's year: the AMI of year N funds the actions of year N, and a
  // convention year is filed under the calendar year it starts in. Today + a few days put an AMI 2027
  // approved in November 2026 in the 2026 exercise. (The domain takes a start from N − 1 to N + 1.)
  const campaignYear = state.terms?.campaignYear;
  const start = campaignYear === undefined ? addDays(today(), signatureDays + 1) : `${campaignYear}-01-01`;
  const counter = useRef(0);
  /** @param {{ funder: string, year: number, amountCents: number, trigger: any }[]} schedule @returns {DraftLine[]} */
  const fromSchedule = (schedule) =>
    schedule.map((l) => ({
      key: `l${(counter.current += 1)}`,
      funder: l.funder,
      year: l.year,
      amount: euros(l.amountCents),
      trigger: triggerKey(l.trigger),
    }));
  const [lines, setLines] = useState(() => fromSchedule(defaults));
  // The control to focus once the table shows it (a line added) or lost it (a line removed).
  // A new object each time: removing two lines in turn focuses the same button twice.
  const [focusNext, setFocusNext] = useState(/** @type {{ id: string } | null} */ (null));
  useLayoutEffect(() => {
    if (focusNext) document.getElementById(focusNext.id)?.focus();
  }, [focusNext]);
  const { schedule, errors } = readDraftSchedule(lines, plan, duration);
  const isDefault = errors.length === 0 && sameSchedule(schedule, defaults);
  const idOf = (name) => inputIdOf(formId, name);
  const checkId = idOf('schedule-check');
  const update = (key, change) => setLines(lines.map((l) => (l.key === key ? { ...l, ...change } : l)));
  const add = (funder, year) => {
    const used = new Set(lines.filter((l) => l.funder === funder && l.year === year).map((l) => l.trigger));
    const allowed = allowedTriggers(year, duration).map(triggerKey);
    const key = `l${(counter.current += 1)}`;
    setLines([
      ...lines,
      {
        key,
        funder,
        year,
        amount: '',
        trigger: allowed.find((t) => !used.has(t)) ?? allowed.at(-1) ?? 'signature',
      },
    ]);
    setFocusNext({ id: idOf(`schedule-${key}-amount`) });
  };
  const remove = (line) => {
    setLines(lines.filter((l) => l.key !== line.key));
    setFocusNext({ id: idOf(`schedule-add-${line.funder}-${line.year}`) });
  };
  const invalid = new Set(errors.map((e) => e.name));
  // « Avance année 1 », « Solde année 1 »: what each line is, as the console names installments.
  const kinds = installmentLabels(lines.map((l) => ({ ...l, id: l.key, trigger: triggerOfKey(l.trigger) })));
  const editor = (errorOf) => {
    const refused = errorOf('schedule');
    return html`<fieldset
      id=${idOf('schedule')}
      class=${refused ? 'schedule invalid' : 'schedule'}
      aria-describedby=${[idOf('schedule-help'), refused ? idOf('schedule-error') : null].filter(Boolean).join(' ')}
    >
      <legend>Échéancier des versements</legend>
      <p class="hint" id=${idOf('schedule-help')}>
        Prérempli selon la règle par défaut. Pour chaque financeur et chaque année, les lignes doivent faire
        le montant attribué ; l’année 1 peut être versée à la signature, une année N après le compte rendu de
        l’année N − 1 (avance) ou de l’année N (solde). Laissé tel quel, l’échéancier n’est pas envoyé : la
        règle par défaut s’applique.
      </p>
      <div class="table-scroll">
        <table class="schedule-editor" data-testid="schedule-editor">
          <caption class="visually-hidden">
            Échéancier des versements, par financeur et par année
          </caption>
          <thead>
            <tr>
              <th scope="col">Versement</th>
              <th scope="col">Montant (€)</th>
              <th scope="col">Quand</th>
              <th scope="col"><span class="visually-hidden">Supprimer la ligne</span></th>
            </tr>
          </thead>
          ${shownPlan.map((p) => {
            const group = lines.filter((l) => l.funder === p.funder && l.year === p.year);
            const where = `${funderLabel(p.funder)}, année ${p.year}`;
            const readings = group.map((l) => parseEuros(l.amount));
            const readable = readings.every((r) => r.ok);
            const scheduled = readings.reduce((sum, r) => sum + (r.ok ? (r.cents ?? 0) : 0), 0);
            const gap = p.amountCents - scheduled;
            return html`<tbody data-group=${`${p.funder}-${p.year}`}>
              <tr class="group">
                <th scope="rowgroup" colspan="4">
                  ${`${where} : attribué ${money(p.amountCents)} ; prévu `}<span data-field="scheduled"
                    >${readable ? money(scheduled) : '—'}</span
                  >${
                    readable && gap !== 0
                      ? html`${' '}<span class="gap"
                            >${gap > 0 ? `(manque ${money(gap)})` : `(${money(-gap)} de trop)`}</span
                          >`
                      : null
                  }
                </th>
              </tr>
              ${group.map((l, i) => {
                const line = `${where}, ligne ${i + 1}`;
                const amountName = `schedule-${l.key}-amount`;
                const triggerName = `schedule-${l.key}-trigger`;
                const triggers = allowedTriggers(p.year, duration);
                // A trigger the rule refuses stays visible (and flagged), never silently replaced.
                const current = triggerOfKey(l.trigger);
                const options = triggers.some((t) => triggerKey(t) === l.trigger)
                  ? triggers
                  : [...triggers, current];
                return html`<tr class="line" key=${l.key} data-line=${i + 1}>
                  <td data-field="kind">${kinds.get(l.key) ?? `Versement année ${l.year}`}</td>
                  <td>
                    <span class="cell-label" aria-hidden="true">Montant (€)</span>
                    <input
                      type="text"
                      inputmode="decimal"
                      id=${idOf(amountName)}
                      aria-label=${`Montant (€) — ${line}`}
                      aria-invalid=${invalid.has(amountName) ? 'true' : undefined}
                      aria-describedby=${checkId}
                      value=${l.amount}
                      onInput=${(e) => update(l.key, { amount: e.currentTarget.value })}
                    />
                  </td>
                  <td>
                    <span class="cell-label" aria-hidden="true">Quand</span>
                    <select
                      id=${idOf(triggerName)}
                      aria-label=${`Quand — ${line}`}
                      aria-invalid=${invalid.has(triggerName) ? 'true' : undefined}
                      aria-describedby=${checkId}
                      onChange=${(e) => update(l.key, { trigger: e.currentTarget.value })}
                    >
                      ${options.map(
                        (t) =>
                          html`<option value=${triggerKey(t)} selected=${triggerKey(t) === l.trigger}>
                            ${triggerChoice(t)}
                          </option>`,
                      )}
                    </select>
                  </td>
                  <td>
                    <button
                      type="button"
                      class="danger"
                      aria-label=${`Supprimer la ligne ${i + 1} — ${where}`}
                      onClick=${() => remove(l)}
                    >
                      Supprimer
                    </button>
                  </td>
                </tr>`;
              })}
              <tr class="add">
                <td colspan="4">
                  <button
                    type="button"
                    id=${idOf(`schedule-add-${p.funder}-${p.year}`)}
                    aria-label=${`Ajouter une ligne — ${where}`}
                    onClick=${() => add(p.funder, p.year)}
                  >
                    Ajouter une ligne
                  </button>
                </td>
              </tr>
            </tbody>`;
          })}
        </table>
      </div>
      <div
        id=${checkId}
        class=${errors.length ? 'schedule-check warning' : 'schedule-check'}
        aria-live="polite"
        data-testid="schedule-check"
        data-state=${errors.length ? 'problems' : isDefault ? 'default' : 'changed'}
      >
        ${
          errors.length
            ? html`<p>
                  <strong
                    >${errors.length === 1 ? 'À corriger avant l’envoi :' : `${errors.length} points à corriger avant l’envoi :`}</strong
                  >
                </p>
                <ul>
                  ${errors.map((e) => html`<li>${e.message}</li>`)}
                </ul>`
            : html`<p>
                ${
                  isDefault
                    ? 'Échéancier par défaut : il ne sera pas envoyé, la règle par défaut s’applique.'
                    : 'Échéancier modifié et complet : pour chaque financeur et chaque année, les lignes font le montant attribué. Il sera enregistré tel quel.'
                }
              </p>`
        }
      </div>
      ${
        isDefault
          ? null
          : html`<p>
              <button type="button" onClick=${() => setLines(fromSchedule(defaults))}>
                Rétablir l’échéancier par défaut
              </button>
            </p>`
      }
      ${refused ? html`<p class="field-error" id=${idOf('schedule-error')}>${refused}</p>` : null}
    </fieldset>`;
  };
  return html`<${ActionForm}
    hint=${hint}
    onDone=${onDone}
    onSend=${onSend}
    id=${formId}
    title="Rédiger la convention"
    submitLabel="Rédiger la convention"
    path=${`${base}/convention`}
    fields=${[
      {
        name: 'startDate',
        label: 'Début de la première année',
        type: 'date',
        value: start,
        required: true,
        help:
          campaignYear === undefined
            ? undefined
            : `AMI ${campaignYear} : l’année 1 est l’exercice ${campaignYear} (du 1er janvier par défaut) ; un début en ${campaignYear - 1} ou en ${campaignYear + 1} reste possible.`,
      },
      {
        name: 'signatureDueDate',
        label: 'Date limite de signature',
        type: 'date',
        value: addDays(today(), signatureDays),
        required: true,
        help: 'Dernier jour inclus.',
      },
    ]}
    extra=${editor}
    labels=${{ schedule: 'Échéancier des versements' }}
    fieldOf=${(path) =>
      path.startsWith('paymentSchedule')
        ? 'schedule'
        : path === 'startDate' || path === 'signatureDueDate'
          ? path
          : undefined}
    validate=${() => errors}
    build=${(v) => ({
      startDate: v.startDate,
      signatureDueDate: v.signatureDueDate,
      // The default as it is: not sent, so that the rule's default is the one recorded.
      ...(sameSchedule(schedule, defaults) ? {} : { paymentSchedule: schedule }),
    })}
    confirm=${(v, body) => ({
      title: 'Rédiger la convention ?',
      body: html`<p>
          ${`La convention sera soumise à la signature du porteur et des financeurs jusqu’au ${date(v.signatureDueDate)} inclus ; sa première année commencera le ${date(v.startDate)}. Ils signeront ces montants et cet échéancier.`}
        </p>
        <p data-testid="schedule-kind">
          ${
            body.paymentSchedule
              ? 'Échéancier modifié, enregistré tel quel :'
              : 'Échéancier par défaut (avance de 50 %, solde après le compte rendu) :'
          }
        </p>
        <${ScheduleTable}
          installments=${withIds(body.paymentSchedule ?? defaults)}
          testId="convention-schedule-recap"
          caption="Échéancier qui sera enregistré"
        />`,
    })}
  />`;
}

/**
 * The committee's approval: the funding plan prefilled with the funders' commitments, one field per
 * funder and year. A refusal of a plan line (`plan.<i>.…`: the i-th line of the plan sent, lines left
 * at 0 € being left out) goes to that funder's and year's field, under its own label.
 * @param {{ state: any, base: string, hint?: string, onDone: (view: any) => void, onSend?: () => void }} props
 */
function CommitteeApprovalForm({ state, base, onDone, onSend }) {
  const positions = state.coDecision?.positions ?? {};
  // In the console's funder order, not the order the positions were recorded in: the plan is
  // recorded as listed here, and the decision shown as recorded.
  const planLines = Object.entries(positions)
    .sort(([a], [b]) => compareFunders(a, b))
    .flatMap(([funder, pos]) =>
      pos.decision === 'committed' ? pos.amountsByYear.map((a) => ({ funder, ...a })) : [],
    );
  // The plan of the last send: the API names its lines by their place in it.
  const sent = useRef(/** @type {{ funder: string, year: number }[]} */ ([]));
  return html`<${ActionForm}
    onDone=${onDone}
    onSend=${onSend}
    id="approval"
    title="Approbation du comité de pilotage"
    hint="Plan de financement prérempli avec les engagements des financeurs."
    submitLabel="Enregistrer l’approbation"
    path=${`${base}/committee-decision`}
    fieldOf=${(path) => {
      const line = path.match(/^plan\.(\d+)(\.|$)/);
      const at = line ? sent.current[Number(line[1])] : undefined;
      if (at) return `plan|${at.funder}|${at.year}`;
      if (path === 'decisionReference' || path === 'decisionDate') return path;
      return undefined;
    }}
    fields=${[
      {
        name: 'decisionReference',
        label: 'Référence de la décision',
        required: true,
        maxLength: textMax.reference,
        value: `COPIL-${today()}`,
      },
      {
        name: 'decisionDate',
        label: 'Date de la décision',
        type: 'date',
        value: today(),
        required: true,
      },
      ...planLines.map((l) => ({
        name: `plan|${l.funder}|${l.year}`,
        label: `${funderLabel(l.funder)}, année ${l.year}`,
        type: 'money',
        value: euros(l.amountCents),
      })),
    ]}
    build=${(v) => {
      const plan = Object.entries(v)
        .filter(([k]) => k.startsWith('plan|'))
        .map(([k, value]) => {
          const [, funder, year] = k.split('|');
          return { funder, year: Number(year), amountCents: centsOf(value) };
        })
        .filter((l) => l.amountCents !== 0);
      sent.current = plan;
      return {
        decision: 'approved',
        decisionReference: v.decisionReference,
        decisionDate: v.decisionDate,
        plan,
      };
    }}
  />`;
}

/** Cents → the euros of a report already filed, "0,00" included (an amount spent may be none). */
const filedEuros = (cents) => (cents === 0 ? '0,00' : euros(cents));

/**
 * The porteur's yearly report. A report sent back for corrections is filed again: the form says so
 * in its title, lists the corrections the grant manager asked for and by when, and starts from the
 * report filed (its amounts, beneficiaries, narrative and documents), to be corrected rather than
 * typed again. Another year chosen, the title and the values not typed over follow it.
 * @param {{ state: any, base: string, hint?: string, onDone: (view: any) => void, onSend?: () => void }} props
 */
function YearlyReportForm({ state, base, onDone, onSend }) {
  const reports = state.reports ?? [];
  const due = reports.filter((r) => r.status === 'expected' || r.status === 'changes_requested');
  const choices = due.length ? due : reports;
  // The report sent back first: the grant manager waits for it, with a date of its own.
  const [year, setYear] = useState(() =>
    String((choices.find((r) => r.status === 'changes_requested') ?? choices[0])?.year ?? ''),
  );
  const chosen = choices.find((r) => String(r.year) === year);
  const corrected = chosen?.status === 'changes_requested' ? chosen : null;
  const filed = corrected?.report ?? null;
  const funders = [...new Set((state.award?.plan ?? []).map((l) => l.funder))].sort(compareFunders);
  const spentLabel = (f) => `Dépensé sur la subvention ${ofFunder(f)}`;
  const spentBefore = (f) => filed?.spentByFunder?.find((x) => x.funder === f)?.amountCents;
  return html`<${ActionForm}
    onDone=${onDone}
    onSend=${onSend}
    id="report"
    title=${corrected ? `Déposer le compte rendu corrigé (année ${corrected.year})` : 'Déposer le compte rendu financier annuel'}
    hint="Les montants dépensés sont comparés à la subvention de l’année : ce qui n’a pas été dépensé peut être à reverser. Un récapitulatif est montré avant l’envoi."
    intro=${
      corrected
        ? html`<div class="recorded" data-testid="report-corrections">
            <p>
              <strong
                >${`Corrections demandées (compte rendu corrigé attendu jusqu’au ${date(corrected.dueDate)} inclus) :`}</strong
              >
            </p>
            <ul>
              ${(corrected.comments ?? []).map((c) => html`<li>${c}</li>`)}
            </ul>
            <p>Le formulaire reprend le compte rendu déposé : corrigez-le, puis déposez-le de nouveau.</p>
          </div>`
        : null
    }
    submitLabel="Déposer le compte rendu"
    path=${`${base}/reports`}
    onFieldChange=${(name, value) => {
      if (name === 'year') setYear(value);
    }}
    fieldOf=${(path) => {
      const spent = path.match(/^spentByFunder\.(\d+)/);
      if (spent) return `spent|${funders[Number(spent[1])] ?? ''}`;
      if (path.startsWith('beneficiariesReached')) return 'beneficiariesReached';
      if (path.startsWith('narrative')) return 'narrative';
      if (path.startsWith('documentRefs')) return 'documentRefs';
      return path === 'year' ? 'year' : undefined;
    }}
    fields=${[
      {
        name: 'year',
        label: 'Année de convention',
        type: 'select',
        value: year,
        options: choices.map((r) => [
          String(r.year),
          r.status === 'changes_requested' ? `Année ${r.year} (corrections demandées)` : `Année ${r.year}`,
        ]),
      },
      // Empty and required: an amount left at a default 0 reads as « nothing spent », and the
      // acceptance of the report then orders the recovery of the whole grant. A report to correct
      // starts from what the porteur filed.
      ...funders.map((f) => ({
        name: `spent|${f}`,
        label: spentLabel(f),
        type: 'money',
        required: true,
        value: filedEuros(spentBefore(f)),
        help: 'Écrivez 0 si rien n’a été dépensé sur cette subvention.',
      })),
      {
        name: 'beneficiariesReached',
        label: 'Bénéficiaires touchés',
        type: 'number',
        required: true,
        value: filed ? String(filed.beneficiariesReached) : '',
      },
      {
        name: 'narrative',
        label: 'Bilan qualitatif',
        type: 'textarea',
        required: true,
        maxLength: textMax.longText,
        value: filed?.narrative ?? '',
      },
      {
        name: 'documentRefs',
        label: 'Références des pièces jointes (une par ligne)',
        type: 'textarea',
        value: (filed?.documentRefs ?? []).join('\n'),
      },
    ]}
    build=${(v) => ({
      year: Number(v.year),
      spentByFunder: funders.map((f) => ({ funder: f, amountCents: centsOf(v[`spent|${f}`]) })),
      beneficiariesReached: Number(v.beneficiariesReached),
      narrative: v.narrative,
      documentRefs: lines(v.documentRefs),
    })}
    confirm=${(_, body) => ({
      title: `Déposer le compte rendu de l’année ${body.year} ?`,
      confirmLabel: 'Confirmer le dépôt',
      body: html`<${ReportRecap} state=${state} report=${body} />`,
    })}
  />`;
}

/**
 * What the porteur still owes, and to whom, as the close dialog says it: « 1 000,00 € restent à
 * reverser par le porteur à l’État : … »; to several funders, how much to each, in the console's
 * order. One string: htm drops the space between two interpolations.
 * @param {{ funder: string, amountCents: number }[]} recoveries
 */
function repaymentOwed(recoveries) {
  /** @type {Map<string, number>} */
  const owed = new Map();
  for (const r of byFunder(recoveries)) owed.set(r.funder, (owed.get(r.funder) ?? 0) + r.amountCents);
  const total = [...owed.values()].reduce((sum, cents) => sum + cents, 0);
  const kept = 'la clôture n’efface pas ce reversement.';
  if (owed.size === 1) {
    const [funder] = owed.keys();
    return `${money(total)} restent à reverser par le porteur ${toFunder(funder)} : ${kept}`;
  }
  const each = [...owed].map(([funder, cents]) => `${money(cents)} ${toFunder(funder)}`);
  const list = `${each.slice(0, -1).join(', ')} et ${each.at(-1)}`;
  return `${money(total)} restent à reverser par le porteur : ${list} ; ${kept}`;
}

const yearsOf = (state) => Array.from({ length: state?.dossier?.durationYears ?? 1 }, (_, i) => i + 1);

/**
 * The form of one allowed command on an application.
 * @param {{ allowed: { type: string, reason?: string }, detail: any, principal: any, onDone: (v: any) => void, onSend?: () => void }} props
 */
export function CommandForm({ allowed, detail, principal, onDone, onSend }) {
  const state = detail.state ?? {};
  const base = `/api/applications/${detail.id}`;
  const hint = allowed.reason;
  const p = { hint, onDone, onSend };
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
            maxLength: textMax.freeText,
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
        confirm=${(_, body) => ({
          title: 'Déclarer la candidature irrecevable ?',
          body: html`<p>
              La candidature « ${detail.title} » sera close sans passer en co-décision. C’est définitif : le
              porteur devra déposer une nouvelle candidature.
            </p>
            <p>Motifs communiqués au porteur :</p>
            <ul>
              ${body.reasons.map((r) => html`<li>${r}</li>`)}
            </ul>`,
        })}
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
          {
            name: 'response',
            label: 'Réponse',
            type: 'textarea',
            required: true,
            maxLength: textMax.longText,
          },
          { name: 'documentRefs', label: 'Références des pièces jointes (une par ligne)', type: 'textarea' },
        ]}
        build=${(v) => ({ response: v.response, documentRefs: lines(v.documentRefs) })}
      />`;
    case 'RecordFunderPosition': {
      const funder = principal.institution;
      const requested = (year) =>
        state.dossier?.budget?.find((b) => b.year === year)?.requested?.find((r) => r.funder === funder)
          ?.amountCents ?? 0;
      // What this funder already recorded: the form shows it, so that sending it again is a change.
      const recorded = state.coDecision?.positions?.[funder];
      const given = recorded?.decision === 'committed' || recorded?.decision === 'declined' ? recorded : null;
      const committed = (year) => given?.amountsByYear?.find((a) => a.year === year)?.amountCents ?? 0;
      const recordedCents =
        given?.decision === 'committed'
          ? (given.amountsByYear ?? []).reduce((sum, a) => sum + a.amountCents, 0)
          : 0;
      return html`<${ActionForm}
        ...${p}
        id="position"
        title=${`Position ${ofFunder(funder)}`}
        intro=${html`${
          given
            ? html`<p class="recorded" data-testid="position-recorded">
                <strong>Position enregistrée :</strong>${' '}
                ${`${positionText(given).replace(/\.$/, '')}. Elle est reprise ci-dessous : l’envoyer de nouveau la remplace.`}
              </p>`
            : null
        }${
          state.campaignId
            ? html`<${EnvelopeLeft}
                campaignId=${state.campaignId}
                funder=${funder}
                recordedCents=${recordedCents}
              />`
            : null
        }`}
        submitLabel=${given ? 'Modifier la position' : 'Enregistrer la position'}
        path=${`${base}/positions`}
        fieldOf=${(path) => {
          const amount = path.match(/^position\.amountsByYear\.(\d+)/);
          if (amount) return `y${Number(amount[1]) + 1}`;
          if (path.startsWith('position.conditions')) return 'conditions';
          if (path.startsWith('position.reason')) return 'reason';
          if (path.startsWith('position.decisionReference')) return 'decisionReference';
          if (path === 'decisionDate') return 'decisionDate';
          return path.startsWith('position') ? 'decision' : undefined;
        }}
        fields=${[
          {
            name: 'decision',
            label: 'Décision',
            type: 'select',
            value: given?.decision ?? 'committed',
            options: [
              ['committed', 'Engagement'],
              ['declined', 'Refus'],
            ],
          },
          ...yearsOf(state).map((y) => ({
            name: `y${y}`,
            label: `Montant engagé, année ${y}`,
            help: `Demandé : ${money(requested(y))}.`,
            type: 'money',
            value: euros(given ? committed(y) : requested(y)),
            shownWhen: ['decision', 'committed'],
          })),
          {
            name: 'conditions',
            label: 'Conditions (engagement)',
            type: 'textarea',
            maxLength: textMax.freeText,
            shownWhen: ['decision', 'committed'],
            value: given?.decision === 'committed' ? (given.conditions ?? '') : '',
          },
          {
            name: 'reason',
            label: 'Motif (refus)',
            type: 'textarea',
            maxLength: textMax.freeText,
            shownWhen: ['decision', 'declined'],
            value: given?.decision === 'declined' ? (given.reason ?? '') : '',
          },
          {
            name: 'decisionReference',
            label: 'Référence de la décision de votre institution (délibération, arrêté ; facultatif)',
            maxLength: textMax.reference,
            value: given?.decisionReference ?? '',
          },
          {
            // A deliberation keyed in days later keeps its own date (the position's business time).
            name: 'decisionDate',
            label: 'Date de la décision de votre institution',
            type: 'date',
            value: today(),
            required: true,
          },
        ]}
        build=${(v) => {
          const reference = v.decisionReference?.trim() ? { decisionReference: v.decisionReference } : {};
          return {
            position:
              v.decision === 'declined'
                ? { decision: 'declined', reason: v.reason, ...reference }
                : {
                    decision: 'committed',
                    amountsByYear: yearsOf(state)
                      .map((y) => ({ year: y, amountCents: centsOf(v[`y${y}`]) }))
                      .filter((a) => a.amountCents !== 0),
                    ...(v.conditions?.trim() ? { conditions: v.conditions } : {}),
                    ...reference,
                  },
            decisionDate: v.decisionDate,
          };
        }}
      />`;
    }
    case 'GiveCitizenOpinion': {
      const given = state.coDecision?.citizenOpinion ?? null;
      return html`<${ActionForm}
        ...${p}
        id="opinion"
        title="Avis du conseil citoyen"
        intro=${
          given
            ? html`<p class="recorded" data-testid="opinion-recorded">
                <strong>Avis enregistré :</strong>${' '}
                ${`${opinionLabels[given.opinion] ?? given.opinion} — ${String(given.comment).replace(/\.$/, '')}. Il est repris ci-dessous : l’envoyer de nouveau le remplace.`}
              </p>`
            : null
        }
        submitLabel=${given ? 'Modifier l’avis' : 'Donner l’avis'}
        path=${`${base}/citizen-opinion`}
        fields=${[
          {
            name: 'opinion',
            label: 'Avis',
            type: 'select',
            // No default: the council says which one (a default « Favorable » went out unread).
            value: given?.opinion ?? '',
            required: true,
            options: [
              ['', '— choisir —'],
              ['favourable', 'Favorable'],
              ['reserved', 'Réservé'],
              ['unfavourable', 'Défavorable'],
            ],
          },
          {
            name: 'comment',
            label: 'Commentaire',
            type: 'textarea',
            required: true,
            maxLength: textMax.freeText,
            value: given?.comment ?? '',
          },
          {
            // An opinion given at a meeting and keyed in later keeps the meeting's date.
            name: 'decisionDate',
            label: 'Date de l’avis (réunion du conseil citoyen)',
            type: 'date',
            value: today(),
            required: true,
          },
        ]}
        build=${(v) => ({ opinion: v.opinion, comment: v.comment, decisionDate: v.decisionDate })}
      />`;
    }
    case 'RecordCommitteeApproval':
      return html`<${CommitteeApprovalForm} state=${state} base=${base} ...${p} />`;
    case 'RecordCommitteeRejection':
      return html`<${ActionForm}
        ...${p}
        id="rejection"
        title="Rejet par le comité de pilotage"
        submitLabel="Enregistrer le rejet"
        danger
        path=${`${base}/committee-decision`}
        fields=${[
          {
            name: 'decisionReference',
            label: 'Référence de la décision',
            required: true,
            maxLength: textMax.reference,
          },
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
        confirm=${(_, body) => ({
          title: 'Enregistrer le rejet du comité ?',
          body: html`<p>
            ${`La candidature « ${detail.title} » sera rejetée (décision ${body.decisionReference} du ${date(body.decisionDate)}). `}
            C’est définitif : les engagements des financeurs tombent.
          </p>`,
        })}
      />`;
    case 'DraftConvention':
      return html`<${DraftConventionForm} state=${state} base=${base} ...${p} />`;
    case 'SignConvention':
      return html`<${ActionForm}
        ...${p}
        id="signature"
        title=${principal.role === 'funder' ? `Signer la convention pour ${theFunder(principal.institution)}` : 'Signer la convention'}
        submitLabel="Signer"
        path=${`${base}/signatures`}
        fields=${[]}
        build=${() => ({})}
        confirm=${() => ({
          title:
            principal.role === 'funder'
              ? `Signer la convention pour ${theFunder(principal.institution)} ?`
              : 'Signer la convention ?',
          confirmLabel: 'Confirmer la signature',
          body: html`<p>
              ${`Votre signature engage ${principal.role === 'funder' ? theFunder(principal.institution) : 'votre organisme'} et ne peut pas être retirée. `}
              La convention entre en vigueur quand tous les signataires ont signé.
            </p>
            <${ConventionTerms} state=${state} />`,
        })}
      />`;
    case 'SubmitYearlyReport':
      return html`<${YearlyReportForm} state=${state} base=${base} ...${p} />`;
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
            fields=${[yearField, { name: 'comment', label: 'Commentaire', type: 'textarea', maxLength: textMax.freeText }]}
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
      const kinds = installmentLabels(state.installments);
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
              `${funderLabel(i.funder)} — ${kinds.get(i.id) ?? `année ${i.year}`} : ${money(i.scheduledCents)}`,
            ]),
          },
        ]}
        build=${(v) => ({ installmentId: v.installmentId })}
      />`;
    }
    case 'CloseApplication': {
      // Recoveries ordered are owed until repaid; the engine records no repayment, so all still are.
      const toRepay = (state.recoveries ?? []).reduce((sum, r) => sum + r.amountCents, 0);
      return html`<${ActionForm}
        ...${p}
        id="close"
        title="Clôturer le dossier"
        submitLabel="Clôturer"
        path=${`${base}/close`}
        danger
        fields=${[{ name: 'comment', label: 'Commentaire', type: 'textarea', maxLength: textMax.freeText }]}
        build=${(v) => (v.comment?.trim() ? { comment: v.comment } : {})}
        confirm=${() => ({
          title: 'Clôturer le dossier ?',
          body: html`<p>
              Le dossier « ${detail.title} » sera clôturé : plus aucun versement, compte rendu ni reversement
              ne pourra y être enregistré. C’est définitif.
            </p>
            ${
              toRepay > 0
                ? html`<p class="warning" data-testid="close-repayment">
                    ${repaymentOwed(state.recoveries)}
                  </p>`
                : null
            }`,
        })}
      />`;
    }
    case 'TerminateConvention': {
      // Years without an accepted report: what the porteur justified; the rest of what was paid is
      // recovered (reversement).
      const accepted = new Set(
        (state.reports ?? []).filter((r) => r.status === 'accepted').map((r) => r.year),
      );
      const unreconciled = byFunder(state.award?.plan)
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
          {
            name: 'comment',
            label: 'Commentaire',
            type: 'textarea',
            required: true,
            maxLength: textMax.freeText,
          },
          ...unreconciled.map((l) => ({
            name: `justified|${l.funder}|${l.year}`,
            label: `Dépenses justifiées, ${funderLabel(l.funder)}, année ${l.year}`,
            help: `Versé : ${money(l.paid)}.`,
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
        confirm=${(_, body) => ({
          title: 'Résilier la convention ?',
          body: html`<p>
              La convention de « ${detail.title} » prendra fin maintenant. C’est définitif : les échéances non
              versées sont annulées.
            </p>
            ${
              unreconciled.length
                ? html`<p>Reversements qui seront ordonnés :</p>
                    <ul>
                      ${unreconciled.map((l) => {
                        const justified =
                          body.justified.find((j) => j.funder === l.funder && j.year === l.year)
                            ?.amountCents ?? 0;
                        return html`<li>
                          ${`${funderLabel(l.funder)}, année ${l.year} : ${money(Math.max(0, l.paid - justified))} (versé ${money(l.paid)}, justifié ${money(justified)})`}
                        </li>`;
                      })}
                    </ul>`
                : html`<p>Aucun reversement : rien n’a été versé au-delà des comptes rendus acceptés.</p>`
            }`,
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
        fields=${[{ name: 'reason', label: 'Motif (facultatif)', type: 'textarea', maxLength: textMax.freeText }]}
        build=${(v) => (v.reason?.trim() ? { reason: v.reason } : {})}
        confirm=${() => ({
          title: 'Retirer la candidature ?',
          body: html`<p>
            La candidature « ${detail.title} » ne sera plus instruite et les financeurs ne pourront plus s’y
            engager. C’est définitif : pour reprendre le projet, il faudra déposer une nouvelle candidature.
          </p>`,
        })}
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
