// Hand-drawn SVG charts in the LineChart's style: bars, ranked bars, an hour-of-week heatmap and
// an attendance strip. Each is an image with a text summary for screen readers, and every mark
// carries its exact figure in a tooltip.
import { DAYS, hourLabel } from "../analysis";
import { formatNumber } from "../format";

export interface Bar {
  label: string;
  value: number;
  /** Tooltip text; defaults to "label: value". */
  detail?: string;
}

const W = 560;
const H = 180;
const PAD = { left: 48, right: 8, top: 12, bottom: 34 };

function strongest(bars: Bar[]): Bar | undefined {
  return bars.reduce<Bar | undefined>((best, bar) => (best === undefined || bar.value > best.value ? bar : best), undefined);
}

/** Vertical bars: tip sizes, tokens per month, tokens per session. */
export function BarChart({ title, bars, unit = "" }: { title: string; bars: Bar[]; unit?: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const width = (W - PAD.left - PAD.right) / Math.max(1, bars.length);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const every = Math.max(1, Math.ceil(bars.length / 12));
  const top = strongest(bars);
  const summary =
    bars.length === 0
      ? `${title}: no data`
      : `${title}: ${bars.length} bars, highest ${top?.label} with ${formatNumber(top?.value)}${unit}`;
  return (
    <figure className="card chart-card">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line className="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <text x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
          {formatNumber(max)}
        </text>
        <text x={PAD.left - 6} y={H - PAD.bottom} textAnchor="end">
          0
        </text>
        {bars.map((bar, i) => {
          const x = PAD.left + i * width;
          const top = y(bar.value);
          return (
            <g key={`${bar.label}-${i}`}>
              <rect
                className="bar"
                x={x + width * 0.12}
                y={top}
                width={Math.max(1, width * 0.76)}
                height={Math.max(0, H - PAD.bottom - top)}
              >
                <title>{bar.detail ?? `${bar.label}: ${formatNumber(bar.value)}${unit}`}</title>
              </rect>
              {i % every === 0 ? (
                <text x={x + width / 2} y={H - PAD.bottom + 14} textAnchor="middle">
                  {bar.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export interface RankRow {
  label: string;
  value: number;
  detail?: string;
}

/** Horizontal bars, largest first: top tippers of a period. */
export function RankBars({ title, rows, unit = "" }: { title: string; rows: RankRow[]; unit?: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = 24;
  const height = Math.max(rowH, rows.length * rowH) + 8;
  const labelW = 150;
  const summary =
    rows.length === 0
      ? `${title}: nobody yet`
      : `${title}: ${rows.map((r) => `${r.label} ${formatNumber(r.value)}${unit}`).join(", ")}`;
  return (
    <figure className="card chart-card">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={summary}>
        {rows.map((row, i) => {
          const barW = ((W - labelW - 70) * row.value) / max;
          const y = 4 + i * rowH;
          return (
            <g key={`${row.label}-${i}`}>
              <text x={labelW - 8} y={y + 15} textAnchor="end" className="chart-label">
                {row.label}
              </text>
              <rect className="bar" x={labelW} y={y + 3} width={Math.max(1, barW)} height={rowH - 8}>
                <title>{row.detail ?? `${row.label}: ${formatNumber(row.value)}${unit}`}</title>
              </rect>
              <text x={labelW + barW + 6} y={y + 15}>
                {formatNumber(row.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** Seven rows (Monday first) of 24 hours; darker = more. */
export function Heatmap({ title, grid, unit = "" }: { title: string; grid: number[][]; unit?: string }) {
  const cell = 20;
  const left = 40;
  const top = 16;
  const max = Math.max(1, ...grid.flat());
  let best = { day: 0, hour: 0, value: -1 };
  grid.forEach((row, d) =>
    row.forEach((value, h) => {
      if (value > best.value) best = { day: d, hour: h, value };
    }),
  );
  const total = grid.flat().reduce((a, b) => a + b, 0);
  const summary =
    total === 0
      ? `${title}: nothing yet`
      : `${title}: ${formatNumber(total)}${unit} in all; most on ${DAYS[best.day]} at ${hourLabel(best.hour)} (${formatNumber(best.value)})`;
  return (
    <figure className="card chart-card">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg className="chart heatmap" viewBox={`0 0 ${left + 24 * cell + 4} ${top + 7 * cell + 4}`} role="img" aria-label={summary}>
        {[0, 6, 12, 18].map((h) => (
          <text key={h} x={left + h * cell} y={top - 4}>
            {hourLabel(h)}
          </text>
        ))}
        {grid.map((row, d) => (
          <g key={DAYS[d]}>
            <text x={left - 6} y={top + d * cell + 14} textAnchor="end">
              {DAYS[d]}
            </text>
            {row.map((value, h) => (
              <rect
                key={h}
                className={value > 0 ? "heat" : "heat heat-empty"}
                x={left + h * cell}
                y={top + d * cell}
                width={cell - 2}
                height={cell - 2}
                fillOpacity={value > 0 ? 0.2 + (0.8 * value) / max : 1}
              >
                <title>{`${DAYS[d]} ${hourLabel(h)}: ${formatNumber(value)}${unit}`}</title>
              </rect>
            ))}
          </g>
        ))}
      </svg>
    </figure>
  );
}

export interface AttendancePoint {
  started_at: string;
  attended: boolean;
  eligible: boolean;
}

/** One square per owner session, oldest first: filled = attended, outlined = missed, faint =
 * before MHC first saw the person. */
export function AttendanceStrip({ title, points }: { title: string; points: AttendancePoint[] }) {
  const size = 14;
  const gap = 3;
  const width = Math.max(size, points.length * (size + gap));
  const eligible = points.filter((p) => p.eligible);
  const attended = eligible.filter((p) => p.attended).length;
  const summary = `${title}: attended ${attended} of the ${eligible.length} sessions shown since first seen`;
  return (
    <figure className="card chart-card">
      <figcaption>
        <strong>{title}</strong>{" "}
        <span className="muted small">
          ■ attended · □ missed · faint: before first seen
        </span>
      </figcaption>
      <svg className="chart strip" viewBox={`0 0 ${width} ${size + 2}`} role="img" aria-label={summary}>
        {points.map((p, i) => (
          <rect
            key={`${p.started_at}-${i}`}
            className={p.attended ? "att att-yes" : p.eligible ? "att att-no" : "att att-before"}
            x={i * (size + gap) + 1}
            y={1}
            width={size}
            height={size}
          >
            <title>{`${p.started_at.slice(0, 16).replace("T", " ")}: ${p.attended ? "attended" : p.eligible ? "missed" : "before first seen"}`}</title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}
