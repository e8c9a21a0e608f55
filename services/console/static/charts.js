// Hand-written SVG bar charts: grouped horizontal bars (one group per row, one bar per series),
// with a legend, a text alternative and a data table for screen readers and for checking numbers.
import { html, money } from './lib.js';

/**
 * @param {{ title: string, rows: { label: string, values: number[] }[], series: { name: string, className: string }[], format?: (n: number) => string, id: string }} props
 */
export function BarChart({ title, rows, series, format = money, id }) {
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const barHeight = 14;
  const gap = 4;
  const groupHeight = series.length * (barHeight + gap) + 12;
  const labelWidth = 210;
  const chartWidth = 520;
  const valueWidth = 130;
  const width = labelWidth + chartWidth + valueWidth;
  const height = Math.max(groupHeight * rows.length, 20);
  return html`
    <figure class="chart" aria-labelledby=${`${id}-title`}>
      <figcaption id=${`${id}-title`}>${title}</figcaption>
      <ul class="legend" aria-hidden="true">
        ${series.map((s) => html`<li><span class=${`swatch ${s.className}`}></span>${s.name}</li>`)}
      </ul>
      ${
        rows.length === 0
          ? html`<p class="empty">Aucune donnée.</p>`
          : html`<svg
              role="img"
              aria-labelledby=${`${id}-title`}
              viewBox=${`0 0 ${width} ${height}`}
              width="100%"
              data-chart=${id}
            >
              ${rows.map((row, i) => {
                const y0 = i * groupHeight;
                return html`<g>
                  <text x="0" y=${y0 + barHeight} class="axis-label">${row.label}</text>
                  ${row.values.map((v, j) => {
                    const y = y0 + j * (barHeight + gap);
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
                </g>`;
              })}
            </svg>`
      }
      <details>
        <summary>Voir les données (tableau)</summary>
        <table>
          <thead>
            <tr>
              <th scope="col"></th>
              ${series.map((s) => html`<th scope="col">${s.name}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (r) =>
                html`<tr>
                  <th scope="row">${r.label}</th>
                  ${r.values.map((v) => html`<td class="num">${format(v)}</td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
      </details>
    </figure>
  `;
}
