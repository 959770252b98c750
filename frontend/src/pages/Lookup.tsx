import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { api } from "../api/client";
import type { LookupRequest, LookupResult, PasteReading, Role } from "../api/types";
import { PersonLink, ProviderBadge, Time } from "../components/bits";
import { BehaviourSignals } from "../components/InsightCard";
import { InteractionTable } from "../components/InteractionTable";
import { ExcludedBanner, IdentityPanel, MemoryPanel } from "../components/PersonSummary";
import { StatsPanel } from "../components/StatsPanel";
import { ErrorMessage, Loading } from "../components/status";
import { formatNumber, snapshotLabel } from "../format";
import { Link, navigate, useLocation } from "../router";
import { useApi } from "../useApi";

const ROLES: Role[] = ["MODEL", "VIEWER", "BOTH", "UNKNOWN"];

// The last answer survives a visit to another page (the owner comes back to it often).
let lastFound: LookupResult | null = null;

function Signals({ personId }: { personId: number }) {
  const state = useApi((signal) => api.insights(personId, signal), [personId]);
  if (!state.data) return null;
  return <BehaviourSignals insights={state.data} />;
}

function Results({ result }: { result: LookupResult }) {
  const byName = new Map([result.person, ...result.also_found].map((p) => [p.username, p]));
  return (
    <div className="results" aria-live="polite">
      <ExcludedBanner person={result.person} />
      {result.notices.length > 0 ? (
        <ul className="notices" aria-label="Notices">
          {result.notices.map((notice) => (
            <li key={notice}>{notice}</li>
          ))}
        </ul>
      ) : null}
      <div className="grid-2">
        <div>
          <IdentityPanel person={result.person} aliases={result.aliases} link />
          <p className="muted small">
            Resolution: <strong>{result.resolution}</strong>
            {result.paste ? (result.paste_created ? " · paste stored" : " · same paste already stored") : ""}
          </p>
          {result.statbate.length > 0 ? (
            <ul className="outcomes" aria-label="Statbate requests">
              {result.statbate.map((outcome) => (
                <li key={outcome.source} className={`outcome outcome-${outcome.status}`}>
                  <ProviderBadge provider="statbate" /> {snapshotLabel(outcome.source).split(" · ")[1] ?? outcome.source}: <strong>{outcome.status.replace("_", " ")}</strong>
                  {outcome.error ? <span> — {outcome.error}</span> : null}
                </li>
              ))}
            </ul>
          ) : null}
          {result.extracted_usernames.length > 0 ? (
            <section aria-labelledby="extracted-title">
              <h3 id="extracted-title">Usernames in the paste</h3>
              <ul className="chips">
                {result.extracted_usernames.map((name) => {
                  const person = byName.get(name);
                  return (
                    <li key={name}>
                      {person ? (
                        <PersonLink id={person.id} username={name} />
                      ) : (
                        <Link to={`/?u=${encodeURIComponent(name)}`}>{name}</Link>
                      )}
                    </li>
                  );
                })}
              </ul>
            </section>
          ) : null}
        </div>
        <MemoryPanel notes={result.notes} attributes={result.attributes} />
      </div>
      <Signals personId={result.person.id} />
      <section aria-labelledby="stats-title">
        <h2 id="stats-title">Latest stats</h2>
        <StatsPanel snapshots={result.latest_snapshots} />
      </section>
      {result.my_room ? (
        <section aria-labelledby="room-title">
          <h2 id="room-title">
            In my room <ProviderBadge provider="chaturbate" detail="Events API" />
          </h2>
          <dl className="facts facts-inline">
            <dt>Visits</dt>
            <dd>{formatNumber(result.my_room.visits)}</dd>
            <dt>Chat lines</dt>
            <dd>{formatNumber(result.my_room.chat_messages)}</dd>
            <dt>Private messages</dt>
            <dd>{formatNumber(result.my_room.private_messages)}</dd>
            <dt>Tips</dt>
            <dd>
              {formatNumber(result.my_room.tips)} ({formatNumber(result.my_room.tokens)} tk)
            </dd>
            <dt>First / last seen</dt>
            <dd>
              <Time iso={result.my_room.first_seen_at} /> / <Time iso={result.my_room.last_seen_at} />
            </dd>
          </dl>
        </section>
      ) : null}
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent interactions</h2>
        <InteractionTable items={result.recent_interactions} caption="Recent interactions" />
      </section>
    </div>
  );
}

const FORMAT_LABELS: Record<string, string> = {
  chat: "chat line",
  tip: "tip",
  join: "joined",
  leave: "left",
  follow: "follow",
  list: "list",
  room_url: "room URL",
  mention: "@mention",
};

/** The names a paste holds, each with the line it came from: the owner picks who to look up. */
function PasteChoice({
  reading,
  chosen,
  onToggle,
}: {
  reading: PasteReading;
  chosen: Set<string>;
  onToggle: (name: string) => void;
}) {
  if (reading.names.length === 0) {
    return (
      <p className="muted" role="status">
        No username in the paste. MHC takes names only from chat lines (<code>name: message</code>), tips,
        joins, follows, lists of names, room URLs and @mentions, never from prose.
      </p>
    );
  }
  return (
    <fieldset className="card paste-choice">
      <legend>
        Names in the paste ({chosen.size} of {reading.names.length} chosen)
      </legend>
      <ul className="plain-list">
        {reading.names.map((name) => (
          <li key={name.username}>
            <label className="check">
              <input type="checkbox" checked={chosen.has(name.username)} onChange={() => onToggle(name.username)} />
              <strong>{name.username}</strong>{" "}
              <span className="muted small">
                line {name.line} · {FORMAT_LABELS[name.format] ?? name.format}
                {name.lines > 1 ? ` · ${name.lines} lines` : ""}
                {name.person_id !== null && name.person_id !== undefined ? " · known" : " · new"}
              </span>
            </label>
            <div className="muted small paste-line">“{name.text}”</div>
          </li>
        ))}
      </ul>
      {reading.more_names ? <p className="muted small">More names than one lookup takes; the first are listed.</p> : null}
      {reading.unread_count > 0 ? (
        <p className="muted small">{reading.unread_count} line(s) named nobody.</p>
      ) : null}
    </fieldset>
  );
}

export function LookupPage() {
  const { search } = useLocation();
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [pasted, setPasted] = useState("");
  const [includeStatbate, setIncludeStatbate] = useState(false);
  const [includeMyRoom, setIncludeMyRoom] = useState(true);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [found, setFound] = useState<LookupResult | null>(lastFound);
  // The names read from the paste as it is now (cleared when the paste changes), and the chosen.
  const [reading, setReading] = useState<PasteReading | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const ids = { user: useId(), role: useId(), paste: useId(), sb: useId(), room: useId() };
  const formRef = useRef<HTMLFormElement>(null);

  // An error replaces the last answer: left under the error, the previous person looked like
  // the answer to the lookup that failed.
  const fail = (error: Error) => {
    setError(error);
    setFound(null);
    lastFound = null;
  };

  const run = async (body: LookupRequest) => {
    setRunning(true);
    setError(undefined);
    try {
      const result = await api.lookup(body);
      setFound(result);
      lastFound = result;
    } catch (exc) {
      fail(exc instanceof Error ? exc : new Error(String(exc)));
    } finally {
      setRunning(false);
    }
  };

  // `/?u=name` (a link from extracted usernames) looks that name up at once.
  const linked = search.get("u");
  useEffect(() => {
    if (!linked) return;
    setUsername(linked);
    setPasted("");
    navigate("/", { replace: true });
    void run({ username: linked, include_statbate: includeStatbate, include_my_room: includeMyRoom });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [linked]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim() && !pasted.trim()) {
      fail(new Error("Enter a username or paste a profile."));
      return;
    }
    void run({
      username: username.trim() || null,
      role: role || null,
      pasted_text: pasted.trim() || null,
      // Chosen among the names read (all of them when the paste was not read first)
      usernames: reading ? reading.names.map((n) => n.username).filter((n) => chosen.has(n)) : null,
      include_statbate: includeStatbate,
      include_my_room: includeMyRoom,
    });
  };

  const readNames = async () => {
    setError(undefined);
    try {
      const result = await api.readPaste(pasted.trim());
      setReading(result);
      setChosen(new Set(result.names.map((n) => n.username)));
    } catch (exc) {
      fail(exc instanceof Error ? exc : new Error(String(exc)));
    }
  };
  const toggle = (name: string) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <>
      <h1>Lookup</h1>
      <form ref={formRef} className="card lookup-form" onSubmit={submit} aria-label="Lookup">
        <div className="row">
          <div className="field grow">
            <label htmlFor={ids.user}>Username</label>
            <input
              id={ids.user}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. alice_01"
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor={ids.role}>Role override</label>
            <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as Role | "")}>
              <option value="">automatic</option>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor={ids.paste}>Paste (profile, chat, anything with usernames)</label>
          <textarea
            id={ids.paste}
            value={pasted}
            onChange={(e) => {
              setPasted(e.target.value);
              setReading(null);
            }}
            rows={7}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) formRef.current?.requestSubmit();
            }}
          />
        </div>
        <div className="row">
          <label className="check" htmlFor={ids.sb}>
            <input id={ids.sb} type="checkbox" checked={includeStatbate} onChange={(e) => setIncludeStatbate(e.target.checked)} />
            Include Statbate
          </label>
          <label className="check" htmlFor={ids.room}>
            <input id={ids.room} type="checkbox" checked={includeMyRoom} onChange={(e) => setIncludeMyRoom(e.target.checked)} />
            Include my room data
          </label>
          <button type="button" disabled={!pasted.trim() || running} onClick={() => void readNames()}>
            Read names
          </button>
          <button type="submit" className="primary" disabled={running || (reading !== null && chosen.size === 0 && !username.trim())}>
            {running ? "Looking up…" : reading ? `Look up ${chosen.size || ""} chosen`.replace("  ", " ") : "Look up"}
          </button>
          <span className="muted small">Ctrl+Enter in the paste box also looks up.</span>
        </div>
      </form>
      {reading ? <PasteChoice reading={reading} chosen={chosen} onToggle={toggle} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
      {running ? <Loading label="Looking up…" /> : null}
      {found ? <Results result={found} /> : null}
    </>
  );
}

export function resetLookupCache(): void {
  lastFound = null;
}
