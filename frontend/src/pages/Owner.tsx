import { daysBefore } from "../analysis";
import { api } from "../api/client";
import type { LiveSignal, LiveStatus, OwnerDashboard, SessionWithStats, SourcedSnapshot } from "../api/types";
import { DataTable, PersonLink, ProviderBadge, Time } from "../components/bits";
import { BarChart, RankBars } from "../components/charts";
import { LineChart } from "../components/LineChart";
import { SessionStatsGrid } from "../components/SessionStatsGrid";
import { SnapshotCard } from "../components/StatsPanel";
import { Async, ErrorMessage } from "../components/status";
import { deltaClass, formatAgo, formatDelta, formatDuration, formatNumber, snapshotLabel } from "../format";
import { Link } from "../router";
import { useAction, useApi } from "../useApi";

const POLL_MS = 30_000;

const SIGNAL_SOURCE: Record<LiveSignal["source"], string> = {
  stream_sessions: "sessions",
  cb_stats: "Stats API",
  affiliate: "affiliate feed",
};
const SIGNAL_BY: Record<LiveSignal["source"], string> = {
  stream_sessions: "your sessions",
  cb_stats: "the Stats API",
  affiliate: "the affiliate feed",
};

function LiveHeading({ live }: { live: LiveStatus }) {
  if (live.is_live === true) {
    return (
      <>
        <span className="live-dot" aria-hidden="true" />
        Live{live.since ? (
          <>
            {" "}since <Time iso={live.since} />
          </>
        ) : null}
      </>
    );
  }
  return <>{live.is_live === false ? "Offline" : "Live status unknown"}</>;
}

/** Which signal decided, how old it is, and every signal considered. */
function LiveSignals({ live }: { live: LiveStatus }) {
  const decided = live.decided_by;
  return (
    <>
      <p className="small">
        {decided ? (
          <>
            Decided by {SIGNAL_BY[decided.source]} ({formatAgo(decided.observed_at)}): {decided.detail}.
          </>
        ) : (
          <span className="muted">
            No fresh live signal: no open session, no Stats API snapshot in the last 15 min, no sighting in the
            affiliate feed in the last 10 min.
          </span>
        )}
      </p>
      {live.signals.length > 0 ? (
        <details>
          <summary>Every live signal ({live.signals.length})</summary>
          <ul className="small">
            {live.signals.map((signal) => (
              <li key={signal.source}>
                <strong>{SIGNAL_SOURCE[signal.source]}</strong>: {signal.is_live ? "live" : "offline"}, {formatAgo(signal.observed_at)}
                {signal.fresh ? "" : " (too old to count)"} · {signal.detail}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

function SessionControls({ dashboard, onChange }: { dashboard: OwnerDashboard; onChange: () => void }) {
  const { live } = dashboard;
  const open = dashboard.current_session;
  const action = useAction(async (start: boolean) => {
    if (start) await api.startSession();
    else await api.endSession();
    onChange();
  });
  return (
    <section className="card" aria-labelledby="live-title">
      <header className="card-header">
        <h2 id="live-title">
          <LiveHeading live={live} />
        </h2>
        <ProviderBadge
          provider={live.provider ?? "mhc"}
          detail={live.decided_by ? SIGNAL_SOURCE[live.decided_by.source] : "sessions"}
        />
      </header>
      <LiveSignals live={live} />
      <p className="muted small">
        {open ? (
          <>
            Session open since <Time iso={open.session.started_at} />.{" "}
          </>
        ) : null}
        Sessions start and end with broadcast events; you can also start or end one by hand.
      </p>
      {open ? (
        <button type="button" className="danger" disabled={action.running} onClick={() => void action.run(false)}>
          {action.running ? "Ending…" : "End session"}
        </button>
      ) : (
        <button type="button" className="primary" disabled={action.running} onClick={() => void action.run(true)}>
          {action.running ? "Starting…" : "Start session"}
        </button>
      )}
      {action.error ? <ErrorMessage error={action.error} /> : null}
      {open ? (
        <>
          <h3>Current session</h3>
          <SessionStatsGrid stats={open.stats} />
        </>
      ) : null}
    </section>
  );
}

function Followers({ stats }: { stats: SourcedSnapshot }) {
  const followers = stats.snapshot?.snapshot.normalized_metrics.num_followers;
  return (
    <section className="card" aria-labelledby="followers-title">
      <header className="card-header">
        <h2 id="followers-title">Followers</h2>
        <ProviderBadge provider={stats.provider} detail={snapshotLabel(stats.source).split(" · ")[1]} />
      </header>
      {stats.snapshot ? (
        <>
          <p className="big">
            {formatNumber(followers)}{" "}
            <span className={deltaClass(stats.follower_delta)}>{formatDelta(stats.follower_delta)}</span>
          </p>
          <p className="muted small">
            as of <Time iso={stats.snapshot.snapshot.captured_at} /> (change since the snapshot before)
          </p>
        </>
      ) : (
        <p className="muted">No Stats API snapshot yet.</p>
      )}
    </section>
  );
}

function SessionRows({ sessions }: { sessions: SessionWithStats[] }) {
  if (sessions.length === 0) return <p className="muted">No sessions yet.</p>;
  return (
    <DataTable caption="Recent sessions" columns={["Started", "Duration", { label: "Tokens", numeric: true }, { label: "Tips", numeric: true }, { label: "Visitors", numeric: true }]}>
      {sessions.map(({ session, stats }) => (
        <tr key={session.id}>
          <td>
            <Link to={`/sessions/${session.id}`}>
              <Time iso={session.started_at} />
            </Link>
            {session.ended_at ? null : <span className="badge badge-chaturbate"> live</span>}
          </td>
          <td>{formatDuration(stats.duration_seconds)}</td>
          <td className="num">{formatNumber(stats.tokens)}</td>
          <td className="num">{formatNumber(stats.tips)}</td>
          <td className="num">{formatNumber(stats.distinct_visitors)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The pictures an owner would rather look at: tokens per session, followers over time, the
 * period's top tippers. */
function Pictures({ ownerId }: { ownerId: number | null }) {
  const audience = useApi((signal) => api.audience({ since: daysBefore(new Date(), 30) }, signal), []);
  const followers = useApi(
    (signal) => (ownerId === null ? Promise.resolve([]) : api.snapshots(ownerId, "cb_stats", signal)),
    [ownerId],
  );
  const points = (followers.data ?? [])
    .map((s) => ({ at: s.snapshot.captured_at, value: s.snapshot.normalized_metrics.num_followers }))
    .filter((p): p is { at: string; value: number } => typeof p.value === "number");
  const view = audience.data;
  return (
    <section aria-labelledby="pictures-title">
      <h2 id="pictures-title">
        The last 30 days <Link to="/audience">open the audience</Link>
      </h2>
      <div className="charts grid-2">
        {view ? (
          <BarChart
            title="Tokens per session"
            bars={view.sessions.map((s) => ({
              label: s.started_at.slice(5, 10),
              value: s.tokens,
              detail: `${s.started_at.slice(0, 16).replace("T", " ")}: ${formatNumber(s.tokens)} tokens, ${formatNumber(s.visitors)} visitors`,
            }))}
            unit=" tokens"
          />
        ) : null}
        {points.length > 0 ? <LineChart title="Followers over time" points={points} /> : null}
        {view ? (
          <RankBars
            title="Top tippers of the period"
            rows={view.audience.top_spenders.slice(0, 10).map((e) => ({
              label: view.names[String(e.person_id)] ?? `#${e.person_id}`,
              value: e.value,
            }))}
            unit=" tokens"
          />
        ) : null}
      </div>
      {audience.error ? <ErrorMessage error={audience.error} onRetry={audience.reload} /> : null}
    </section>
  );
}

export function OwnerPage() {
  const state = useApi((signal) => api.owner(signal), [], { pollMs: POLL_MS });
  return (
    <>
      <h1>Dashboard</h1>
      <Async state={state} label="Loading dashboard…">
        {(dashboard) => (
          <>
            <p className="muted">
              Broadcaster <strong>{dashboard.owner}</strong>
              {dashboard.person_id ? (
                <>
                  {" "}· <PersonLink id={dashboard.person_id} username="open as a person" />
                </>
              ) : null}
            </p>
            <div className="grid-2">
              <SessionControls dashboard={dashboard} onChange={state.reload} />
              <Followers stats={dashboard.stats} />
            </div>
            <div className="grid-2">
              {dashboard.stats.snapshot ? <SnapshotCard entry={dashboard.stats.snapshot} /> : null}
              {dashboard.statbate.snapshot ? (
                <SnapshotCard entry={dashboard.statbate.snapshot} />
              ) : (
                <section className="card" aria-label="Statbate">
                  <header className="card-header">
                    <h3>Statbate</h3>
                    <ProviderBadge provider="statbate" />
                  </header>
                  <p className="muted">No Statbate snapshot of your room yet.</p>
                </section>
              )}
            </div>
            <Pictures ownerId={dashboard.person_id} />
            <section aria-labelledby="tips-title">
              <h2 id="tips-title">
                Recent tips <ProviderBadge provider={dashboard.recent_tips.provider ?? "chaturbate"} detail="Events API" />
              </h2>
              {dashboard.recent_tips.items.length === 0 ? (
                <p className="muted">No tips yet.</p>
              ) : (
                <DataTable caption="Recent tips" columns={["When", "From", { label: "Tokens", numeric: true }, "Message"]}>
                  {dashboard.recent_tips.items.map((tip) => (
                    <tr key={tip.interaction_id}>
                      <td className="nowrap">
                        <Time iso={tip.occurred_at} />
                      </td>
                      <td>
                        {tip.is_anonymous || tip.person_id === null ? (
                          <span className="muted">anonymous</span>
                        ) : (
                          <PersonLink id={tip.person_id} username={tip.username ?? `#${tip.person_id}`} />
                        )}
                      </td>
                      <td className="num tokens">{formatNumber(tip.tokens)}</td>
                      <td className="content">{tip.message ?? ""}</td>
                    </tr>
                  ))}
                </DataTable>
              )}
            </section>
            <section aria-labelledby="recent-sessions-title">
              <h2 id="recent-sessions-title">
                Recent sessions <ProviderBadge provider="mhc" detail="from room events" />
              </h2>
              <SessionRows sessions={dashboard.recent_sessions} />
            </section>
          </>
        )}
      </Async>
    </>
  );
}
