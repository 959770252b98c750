import type { SessionStats } from "../api/types";
import { formatDuration, formatNumber } from "../format";

export function SessionStatsGrid({ stats }: { stats: SessionStats }) {
  const items: [string, string][] = [
    ["Duration", formatDuration(stats.duration_seconds)],
    ["Tokens", formatNumber(stats.tokens)],
    ["Tips", formatNumber(stats.tips)],
    ["Visitors", formatNumber(stats.distinct_visitors)],
    ["Interactions", formatNumber(stats.interactions)],
  ];
  return (
    <dl className="stat-grid">
      {items.map(([label, value]) => (
        <div key={label} className="stat">
          <dt className="label">{label}</dt>
          <dd className="big">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
