import { formatNumber, formatTime } from "../format";

export interface Point {
  at: string;
  value: number;
}

const W = 560;
const H = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** One metric over time, as a hand-rolled SVG line (no chart library in the bundle). */
export function LineChart({ title, points }: { title: string; points: Point[] }) {
  const sorted = [...points].sort((a, b) => a.at.localeCompare(b.at));
  const times = sorted.map((p) => new Date(p.at).getTime());
  const values = sorted.map((p) => p.value);
  const tMin = Math.min(...times);
  const tMax = Math.max(...times);
  let vMin = Math.min(...values);
  let vMax = Math.max(...values);
  if (vMin === vMax) {
    vMin -= 1;
    vMax += 1;
  }
  const x = (t: number) =>
    tMax === tMin ? PAD.left + (W - PAD.left - PAD.right) / 2 : PAD.left + ((t - tMin) / (tMax - tMin)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - vMin) / (vMax - vMin)) * (H - PAD.top - PAD.bottom);
  const path = sorted.map((p, i) => `${i === 0 ? "M" : "L"}${x(times[i] as number).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const summary = first && last
    ? `${title}: ${sorted.length} points from ${formatNumber(first.value)} (${formatTime(first.at)}) to ${formatNumber(last.value)} (${formatTime(last.at)})`
    : `${title}: no data`;
  return (
    <figure className="card chart-card">
      <figcaption>
        <strong>{title}</strong> <span className="muted small">latest {last ? formatNumber(last.value) : "—"}</span>
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line className="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">{formatNumber(vMax)}</text>
        <text x={PAD.left - 6} y={H - PAD.bottom} textAnchor="end">{formatNumber(vMin)}</text>
        {first ? <text x={PAD.left} y={H - 8}>{formatTime(first.at)}</text> : null}
        {last && sorted.length > 1 ? <text x={W - PAD.right} y={H - 8} textAnchor="end">{formatTime(last.at)}</text> : null}
        {sorted.length > 1 ? <path className="line" d={path} /> : null}
        {sorted.map((p, i) => (
          <circle key={`${p.at}-${i}`} className="dot" cx={x(times[i] as number)} cy={y(p.value)} r={sorted.length > 60 ? 1.5 : 3}>
            <title>{`${formatTime(p.at)}: ${formatNumber(p.value)}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
