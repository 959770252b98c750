import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import type { ChatImportStatus, ImportTarget, PlusSessionStatus, UnreadResponse } from "../api/types";
import { DataTable, ProviderBadge, Time } from "../components/bits";
import { Async, ErrorMessage } from "../components/status";
import { formatNumber } from "../format";
import { Link } from "../router";
import { useAction, useApi } from "../useApi";

const POLL_MS = 30_000;

const STATE_TEXT: Record<PlusSessionStatus["state"], string> = {
  ok: "working",
  expired: "expired",
  not_configured: "not set",
  failing: "failing",
  unknown: "not tried yet",
};

const STATE_CLASS: Record<PlusSessionStatus["state"], string> = {
  ok: "status-succeeded",
  expired: "status-failed",
  not_configured: "status-not_configured",
  failing: "status-failed",
  unknown: "status-skipped",
};

/** Text with `commands` in backticks, shown as code. */
function WithCode({ text }: { text: string }) {
  return (
    <>
      {text.split("`").map((part, index) => (index % 2 === 1 ? <code key={index}>{part}</code> : part))}
    </>
  );
}

function SessionCard({ session }: { session: PlusSessionStatus }) {
  return (
    <section className={`card${session.state === "expired" ? " card-failed" : ""}`} aria-labelledby="plus-session-title">
      <header className="card-header">
        <h2 id="plus-session-title">
          Statbate Plus session <ProviderBadge provider="statbate" detail="Plus" />
        </h2>
        <span className={`status ${STATE_CLASS[session.state]}`}>{STATE_TEXT[session.state]}</span>
      </header>
      {session.checked_at ? (
        <p className="muted small">
          Last import run: <Time iso={session.checked_at} /> (<Time iso={session.checked_at} relative />)
        </p>
      ) : null}
      {session.state === "expired" || session.state === "failing" ? (
        <div className="error" role="alert">
          {session.message ? <p>{session.message}</p> : null}
          {session.action ? (
            <p>
              <strong>What to do:</strong> <WithCode text={session.action} />.
            </p>
          ) : null}
        </div>
      ) : session.action ? (
        <p className="notice">
          <WithCode text={session.action} />.
        </p>
      ) : null}
      <SessionForm />
    </section>
  );
}

/** Write-only: what is typed here is sent once, kept by the server, and never shown again. */
function SessionForm() {
  const sessionId = useId();
  const xsrfId = useId();
  const helpId = useId();
  const [session, setSession] = useState("");
  const [xsrf, setXsrf] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction(async () => {
    const result = await api.savePlusSession(session, xsrf);
    setSession("");
    setXsrf("");
    setSaved(result.import_started ? "Saved. An import was asked for, to try it." : "Saved.");
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    void action.run();
  };
  return (
    <form onSubmit={submit} aria-describedby={helpId} autoComplete="off">
      <p id={helpId} className="muted small">
        Sign in to Statbate Plus in your browser, open DevTools → Application → Cookies, and paste the
        values of <code>statbate_plus_session</code> and <code>XSRF-TOKEN</code>. They are stored where
        the import reads them and are never shown here again. (Or run <code>mhc chat-import login</code>.)
      </p>
      <div className="row">
        <div className="field">
          <label htmlFor={sessionId}>statbate_plus_session</label>
          <input
            id={sessionId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={session}
            onChange={(e) => setSession(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={xsrfId}>XSRF-TOKEN</label>
          <input
            id={xsrfId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={xsrf}
            onChange={(e) => setXsrf(e.target.value)}
          />
        </div>
        <button type="submit" disabled={action.running || !session || !xsrf}>
          Save session
        </button>
      </div>
      {saved ? (
        <p className="notice" role="status">
          {saved}
        </p>
      ) : null}
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </form>
  );
}

function where(target: ImportTarget): string {
  if (target.checkpoint) {
    const page = new URL(target.checkpoint, "http://x").searchParams.get("page");
    return `resumes at page ${page ?? "?"} (${target.walk === "catch_up" ? "catching up" : "full walk"})`;
  }
  return target.completed_at ? "up to date" : "not walked to the end yet";
}

function Targets({ targets }: { targets: ImportTarget[] }) {
  if (targets.length === 0) return <p className="muted">No chat walked from Plus yet (imported files count in the totals below).</p>;
  return (
    <DataTable caption="Chats imported" columns={["Chat", "Last run", "Status", "Where", "Last counts", "Asked"]}>
      {targets.map((target) => (
        <tr key={target.id} className={target.last_status === "failed" || target.last_status === "auth_expired" ? "row-failed" : undefined}>
          <td>
            {target.kind} <strong>{target.name}</strong>
          </td>
          <td className="nowrap">
            <Time iso={target.last_run_at} />
          </td>
          <td>
            <span className={`status status-${target.last_status ?? "skipped"}`}>{target.last_status?.replace("_", " ") ?? "never run"}</span>
            {target.last_error ? <div className="small content">{target.last_error}</div> : null}
          </td>
          <td>{where(target)}</td>
          <td className="small">
            {["new", "already_stored", "unmapped", "twins"]
              .filter((key) => target.last_counts[key] !== undefined)
              .map((key) => `${key.replace("_", " ")} ${formatNumber(target.last_counts[key])}`)
              .join(", ") || "—"}
          </td>
          <td className="nowrap">{target.requested_at ? <Time iso={target.requested_at} /> : "—"}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function Unread({ items }: { items: UnreadResponse[] }) {
  if (items.length === 0) return <p className="muted">Every stored response was read by the field map.</p>;
  return (
    <>
      <p className="muted small">
        These responses are stored whole; their items were not guessed. Map them with{" "}
        <code>MHC_STATBATE_PLUS_FIELD_MAP</code> and import again (<code>mhc chat-import file</code> or the next run).
      </p>
      {items.map((item) => (
        <details key={item.id} className="card">
          <summary>
            <Time iso={item.fetched_at} /> · {item.origin === "plus" ? "fetched" : "from a file"} ·{" "}
            {formatNumber(item.unmapped)} not read, {formatNumber(item.messages)} read
            {item.url ? <span className="muted small"> · {item.url}</span> : null}
          </summary>
          <p className="small">
            {Object.entries(item.problems)
              .map(([reason, count]) => `${reason}: ${formatNumber(count)}`)
              .join("; ")}
          </p>
          {item.example ? <pre className="raw">{item.example}</pre> : null}
        </details>
      ))}
    </>
  );
}

function Overview({ status, onChange }: { status: ChatImportStatus; onChange: () => void }) {
  const [queued, setQueued] = useState(false);
  const importNow = useAction(async () => {
    await api.importOwnerChat();
    setQueued(true);
    onChange();
  });
  return (
    <>
      <SessionCard session={status.session} />
      <section aria-labelledby="targets-title">
        <div className="row-between">
          <h2 id="targets-title">Chats</h2>
          <button type="button" disabled={importNow.running} onClick={() => void importNow.run()}>
            Import my room now
          </button>
        </div>
        {queued ? (
          <p className="notice" role="status">
            Queued: the import has started. New lines appear in timelines as imported chat.
          </p>
        ) : null}
        {importNow.error ? <ErrorMessage error={importNow.error} /> : null}
        <Targets targets={status.targets} />
        <p className="muted small">
          All time: {formatNumber(status.totals.responses ?? 0)} responses stored,{" "}
          {formatNumber(status.totals.messages ?? 0)} messages read, {formatNumber(status.totals.unmapped ?? 0)} items
          not read. The job runs hourly (see <Link to="/health">Jobs &amp; health</Link>).
        </p>
      </section>
      <section aria-labelledby="unread-title">
        <h2 id="unread-title">What the field map could not read</h2>
        <Unread items={status.unread} />
      </section>
      <details>
        <summary>Field map in force</summary>
        <pre className="raw">{JSON.stringify(status.field_map, null, 2)}</pre>
      </details>
    </>
  );
}

export function ChatImportPage() {
  const status = useApi((signal) => api.chatImport(signal), [], { pollMs: POLL_MS });
  return (
    <>
      <h1>Chat import</h1>
      <p className="muted">
        Chat history from Statbate Plus: what was said before live capture began, while it was down, and in other
        rooms. Lines also captured live are shown once.
      </p>
      <Async state={status} label="Loading the chat import…">
        {(data) => <Overview status={data} onChange={status.reload} />}
      </Async>
    </>
  );
}
