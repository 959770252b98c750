import { useId, useState } from "react";
import { api } from "../../api/client";
import type { PersonDetail, SnapshotSource } from "../../api/types";
import { ProviderBadge } from "../../components/bits";
import { LineChart, type Point } from "../../components/LineChart";
import { Async } from "../../components/status";
import { metricLabel, snapshotLabel, snapshotProvider } from "../../format";
import { useApi } from "../../useApi";

/** metric name → points, for every metric that is numeric in at least one snapshot. */
export function seriesOf(entries: { snapshot: { captured_at: string; normalized_metrics: Record<string, unknown> } }[]): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  for (const { snapshot } of entries) {
    for (const [key, value] of Object.entries(snapshot.normalized_metrics)) {
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const points = series.get(key) ?? [];
      points.push({ at: snapshot.captured_at, value });
      series.set(key, points);
    }
  }
  return new Map([...series.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function TimelineTab({ detail }: { detail: PersonDetail }) {
  const sources = Object.keys(detail.latest_snapshots).sort() as SnapshotSource[];
  const [source, setSource] = useState<SnapshotSource | undefined>(sources[0]);
  const selectId = useId();
  const state = useApi((signal) => api.snapshots(detail.person.id, source as SnapshotSource, signal), [detail.person.id, source], {
    enabled: source !== undefined,
  });
  if (!source) return <p className="muted">No snapshots yet: nothing to chart.</p>;
  return (
    <>
      <div className="row">
        <div className="field">
          <label htmlFor={selectId}>Source</label>
          <select id={selectId} value={source} onChange={(e) => setSource(e.target.value as SnapshotSource)}>
            {sources.map((s) => (
              <option key={s} value={s}>
                {snapshotLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <p>
          Figures from <ProviderBadge provider={snapshotProvider(source)} detail={snapshotLabel(source)} />
        </p>
      </div>
      <Async state={state} label="Loading snapshots…">
        {(entries) => {
          const series = seriesOf(entries);
          if (series.size === 0) return <p className="muted">No numeric metrics in these snapshots.</p>;
          return (
            <div className="cards charts">
              {[...series.entries()].map(([key, points]) => (
                <LineChart key={key} title={metricLabel(key)} points={points} />
              ))}
            </div>
          );
        }}
      </Async>
    </>
  );
}
