// The live room: who is in the owner's room now and why they matter, the session's running
// totals, and alerts as they fire (visual, and a sound when the owner turns it on).
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { AlertView, LiveRoom, RoomPerson } from "../api/types";
import { PersonLink, Time } from "../components/bits";
import { Async } from "../components/status";
import { formatDuration, formatNumber } from "../format";
import { Link } from "../router";
import { useApi } from "../useApi";

/** The room is read this often: a new arrival shows within 2-3 s of its event. */
export const LIVE_POLL_MS = 2_000;

/** A short two-tone chime on the browser's own audio (no file to load). */
function chime(context: AudioContext): void {
  const start = context.currentTime;
  [880, 1320].forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + index * 0.18);
    gain.gain.exponentialRampToValueAtTime(0.25, start + index * 0.18 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + index * 0.18 + 0.3);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + index * 0.18);
    oscillator.stop(start + index * 0.18 + 0.32);
  });
}

function useSound() {
  const context = useRef<AudioContext | null>(null);
  const [on, setOn] = useState(false);
  const toggle = () => {
    // Browsers only allow audio after a user gesture: the context is made here, on the click.
    if (!on && !context.current && typeof AudioContext !== "undefined") context.current = new AudioContext();
    void context.current?.resume();
    setOn(!on);
  };
  const play = () => {
    if (on && context.current) chime(context.current);
  };
  return { on, toggle, play, available: typeof AudioContext !== "undefined" };
}

/** Alerts since the session began; the ones that arrived while the page was open are new. */
function Alerts({ since, onNew }: { since: string; onNew: (alerts: AlertView[]) => void }) {
  const state = useApi((signal) => api.alerts(since, signal), [since], { pollMs: LIVE_POLL_MS });
  const seen = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<AlertView[]>([]);
  const items = state.data?.items;
  useEffect(() => {
    if (!items) return;
    if (seen.current === null) {
      seen.current = new Set(items.map((a) => a.key)); // already there when the page opened
      return;
    }
    const known = seen.current;
    const added = items.filter((a) => !known.has(a.key));
    if (added.length === 0) return;
    added.forEach((a) => known.add(a.key));
    setFresh((old) => [...added, ...old].slice(0, 5));
    onNew(added);
  }, [items, onNew]);
  return (
    <>
      <div aria-live="assertive" className="alert-banners">
        {fresh.map((alert) => (
          <div key={alert.key} className="alert-banner" role="alert">
            <span className="alert-tag">Alert</span>{" "}
            <strong>
              <PersonLink id={alert.person_id} username={alert.username} />
            </strong>{" "}
            {alert.trigger === "follow" ? "followed" : "arrived"}: {alert.reason}
            <button
              type="button"
              className="link-button"
              onClick={() => setFresh((old) => old.filter((a) => a.key !== alert.key))}
            >
              Dismiss
            </button>
          </div>
        ))}
      </div>
      <section className="card" aria-labelledby="alerts-title">
        <header className="card-header">
          <h2 id="alerts-title">Alerts this session</h2>
          <Link to="/live/alerts">Alert rules</Link>
        </header>
        {items && items.length > 0 ? (
          <ul className="alert-list">
            {items.map((alert) => (
              <li key={alert.key}>
                <Time iso={alert.at} /> <PersonLink id={alert.person_id} username={alert.username} />{" "}
                <span className="muted">({alert.rule_id})</span> {alert.reason}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No alert yet this session.</p>
        )}
      </section>
    </>
  );
}

function Totals({ room }: { room: LiveRoom }) {
  const totals = room.totals;
  if (!totals) return null;
  const figures: [string, string][] = [
    ["Live for", formatDuration(totals.duration_seconds)],
    ["Tokens", formatNumber(totals.tokens)],
    ["Tips", formatNumber(totals.tips)],
    ["Anonymous tips", formatNumber(totals.anonymous_tips)],
    ["Anonymous tokens", formatNumber(totals.anonymous_tokens)],
    ["In the room", formatNumber(totals.present)],
    ["Peak", formatNumber(totals.peak)],
    ["Came in", formatNumber(totals.entered)],
  ];
  return (
    <section className="card room-totals" aria-labelledby="totals-title">
      <h2 id="totals-title">This session so far</h2>
      <dl className="stat-grid">
        {figures.map(([label, value]) => (
          <div className="stat" key={label}>
            <dt className="label">{label}</dt>
            <dd className="big">{value}</dd>
          </div>
        ))}
      </dl>
      {totals.hidden > 0 ? (
        <p className="muted small">
          {totals.hidden} excluded {totals.hidden === 1 ? "person is" : "people are"} in the room and not listed.
        </p>
      ) : null}
    </section>
  );
}

function Flags({ person }: { person: RoomPerson }) {
  const badges: string[] = [];
  if (person.fan_club) badges.push("fan club");
  if (person.flags.isMod === true) badges.push("mod");
  if (person.flags.isFollower === true) badges.push("follower");
  const recent = person.flags.recentTips;
  if (typeof recent === "string" && recent !== "none") badges.push(`tips: ${recent}`);
  if (badges.length === 0) return null;
  return (
    <span className="room-flags">
      {badges.map((badge) => (
        <span key={badge} className="badge badge-mhc">
          {badge}
        </span>
      ))}
    </span>
  );
}

function PersonCard({ person }: { person: RoomPerson }) {
  return (
    <li className="room-person card">
      <div className="room-person-head">
        <h3>
          <PersonLink id={person.person_id} username={person.username} />
        </h3>
        <Flags person={person} />
        <span className="muted small">
          arrived <Time iso={person.arrived_at} relative />
        </span>
      </div>
      <p className="why">{person.why}</p>
      <dl className="facts facts-inline">
        <dt>Lifetime tokens</dt>
        <dd className="tokens">{formatNumber(person.lifetime_tokens)}</dd>
        <dt>This session</dt>
        <dd className="tokens">{formatNumber(person.tokens_this_session)}</dd>
        <dt>Visits</dt>
        <dd>{formatNumber(person.visits)}</dd>
        <dt>Last visit</dt>
        <dd>{person.last_visit_at ? <Time iso={person.last_visit_at} /> : "first time"}</dd>
      </dl>
      {person.watchlists.length > 0 ? (
        <ul className="chips" aria-label={`Watchlists of ${person.username}`}>
          {person.watchlists.map((list) => (
            <li key={list.id}>{list.name}</li>
          ))}
        </ul>
      ) : null}
      {person.attributes.length > 0 ? (
        <p className="small">
          {person.attributes.map((a) => (
            <span key={a.key} className="room-attribute">
              {a.key}: {a.value}
            </span>
          ))}
        </p>
      ) : null}
      {person.notes.length > 0 ? (
        <ul className="notes small">
          {person.notes.map((note, index) => (
            <li key={index}>{note}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function LivePage() {
  const state = useApi((signal) => api.room(signal), [], { pollMs: LIVE_POLL_MS });
  const sound = useSound();
  const soundRef = useRef(sound);
  soundRef.current = sound;
  const onNew = useRef((added: AlertView[]) => {
    if (added.some((a) => a.sound)) soundRef.current.play();
  }).current;
  const since = state.data?.session?.started_at ?? null;
  return (
    <>
      <div className="page-head">
        <h1>Live room</h1>
        <div className="row">
          {sound.available ? (
            <button type="button" className="small" aria-pressed={sound.on} onClick={sound.toggle}>
              {sound.on ? "Sound on" : "Sound off"}
            </button>
          ) : null}
          <Link to="/token-history">Import token history</Link>
        </div>
      </div>
      <Async state={state} label="Loading the room…">
        {(room) =>
          room.live ? (
            <>
              <p className="muted">
                <span className="live-dot" aria-hidden="true" /> Live since <Time iso={room.session?.started_at} /> ·
                updated <Time iso={room.checked_at} relative />
              </p>
              {since ? <Alerts since={since} onNew={onNew} /> : null}
              <Totals room={room} />
              <section aria-labelledby="people-title">
                <h2 id="people-title">
                  In the room now <span className="muted">({room.people.length})</span>
                </h2>
                {room.people.length === 0 ? (
                  <p className="muted">Nobody has come in yet.</p>
                ) : (
                  <ul className="room-people" aria-label="People in the room, newest first">
                    {room.people.map((person) => (
                      <PersonCard key={person.person_id} person={person} />
                    ))}
                  </ul>
                )}
              </section>
            </>
          ) : (
            <p className="muted">
              You are offline: no session is open. The room fills in when your broadcast starts (or start a session
              on the <Link to="/owner">dashboard</Link>).
            </p>
          )
        }
      </Async>
    </>
  );
}
