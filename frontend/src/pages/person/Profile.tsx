import type { PersonDetail } from "../../api/types";
import { ProviderBadge, Time } from "../../components/bits";
import { formatNumber, metricLabel } from "../../format";

/** The latest collected profile (a `cb_profile` snapshot), every field shown as collected. */
export function ProfileTab({ detail }: { detail: PersonDetail }) {
  const entry = detail.latest_snapshots.cb_profile;
  if (!entry) {
    return <p className="muted">No profile collected yet (profiles are collected for broadcasters by the profile job).</p>;
  }
  const fields = Object.entries(entry.snapshot.normalized_metrics).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="card" aria-labelledby="profile-title">
      <header className="card-header">
        <h2 id="profile-title">Profile</h2>
        <ProviderBadge provider="chaturbate" detail="profile" />
      </header>
      <p className="muted small">
        collected <Time iso={entry.snapshot.captured_at} />
      </p>
      <dl className="facts">
        {fields.map(([key, value]) => (
          <div key={key} className="fact-row">
            <dt>{metricLabel(key)}</dt>
            <dd>{Array.isArray(value) ? value.join(", ") : formatNumber(value)}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>Raw profile as collected</summary>
        <pre className="raw">{JSON.stringify(entry.snapshot.raw_payload, null, 2)}</pre>
      </details>
    </section>
  );
}
