// Hand-written SVG charts (no chart library): grouped horizontal bars (one group per row, one bar per
// series) and a share gauge against a target. Each SVG is role="img" with its own <title> and <desc>
// (the numbers in words), and each chart has a data table as its text alternative, which is also
// what one reads to check a figure.
import { html, money, count, TableScroll } from './lib.js';
import { useLayoutEffect, useRef, useState } from './vendor/hooks.mjs';

/** Loads one of the console's own stylesheets once (CSP `style-src 'self'`: a link, never inline). */
export function loadStylesheet(href) {
  if (typeof document === 'undefined') return;
  const url = new URL(href, import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === url)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = url;
  document.head.append(link);
}
loadStylesheet('./dashboard.css');

/**
 * A row label cut to `max` characters. A code in parentheses at its end (a quartier's « (QN05994X) »)
 * is what tells two rows apart: the name before it is cut, never the code.
 */
const shorten = (text, max) => {
  if (text.length <= max) return text;
  const coded = /^(.*\S)\s+(\([^()]+\))$/.exec(text);
  if (coded && coded[2].length + 3 <= max)
    return `${coded[1].slice(0, max - coded[2].length - 2).trimEnd()}… ${coded[2]}`;
  return `${text.slice(0, max - 1)}…`;
};

/**
 * A row's label on the chart: whole when it fits; else its short form when it has one (« CAF », as
 * the positions table says, rather than « Caisse d'allocations fami… »), cut itself if need be.
 * @param {{ label: string, shortLabel?: string }} row @param {number} max
 */
const axisLabel = (row, max) =>
  shorten(row.label.length > max && row.shortLabel ? row.shortLabel : row.label, max);

/**
 * The width a figure has on the page, in CSS pixels, followed as the window changes (undefined
 * before it is laid out). A chart draws itself for that width, one unit of its viewBox a pixel, so
 * that its 12 px labels stay 12 px: a laptop's drawing scaled to a 375 px phone made them 5 px, and
 * a half-screen chart given the whole width of a tablet, 18–20 px.
 * @param {{ current: Element | null }} ref
 */
function useWidth(ref) {
  const [width, setWidth] = useState(/** @type {number | undefined} */ (undefined));
  // Measured before the first paint (a layout effect): the chart is never shown at the wrong size.
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const measure = () => setWidth(Math.round(element.getBoundingClientRect().width) || undefined);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return width;
}

/** Below this many pixels for the bars beside their labels, each label goes on a line of its own above them. */
const MIN_SIDE_BY_SIDE_BARS = 200;
/** The widest a chart is drawn (dashboard.css caps its SVG at 56rem). */
const MAX_CHART_WIDTH = 896;
/** Roughly what one character of a 12 px label takes, to cut labels to their room. */
const CHAR_WIDTH = 6.6;

/**
 * Where a chart's parts go for the width it has: labels in a column of their own beside the bars
 * (at most the laptop's column), the bars taking the rest; on a screen too narrow for that, each
 * label on a line above its bars. Before the width is known, the laptop layout.
 */
function barLayout(available, compact) {
  // A compact chart fits half the width of a laptop screen at the same text size.
  const design = compact
    ? { labelWidth: 170, chartWidth: 290, valueWidth: 110, maxLabel: 26 }
    : { labelWidth: 280, chartWidth: 480, valueWidth: 130, maxLabel: 42 };
  const { valueWidth } = design;
  if (available === undefined)
    return { ...design, stacked: false, width: design.labelWidth + design.chartWidth + valueWidth };
  const width = Math.min(available, MAX_CHART_WIDTH);
  const labelWidth = Math.min(design.labelWidth, Math.round(width * 0.32));
  const chartWidth = width - labelWidth - valueWidth;
  if (chartWidth >= MIN_SIDE_BY_SIDE_BARS) {
    const maxLabel =
      labelWidth === design.labelWidth ? design.maxLabel : Math.floor(labelWidth / CHAR_WIDTH) - 1;
    return { labelWidth, chartWidth, maxLabel, stacked: false, width };
  }
  return {
    labelWidth: 0,
    chartWidth: Math.max(40, width - valueWidth),
    maxLabel: Math.floor(width / CHAR_WIDTH) - 1,
    stacked: true,
    width,
  };
}

/**
 * A row's `note` is a line of its own under its bars (the rest of an envelope and the share used).
 * @param {{
 *   id: string,
 *   title: string,
 *   rows: { key?: string, label: string, shortLabel?: string, values: number[], extras?: (string | number)[], note?: string }[],
 *   series: { name: string, className: string }[],
 *   format?: (n: number) => string,
 *   rowHeader?: string,
 *   extraColumns?: string[],
 *   open?: boolean,
 *   compact?: boolean,
 * }} props
 */
export function BarChart({
  title,
  rows,
  series,
  format = money,
  id,
  rowHeader = '',
  extraColumns = [],
  open,
  compact = false,
}) {
  const figure = useRef(/** @type {HTMLElement | null} */ (null));
  const { labelWidth, chartWidth, maxLabel, stacked, width } = barLayout(useWidth(figure), compact);
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const barHeight = 14;
  const gap = 4;
  // Stacked: the label's line, then the bars.
  const labelLine = stacked ? 18 : 0;
  const noteLine = rows.some((r) => r.note) ? 16 : 0;
  const groupHeight = labelLine + series.length * (barHeight + gap) + noteLine + 12;
  const height = Math.max(groupHeight * rows.length, 20);
  const desc = rows
    .map(
      (r) =>
        `${r.label} : ${r.values.map((v, j) => `${series[j]?.name ?? ''} ${format(v)}`).join(', ')}${r.note ? ` (${r.note})` : ''}`,
    )
    .join(' ; ');
  return html`
    <figure
      ref=${figure}
      class=${compact ? 'chart compact' : 'chart'}
      aria-labelledby=${`${id}-caption`}
      data-figure=${id}
      data-layout=${stacked ? 'stacked' : 'beside'}
    >
      <figcaption id=${`${id}-caption`}>${title}</figcaption>
      <ul class="legend" aria-hidden="true">
        ${series.map((s) => html`<li><span class=${`swatch ${s.className}`}></span>${s.name}</li>`)}
      </ul>
      ${
        rows.length === 0
          ? html`<p class="empty">Aucune donnée.</p>`
          : html`<svg
              role="img"
              aria-labelledby=${`${id}-svg-title`}
              aria-describedby=${`${id}-svg-desc`}
              viewBox=${`0 0 ${width} ${height}`}
              width="100%"
              data-chart=${id}
            >
              <title id=${`${id}-svg-title`}>${title}</title>
              <desc id=${`${id}-svg-desc`}>${desc}</desc>
              ${rows.map((row, i) => {
                const y0 = i * groupHeight;
                return html`<g>
                  <text x="0" y=${y0 + (stacked ? 12 : barHeight)} class="axis-label">
                    ${axisLabel(row, maxLabel)}
                    <title>${row.label}</title>
                  </text>
                  ${row.values.map((v, j) => {
                    const y = y0 + labelLine + j * (barHeight + gap);
                    const w = Math.max(v > 0 ? 2 : 0, (v / max) * chartWidth);
                    return html`<rect
                        x=${labelWidth}
                        y=${y}
                        width=${w}
                        height=${barHeight}
                        class=${`bar ${series[j]?.className ?? ''}`}
                        data-value=${v}
                      >
                        <title>${`${row.label} — ${series[j]?.name} : ${format(v)}`}</title>
                      </rect>
                      <text x=${labelWidth + w + 6} y=${y + barHeight - 3} class="bar-value"
                        >${format(v)}</text
                      >`;
                  })}
                  ${
                    row.note
                      ? html`<text
                          x=${labelWidth}
                          y=${y0 + labelLine + series.length * (barHeight + gap) + 10}
                          class="bar-note"
                          data-note=${row.key ?? row.label}
                          >${row.note}</text
                        >`
                      : null
                  }
                </g>`;
              })}
            </svg>`
      }
      ${
        rows.length === 0
          ? null
          : html`<details open=${open}>
              <summary>Voir les données (tableau)</summary>
              <${TableScroll} label=${title}>
                <table data-table=${id}>
                  <caption class="visually-hidden">
                    ${title}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">${rowHeader}</th>
                      ${extraColumns.map((c) => html`<th scope="col" class="num">${c}</th>`)}
                      ${series.map((s) => html`<th scope="col" class="num">${s.name}</th>`)}
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (r) =>
                        html`<tr data-row=${r.key ?? r.label}>
                          <th scope="row">${r.label}</th>
                          ${(r.extras ?? []).map((x, k) => html`<td class="num" data-col=${`x${k}`}>${typeof x === 'number' ? count(x) : x}</td>`)}
                          ${r.values.map(
                            (v, j) =>
                              html`<td class="num" data-col=${`s${j}`} data-value=${v}>${format(v)}</td>`,
                          )}
                        </tr>`,
                    )}
                  </tbody>
                </table>
              <//>
            </details>`
      }
    </figure>
  `;
}

/**
 * One share (0–100 %) as a bar on a 0–100 scale, with the target drawn as a marked line.
 * @param {{ id: string, title: string, label: string, percent: number | null, target: number | null, detail?: string }} props
 */
export function ShareGauge({ id, title, label, percent, target, detail }) {
  const figure = useRef(/** @type {HTMLElement | null} */ (null));
  const available = useWidth(figure);
  // Drawn for its figure's width (see useWidth); before it is known, for a laptop's.
  const width = available === undefined ? 760 : Math.min(available, MAX_CHART_WIDTH);
  const left = 10;
  const scale = width - 2 * left;
  const x = (p) => left + (Math.max(0, Math.min(100, p)) / 100) * scale;
  const pct = (p) =>
    p === null || p === undefined ? '—' : `${String(Math.round(p * 10) / 10).replace('.', ',')} %`;
  const reached = percent !== null && target !== null ? percent >= target : null;
  const desc =
    percent === null
      ? `Aucune action retenue : la part n’est pas encore calculable. Cible : ${pct(target)}.`
      : `${label} : ${pct(percent)} ; cible : ${pct(target)} ; ${reached ? 'cible atteinte' : 'cible non atteinte'}.`;
  return html`<figure ref=${figure} class="chart gauge" aria-labelledby=${`${id}-caption`} data-figure=${id}>
    <figcaption id=${`${id}-caption`}>${title}</figcaption>
    <svg
      role="img"
      aria-labelledby=${`${id}-svg-title`}
      aria-describedby=${`${id}-svg-desc`}
      viewBox=${`0 0 ${width} 64`}
      width="100%"
      data-chart=${id}
    >
      <title id=${`${id}-svg-title`}>${title}</title>
      <desc id=${`${id}-svg-desc`}>${desc}</desc>
      <rect x=${left} y="8" width=${scale} height="22" class="gauge-track" />
      ${percent === null ? null : html`<rect x=${left} y="8" width=${x(percent) - left} height="22" class="bar s-paid" data-value=${percent} />`}
      ${
        target === null
          ? null
          : html`<line
                x1=${x(target)}
                x2=${x(target)}
                y1="2"
                y2="36"
                class="gauge-target"
                data-value=${target}
              />
              <text x=${x(target)} y="52" text-anchor="middle" class="axis-label">cible ${pct(target)}</text>`
      }
      <text x=${left} y="52" class="axis-label">0 %</text>
      <text x=${left + scale} y="52" text-anchor="end" class="axis-label">100 %</text>
    </svg>
    <p class="gauge-legend">
      <strong data-value="share">${pct(percent)}</strong> ${label}${detail ? html` — ${detail}` : null}
      ${reached === null ? null : html` — <span class=${reached ? 'ok' : 'ko'}>${reached ? 'cible atteinte' : 'cible non atteinte'}</span>`}
    </p>
  </figure>`;
}
