import { useId, useState } from "react";
import { api } from "../api/client";
import type { StreamSession } from "../api/types";
import { DataTable, ProviderBadge, Time } from "../components/bits";
import { BarChart } from "../components/charts";
import { InteractionTable } from "../components/InteractionTable";
import { RecapPanel } from "../components/Recap";
import { Pager, useCursorStack } from "../components/Pager";
import { SessionStatsGrid } from "../components/SessionStatsGrid";
import { Async, ErrorMessage } from "../components/status";
import { formatDuration, formatNumber } from "../format";
import { Link, navigate, useLocation } from "../router";
import { useApi } from "../useApi";

function durationOf(started: string, ended: string | null): number {
  const end = ended ? new Date(ended).getTime() : Date.now();
  return (end - new Date(started).getTime()) / 1000;
}

export function SessionsPage() {
  // Sessions page by start time: `before` = the start of the last session shown.
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const before = stack[stack.length - 1] ?? null;
  const state = useApi((signal) => api.sessions(before, signal), [before]);
  const deleted = useLocation().search.get("deleted");
  return (
    <>
      <h1>Sessions</h1>
      {deleted ? (
        <p className="notice" role="status">
          Session #{deleted} was deleted. The deletion is recorded; the interactions stay in each person's history.
        </p>
      ) : null}
      <p className="muted">
        Your broadcasts, newest first. Figures <ProviderBadge provider="mhc" detail="from room events" />
      </p>
      <SessionsChart />
      <Async state={state} label="Loading sessions…">
        {(sessions) => (
          <>
            {sessions.length === 0 ? (
              <p className="muted">No sessions.</p>
            ) : (
              <DataTable caption="Sessions" columns={["Session", "Started", "Ended", "Duration", "Recorded by"]}>
                {sessions.map((session) => (
                  <tr key={session.id}>
                    <td>
                      <Link to={`/sessions/${session.id}`}>Session #{session.id}</Link>
                    </td>
                    <td>
                      <Time iso={session.started_at} />
                    </td>
                    <td>{session.ended_at ? <Time iso={session.ended_at} /> : <strong>live</strong>}</td>
                    <td>{formatDuration(durationOf(session.started_at, session.ended_at))}</td>
                    <td>{session.source === "manual" ? "you (by hand)" : "broadcast events"}</td>
                  </tr>
                ))}
              </DataTable>
            )}
            <Pager
              page={stack.length}
              nextCursor={sessions.length === 20 ? sessions[sessions.length - 1]?.started_at : null}
              onOlder={(next) => setStack((s) => [...s, next])}
              onNewer={() => setStack((s) => s.slice(0, -1))}
              loading={state.loading}
            />
          </>
        )}
      </Async>
    </>
  );
}

/** Delete a session started by hand (a stray Start/End click), after a confirmation. Sessions
 * made from broadcast events are what the feed says: the API refuses them, so no button. */
function DeleteSession({ session, durationSeconds }: { session: StreamSession; durationSeconds: number }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const titleId = useId();
  if (session.source !== "manual") return null;

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.deleteSession(session.id);
      navigate(`/sessions?deleted=${session.id}`);
    } catch (exc) {
      setError(exc instanceof Error ? exc : new Error(String(exc)));
      setBusy(false);
    }
  };

  if (!asking) {
    return (
      <button type="button" className="danger small" onClick={() => setAsking(true)}>
        Delete session
      </button>
    );
  }
  return (
    <div className="card confirm" role="alertdialog" aria-labelledby={titleId}>
      <h2 id={titleId}>Delete session #{session.id}?</h2>
      <p>
        It was started by hand and lasted {formatDuration(durationSeconds)}. It leaves
        the sessions list and the totals; the interactions stay in each person's history. The deletion cannot be undone
        and is recorded.
      </p>
      {error ? <ErrorMessage error={error} /> : null}
      <div className="row">
        <button type="button" className="danger" onClick={() => void confirm()} disabled={busy}>
          Delete session #{session.id}
        </button>
        <button type="button" className="ghost" onClick={() => setAsking(false)} disabled={busy} autoFocus>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Tokens and visitors per session over the last 90 days (the audience's series). */
export function SessionsChart() {
  const state = useApi((signal) => api.audience({}, signal), []);
  const sessions = state.data?.sessions ?? [];
  if (sessions.length === 0) return null;
  return (
    <div className="grid-2">
      <BarChart
        title="Tokens per session (last 90 days)"
        bars={sessions.map((s) => ({
          label: s.started_at.slice(5, 10),
          value: s.tokens,
          detail: `${s.started_at.slice(0, 16).replace("T", " ")}: ${formatNumber(s.tokens)} tokens`,
        }))}
        unit=" tokens"
      />
      <BarChart
        title="Visitors per session (last 90 days)"
        bars={sessions.map((s) => ({ label: s.started_at.slice(5, 10), value: s.visitors }))}
        unit=" visitors"
      />
    </div>
  );
}

export function SessionDetailPage({ id }: { id: number }) {
  const paging = useCursorStack();
  const state = useApi((signal) => api.session(id, paging.cursor, signal), [id, paging.cursor]);
  return (
    <Async state={state} label="Loading session…">
      {(detail) => (
        <>
          <p>
            <Link to="/sessions">← All sessions</Link>
          </p>
          <h1>
            Session #{detail.session.id}{" "}
            <span className="muted small">
              <Time iso={detail.session.started_at} /> – {detail.session.ended_at ? <Time iso={detail.session.ended_at} /> : "live"}
            </span>
          </h1>
          <DeleteSession session={detail.session} durationSeconds={detail.stats.duration_seconds} />
          <section className="card" aria-labelledby="session-stats-title">
            <header className="card-header">
              <h2 id="session-stats-title">Statistics</h2>
              <ProviderBadge provider="mhc" detail="from room events" />
            </header>
            <SessionStatsGrid stats={detail.stats} />
          </section>
          <RecapPanel sessionId={detail.session.id} />
          <h2>Interactions in your room during the session</h2>
          <InteractionTable items={detail.interactions.items} showPerson caption="Session interactions" />
          <Pager
            page={paging.page}
            nextCursor={detail.interactions.next_cursor}
            onOlder={paging.older}
            onNewer={paging.newer}
            loading={state.loading}
          />
        </>
      )}
    </Async>
  );
}
