import { api, ApiError } from "../api/client";
import type { CollectorStatus, EventGap, IngestHealth, JobHealth, JobRun, JobState, JobView, PollerState } from "../api/types";
import { DataTable, Time } from "../components/bits";
import { CaptureAuditCard } from "../components/CaptureAudit";
import { Async, ErrorMessage } from "../components/status";
import { formatDuration, formatNumber } from "../format";
import { latestRunPerJob, reasonTexts, stateLabel, stateTone, VERDICT_TITLE } from "../health";
import { useAction, useApi } from "../useApi";

const POLL_MS = 30_000;

function Status({ status }: { status: string | null }) {
  if (!status) return <span className="muted">never run</span>;
  return <span className={`status status-${status}`}>{status === "failed" ? "▲ FAILED" : status.replace("_", " ")}</span>;
}

/** A collector's state as the API judged it. */
function State({ state, running = false }: { state: PollerState | JobState; running?: boolean }) {
  return (
    <span className={`state tone-${stateTone(state)}`}>
      {stateLabel(state)}
      {running ? <span className="muted small"> (running now)</span> : null}
    </span>
  );
}

/** What is wrong now: the settings a collector waits for, or its last error. */
function Problem({ missing, error }: { missing: string[]; error: string | null }) {
  if (missing.length === 0 && !error) return null;
  return (
    <div className={missing.length > 0 ? "notice-warn" : "error"}>
      {missing.length > 0 ? (
        <p>
          <strong>Missing setting{missing.length > 1 ? "s" : ""}:</strong>{" "}
          {missing.map((name, index) => (
            <span key={name}>
              {index > 0 ? ", " : null}
              <code>{name}</code>
            </span>
          ))}
        </p>
      ) : null}
      {error ? (
        <p>
          <strong>{missing.length > 0 ? "Details:" : "Last error:"}</strong> {error}
        </p>
      ) : null}
    </div>
  );
}

function Verdict({ status }: { status: CollectorStatus }) {
  if (status.verdict === "ok") return <p className="tone-ok">● {VERDICT_TITLE.ok}</p>;
  const failures = reasonTexts(status.reasons, "failing");
  const others = reasonTexts(status.reasons, "attention");
  return (
    <>
      {failures.length > 0 ? (
        <div className="error" role="alert">
          <strong>{VERDICT_TITLE.failing}:</strong> {failures.join(", ")}
        </div>
      ) : null}
      {others.length > 0 ? (
        <div className="notice-warn" role="status">
          <strong>{VERDICT_TITLE.attention}:</strong> {others.join(", ")}
        </div>
      ) : null}
    </>
  );
}

function Counts({ counts }: { counts: Record<string, unknown> }) {
  const entries = Object.entries(counts);
  if (entries.length === 0) return <span className="muted">—</span>;
  return <span className="small">{entries.map(([k, v]) => `${k}=${formatNumber(v)}`).join(", ")}</span>;
}

function RunsTable({ runs, caption }: { runs: JobRun[]; caption: string }) {
  if (runs.length === 0) return <p className="muted">No runs recorded.</p>;
  return (
    <DataTable caption={caption} columns={["Job", "Started", "Took", "Status", "Counts", "Error"]}>
      {runs.map((run) => (
        <tr key={run.id} className={run.status === "failed" ? "row-failed" : undefined}>
          <td>{run.job}</td>
          <td className="nowrap">
            <Time iso={run.started_at} />
          </td>
          <td>
            {run.finished_at
              ? formatDuration((new Date(run.finished_at).getTime() - new Date(run.started_at).getTime()) / 1000)
              : "running"}
          </td>
          <td>
            <Status status={run.status} />
          </td>
          <td>
            <Counts counts={run.counts} />
          </td>
          <td className="content">{run.error ?? ""}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function LiveCapture({ status, health }: { status: CollectorStatus; health: IngestHealth | undefined }) {
  const poller = status.events_poller;
  return (
    <>
      <section className="card" aria-labelledby="ingest-title">
        <h2 id="ingest-title">Live capture (Events API)</h2>
        <dl className="stat-grid">
          <div className="stat">
            <dt className="label">Poller</dt>
            <dd className="stat-state">
              <State state={poller.state} />
            </dd>
          </div>
          <LagStat label="Last poll" iso={poller.last_successful_poll_at} lagSeconds={poller.poll_lag_seconds} />
          <LagStat label="Last event" iso={poller.last_event_at} lagSeconds={poller.event_lag_seconds} />
          <div className="stat">
            <dt className="label">Checked</dt>
            <dd>
              <Time iso={status.checked_at} />
            </dd>
          </div>
        </dl>
        <Problem missing={poller.missing} error={poller.error} />
      </section>
      <section aria-labelledby="gaps-title">
        <h2 id="gaps-title">Event gaps</h2>
        {health ? <Gaps gaps={health.recent_event_gaps} /> : null}
      </section>
    </>
  );
}

function Gaps({ gaps }: { gaps: EventGap[] }) {
  if (gaps.length === 0) return <p className="muted">No gaps detected.</p>;
  return (
    <DataTable caption="Event gaps" columns={["Detected", "Reason", "Last event before the gap"]}>
      {gaps.map((gap) => (
        <tr key={gap.id}>
          <td className="nowrap">
            <Time iso={gap.detected_at} />
          </td>
          <td>{gap.reason}</td>
          <td>
            {gap.last_event_id ?? "—"} <Time iso={gap.last_event_at} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** When something last happened, and how long ago that is. */
function LagStat({ label, iso, lagSeconds }: { label: string; iso: string | null; lagSeconds: number | null }) {
  return (
    <div className="stat">
      <dt className="label">{label}</dt>
      <dd>
        <Time iso={iso} relative />
        <div className="muted small">lag {formatDuration(lagSeconds)}</div>
      </dd>
    </div>
  );
}

function JobCard({ view, health, onChange }: { view: JobView; health: JobHealth | undefined; onChange: () => void }) {
  const { job } = view;
  const action = useAction(async (what: "toggle" | "run") => {
    if (what === "run") await api.runJob(job.name);
    else await api.updateJob(job.name, { enabled: !job.enabled });
    onChange();
  });
  const failed = health ? health.state === "failing" : view.last_run?.status === "failed";
  const lastRunAt = view.last_run?.started_at ?? job.last_run_at;
  return (
    <section className={`card${failed ? " card-failed" : ""}`} aria-labelledby={`job-${job.name}`}>
      <header className="card-header">
        <h3 id={`job-${job.name}`}>{job.name}</h3>
        {health ? <State state={health.state} running={health.running} /> : <Status status={view.last_run?.status ?? job.last_status} />}
      </header>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{job.kind}</dd>
        <dt>Schedule</dt>
        <dd>
          every {formatDuration(job.interval_seconds)} · {job.enabled ? "enabled" : <strong>disabled</strong>}
        </dd>
        <dt>Last run</dt>
        <dd>
          <Time iso={lastRunAt} /> <span className="muted small">(<Time iso={lastRunAt} relative />)</span>
        </dd>
        <dt>Next run</dt>
        <dd>
          <Time iso={job.next_run_at} />
        </dd>
        {view.cool_down_until ? (
          <>
            <dt>Cooling down until</dt>
            <dd className="status-not_configured">
              <Time iso={view.cool_down_until} />
            </dd>
          </>
        ) : null}
      </dl>
      {health ? (
        <Problem missing={health.missing} error={health.error} />
      ) : view.last_run?.error ? (
        <p className="error">
          <strong>Last error:</strong> {view.last_run.error}
        </p>
      ) : null}
      <div className="row">
        <button type="button" className="small" disabled={action.running} onClick={() => void action.run("run")}>
          Run now
        </button>
        <button type="button" className="small" disabled={action.running} onClick={() => void action.run("toggle")}>
          {job.enabled ? "Disable" : "Enable"}
        </button>
      </div>
      {action.error ? <ErrorMessage error={action.error} /> : null}
      <details>
        <summary>Recent runs and configuration</summary>
        <RunsTable runs={view.recent_runs} caption={`Recent runs of ${job.name}`} />
        <pre className="raw">{JSON.stringify(view.effective_config, null, 2)}</pre>
      </details>
    </section>
  );
}

function Jobs({
  health,
  status,
  onChange,
}: {
  health: IngestHealth | undefined;
  status: CollectorStatus | undefined;
  onChange: () => void;
}) {
  const jobs = useApi((signal) => api.jobs(signal), [], { pollMs: POLL_MS });
  // Without the jobs API (an older server), the runs in the ingest health still tell the story.
  if (jobs.error instanceof ApiError && jobs.error.status === 404) {
    return (
      <>
        <p className="muted">This server has no jobs API; showing the last recorded runs.</p>
        <h3>Last run of each job</h3>
        <RunsTable runs={latestRunPerJob(health?.recent_job_runs ?? [])} caption="Last run of each job" />
      </>
    );
  }
  const byName = new Map((status?.jobs ?? []).map((job) => [job.name, job]));
  return (
    <Async state={jobs} label="Loading jobs…">
      {(views) =>
        views.length === 0 ? (
          <p className="muted">No jobs configured.</p>
        ) : (
          <div className="cards">
            {views.map((view) => (
              <JobCard key={view.job.name} view={view} health={byName.get(view.job.name)} onChange={() => {
                  jobs.reload();
                  onChange();
                }}
              />
            ))}
          </div>
        )
      }
    </Async>
  );
}

export function HealthPage() {
  const status = useApi((signal) => api.collectorStatus(signal), [], { pollMs: POLL_MS });
  const health = useApi((signal) => api.ingestHealth(signal), [], { pollMs: POLL_MS });
  return (
    <>
      <h1>Jobs &amp; health</h1>
      <Async state={status} label="Loading collector status…">
        {(data) => (
          <>
            <Verdict status={data} />
            <LiveCapture status={data} health={health.data} />
          </>
        )}
      </Async>
      {/* Issue 18: the export-based capture audit, a card of its own. */}
      <CaptureAuditCard />
      <section aria-labelledby="jobs-title">
        <h2 id="jobs-title">Scheduled jobs</h2>
        <Jobs health={health.data} status={status.data} onChange={status.reload} />
      </section>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Recent job runs</h2>
        {health.error ? <ErrorMessage error={health.error} onRetry={health.reload} /> : null}
        {health.data ? <RunsTable runs={health.data.recent_job_runs} caption="Recent job runs" /> : null}
      </section>
    </>
  );
}
