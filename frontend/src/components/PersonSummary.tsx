import type { Attribute, Interaction, Person, PersonAlias } from "../api/types";
import { formatTime } from "../format";
import { PersonLink, Time } from "./bits";

export function RoleText({ person }: { person: Person }) {
  return (
    <>
      {person.role}
      <span className="muted small">{person.role_is_manual ? " (set by hand)" : " (automatic)"}</span>
    </>
  );
}

export function ExcludedBanner({ person }: { person: Person }) {
  if (!person.is_excluded) return null;
  return (
    <p className="excluded" role="note">
      <strong>Excluded:</strong> {person.username} is left out of every aggregate, list and search
      by default.
    </p>
  );
}

export function IdentityPanel({
  person,
  aliases,
  link = false,
}: {
  person: Person;
  aliases?: PersonAlias[];
  link?: boolean;
}) {
  return (
    <section className="card" aria-labelledby={`identity-${person.id}`}>
      <header className="card-header">
        <h2 id={`identity-${person.id}`}>
          {link ? <PersonLink id={person.id} username={person.username} /> : person.username}
        </h2>
        {person.is_excluded ? <span className="badge badge-excluded">excluded</span> : null}
      </header>
      <dl className="facts">
        <dt>Role</dt>
        <dd>
          <RoleText person={person} />
        </dd>
        <dt>MHC id</dt>
        <dd>{person.id}</dd>
        <dt>Statbate rid / did</dt>
        <dd>
          {person.rid ?? "—"} / {person.did ?? "—"}
        </dd>
        <dt>Name since</dt>
        <dd>
          <Time iso={person.username_since} />
        </dd>
        <dt>First seen</dt>
        <dd>{person.first_seen_at ? <Time iso={person.first_seen_at} /> : <span className="muted">not observed yet</span>}</dd>
        <dt>Last seen</dt>
        <dd>
          {person.last_seen_at ? (
            <>
              <Time iso={person.last_seen_at} /> <span className="muted small">(<Time iso={person.last_seen_at} relative />)</span>
            </>
          ) : (
            <span className="muted">not observed yet (only looked up)</span>
          )}
        </dd>
        {aliases ? (
          <>
            <dt>Past names</dt>
            <dd>
              {aliases.length === 0
                ? "none known"
                : aliases.map((alias) => (
                    <span key={alias.id} className="alias" title={`${formatTime(alias.valid_from)} – ${formatTime(alias.valid_to)} (${alias.source})`}>
                      {alias.username}
                    </span>
                  ))}
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

export function MemoryPanel({ notes, attributes }: { notes: Interaction[]; attributes: Attribute[] }) {
  return (
    <section className="card" aria-labelledby="memory-title">
      <h2 id="memory-title">Memory</h2>
      <h3>Notes</h3>
      {notes.length === 0 ? (
        <p className="muted">No notes.</p>
      ) : (
        <ul className="notes">
          {notes.map((note) => (
            <li key={note.id}>
              <Time iso={note.occurred_at} /> — {note.content}
            </li>
          ))}
        </ul>
      )}
      <h3>Attributes</h3>
      {attributes.length === 0 ? (
        <p className="muted">No attributes.</p>
      ) : (
        <dl className="facts">
          {attributes.map((attribute) => (
            <div key={attribute.key} className="fact-row">
              <dt>{attribute.key}</dt>
              <dd>
                {attribute.value}{" "}
                <span className={`confidence confidence-${attribute.confidence}`}>{attribute.confidence}</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
