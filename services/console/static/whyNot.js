// Why the caller's other steps are not possible now: the API's `notNow` (GET /api/applications/:id,
// GET /api/campaigns/:id), said compactly under the actions possible now. No imports: the unit tests
// load this file in Node (test/console/whyNot.unit.spec.ts) against the domain's own messages, the
// browser through pages.js.
//
// Each message is the refusal the API would send, so most end with what is possible instead
// (« Possible maintenant pour vous : … », « En attente de : … », « Plus aucune action n'est
// possible. »), the same on every entry: the page shows it already (the forms just above, the status
// line), so it is cut. Entries refused for one reason, the stage of the file (« La candidature est en
// cours d'instruction (recevabilité) : X n'est pas possible à ce stade. » for each X), are said once,
// in one sentence naming them all; a file that is over, in one sentence without naming them.

/** « a », « a et b », « a, b et c ». */
const listed = (items) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} et ${items.at(-1)}`;

/** Labels as a heading, without their articles: « Approbation du comité de pilotage et rejet par … ». */
export function commandTitle(labels) {
  const text = listed(labels.map((l) => l.replace(/^(la |le |les |l’|l')/, '')));
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Where the API's « what is possible instead » begins (decision.ts, `alternatives`). */
const endings = [
  ' Possible maintenant pour vous : ',
  ' En attente de : ',
  " Plus aucune action n'est possible.",
];

/** The message without its « what is possible instead ». */
export function withoutEnding(message) {
  const text = String(message ?? '');
  const at = Math.min(...endings.map((e) => text.indexOf(e)).map((i) => (i < 0 ? text.length : i)));
  return text.slice(0, at).trim();
}

const commonPrefix = (texts) =>
  texts.reduce((prefix, t) => {
    let i = 0;
    while (i < prefix.length && i < t.length && prefix[i] === t[i]) i += 1;
    return prefix.slice(0, i);
  });
const reversed = (text) => [...text].reverse().join('');
const commonSuffix = (texts) => reversed(commonPrefix(texts.map(reversed)));

/**
 * One sentence for refusals of one stage, or undefined when they are not of that shape. The messages
 * are « <where the file stands> : <command> <verdict>. »: their common start up to its last « : »
 * is where the file stands (it may hold a colon itself: « est caduque : la convention n'a pas été
 * signée au … »; a command's label never does), their common end from « n'est » the verdict (« pas
 * possible à ce stade », « pas encore possible », « plus possible »), said once in the plural.
 * @param {{ type: string, label: string, code: string, core: string }[]} entries
 */
function stageSentence(entries) {
  const cores = entries.map((e) => e.core);
  const start = commonPrefix(cores);
  const colon = start.lastIndexOf(' : ');
  if (colon <= 0) return undefined;
  const where = start.slice(0, colon);
  if (entries[0]?.code === 'TERMINAL_STATE') return `${where} : plus aucune action n’est possible.`;
  const end = commonSuffix(cores);
  const verdictAt = end.search(/ n(’|')est /);
  if (verdictAt < 0) return undefined;
  const verdict = end.slice(verdictAt).replace(/^ n(’|')est (.*?)\bpossible\b/, ' ne sont $2possibles');
  if (!verdict.startsWith(' ne sont ')) return undefined;
  // Each command by the API's name for it (`label`, the words its messages use).
  const labels = entries.map((e) => e.label);
  return `${where} : ${listed(labels)}${verdict}`;
}

/**
 * The `notNow` of an application's detail (or a campaign's view), said compactly: `sentence` when one reason covers them all,
 * otherwise `items`, each either one command (or several refused with the same words) with its reason,
 * or a stage's sentence naming its commands.
 * @param {{ type: string, label: string, code: string, message: string }[] | undefined} notNow
 * @returns {{ sentence?: string, items: { title?: string, text: string }[] }}
 */
export function whyNot(notNow) {
  const entries = (notNow ?? []).map((n) => ({
    type: n.type,
    label: n.label,
    code: n.code,
    core: withoutEnding(n.message),
  }));
  // By code and verdict: one stage refuses the steps already passed (« ne sont plus possibles »)
  // in other words than those still to come (« ne sont pas encore possibles »), one sentence each.
  const verdictOf = (core) => / n(’|')est (pas encore |plus |pas )?possible/.exec(core)?.[2] ?? '';
  /** @type {Map<string, typeof entries>} */
  const byCode = new Map();
  for (const e of entries) {
    const key = `${e.code} ${verdictOf(e.core)}`;
    byCode.set(key, [...(byCode.get(key) ?? []), e]);
  }
  /** @type {{ title?: string, text: string }[]} */
  const items = [];
  // The stages' sentences last: a step's own condition (« En attente de la position de : … ») says
  // more about it than the stage the others wait for.
  /** @type {{ text: string }[]} */
  const stages = [];
  for (const group of byCode.values()) {
    const same = group.every((e) => e.core === group[0]?.core);
    const sentence = same && group[0]?.code !== 'TERMINAL_STATE' ? undefined : stageSentence(group);
    if (sentence !== undefined) {
      stages.push({ text: sentence });
      continue;
    }
    // One item per distinct reason, naming the commands it stops (« Approbation … et rejet … »).
    /** @type {Map<string, string[]>} */
    const byReason = new Map();
    for (const e of group) byReason.set(e.core, [...(byReason.get(e.core) ?? []), e.label]);
    for (const [text, commands] of byReason) {
      const labels = commands.filter((l) => typeof l === 'string' && l !== '');
      const title = labels.length > 0 ? commandTitle(labels) : undefined;
      // A refusal of who acts names its command first (« La signature de la convention : plus rien
      // n'est attendu de vous… »): no heading to say it twice.
      const named =
        title !== undefined &&
        text
          .toLowerCase()
          .replace(/^(la |le |les |l’|l')/, '')
          .startsWith(`${title.toLowerCase()} :`);
      items.push(title === undefined || named ? { text } : { title, text });
    }
  }
  items.push(...stages);
  const only = items.length === 1 ? items[0] : undefined;
  return only !== undefined && only.title === undefined ? { sentence: only.text, items: [] } : { items };
}
