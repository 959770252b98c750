import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import type { Person, PersonDetail } from "../api/types";
import { navigate } from "../router";
import { useAction } from "../useApi";
import { PersonLink } from "./bits";
import { ErrorMessage } from "./status";

/** One human, two rows: merge another person into this one (with a confirmation), undo a
 * merge, remove a past name the owner added by hand. */
export function IdentityActions({ detail, onChange }: { detail: PersonDetail; onChange: () => void }) {
  const { person } = detail;
  const inputId = useId();
  const [query, setQuery] = useState("");
  const [candidate, setCandidate] = useState<Person | null>(null);
  const merged = detail.merged ?? [];
  const find = useAction(async () => {
    const text = query.trim().toLowerCase();
    const found = /^\d+$/.test(text)
      ? (await api.person(Number(text))).person
      : (await api.searchPersons(text)).find((p) => p.username === text) ?? null;
    if (found === null) throw new Error(`No person is called ${text}.`);
    if (found.id === person.id) throw new Error(`${found.username} is this person.`);
    setCandidate(found);
  });
  const merge = useAction(async (other: Person) => {
    await api.mergePerson(person.id, other.id);
    setCandidate(null);
    setQuery("");
    onChange();
  });
  const unmerge = useAction(async (other: Person) => {
    await api.unmergePerson(person.id, other.id);
    onChange();
  });
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useAction(async () => {
    await api.deletePerson(person.id, person.username);
    navigate("/", { replace: true });
  });
  const hasHistory =
    Object.values(detail.interaction_counts).some((n) => n > 0) ||
    Object.keys(detail.latest_snapshots).length > 0 ||
    detail.attributes.length > 0 ||
    merged.length > 0;
  const removeAlias = useAction(async (aliasId: number) => {
    await api.removeAlias(person.id, aliasId);
    onChange();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (query.trim()) void find.run();
  };
  const manualAliases = detail.aliases.filter((alias) => alias.source === "manual");
  return (
    <section className="card" aria-labelledby="identity-actions-title">
      <h2 id="identity-actions-title">Same human?</h2>
      {merged.length > 0 ? (
        <>
          <p className="muted small">Merged into this person (their history shows here):</p>
          <ul className="plain-list">
            {merged.map((row) => (
              <li key={row.id} className="row-between">
                <span>
                  #{row.id} {row.username}
                </span>
                <button
                  type="button"
                  className="small"
                  disabled={unmerge.running}
                  onClick={() => void unmerge.run(row)}
                  aria-label={`Unmerge ${row.username}`}
                >
                  Unmerge
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {manualAliases.length > 0 ? (
        <>
          <p className="muted small">Past names you added:</p>
          <ul className="plain-list">
            {manualAliases.map((alias) => (
              <li key={alias.id} className="row-between">
                <span>{alias.username}</span>
                <button
                  type="button"
                  className="small"
                  disabled={removeAlias.running}
                  onClick={() => void removeAlias.run(alias.id)}
                  aria-label={`Remove past name ${alias.username}`}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <form onSubmit={submit} className="row">
        <div className="field grow">
          <label htmlFor={inputId}>Merge another person into {person.username}</label>
          <input
            id={inputId}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setCandidate(null);
            }}
            placeholder="username or id"
            maxLength={64}
          />
        </div>
        <button type="submit" disabled={find.running || !query.trim()}>
          Find
        </button>
      </form>
      {candidate ? (
        <div role="alertdialog" aria-labelledby="merge-confirm" className="confirm">
          <p id="merge-confirm">
            Merge <PersonLink id={candidate.id} username={candidate.username} /> into {person.username}? Their
            history, past names and Statbate ids join this person; their name becomes a past name. Nothing
            is deleted, and Unmerge undoes it.
          </p>
          <div className="row">
            <button type="button" className="danger" disabled={merge.running} onClick={() => void merge.run(candidate)}>
              {merge.running ? "Merging…" : `Merge ${candidate.username}`}
            </button>
            <button type="button" className="ghost" onClick={() => setCandidate(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {hasHistory ? null : (
        <div className="row">
          <p className="muted small">
            {person.username} has no history of their own (only looked up): if the name was a typo, delete them.
          </p>
          <button type="button" className="danger small" onClick={() => setConfirmDelete(true)}>
            Delete {person.username}
          </button>
        </div>
      )}
      {confirmDelete ? (
        <div role="alertdialog" aria-labelledby="delete-confirm" className="confirm">
          <p id="delete-confirm">
            Delete {person.username}? Their name and watchlist memberships go too; the deletion is recorded.
          </p>
          <div className="row">
            <button type="button" className="danger" disabled={remove.running} onClick={() => void remove.run()}>
              {remove.running ? "Deleting…" : `Yes, delete ${person.username}`}
            </button>
            <button type="button" className="ghost" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {[find, merge, unmerge, removeAlias, remove].map((action, index) =>
        action.error ? <ErrorMessage key={index} error={action.error} /> : null,
      )}
    </section>
  );
}
