import type { SnapshotWithDelta } from "../api/types";
import {
  deltaClass,
  formatDelta,
  formatNumber,
  metricLabel,
  numericMetrics,
  snapshotLabel,
  snapshotProvider,
} from "../format";
import { ProviderBadge, Time } from "./bits";

/** Latest numeric metrics of one snapshot with their delta to the previous snapshot. */
export function SnapshotCard({ entry }: { entry: SnapshotWithDelta }) {
  const { snapshot, delta } = entry;
  const metrics = numericMetrics(snapshot.normalized_metrics);
  const provider = snapshotProvider(snapshot.source);
  return (
    <section className="card" aria-label={snapshotLabel(snapshot.source)}>
      <header className="card-header">
        <h3>{snapshotLabel(snapshot.source)}</h3>
        <ProviderBadge provider={provider} />
      </header>
      <p className="muted small">
        captured <Time iso={snapshot.captured_at} />
      </p>
      {metrics.length === 0 ? (
        <p className="muted">No numeric figures in this snapshot.</p>
      ) : (
        <table className="metrics">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Value</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {metrics.map(([key, value]) => (
              <tr key={key}>
                <th scope="row">{metricLabel(key)}</th>
                <td className="num">{formatNumber(value)}</td>
                <td className={`num ${deltaClass(delta?.[key])}`}>{formatDelta(delta?.[key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function StatsPanel({ snapshots }: { snapshots: Record<string, SnapshotWithDelta> }) {
  const entries = Object.values(snapshots).sort((a, b) =>
    a.snapshot.source.localeCompare(b.snapshot.source),
  );
  if (entries.length === 0) return <p className="muted">No snapshots yet.</p>;
  return (
    <div className="cards">
      {entries.map((entry) => (
        <SnapshotCard key={entry.snapshot.source} entry={entry} />
      ))}
    </div>
  );
}
