import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import type { InteractionType } from "../api/types";
import { InteractionTable } from "../components/InteractionTable";
import { Pager, useCursorStack } from "../components/Pager";
import { Async } from "../components/status";
import { typeLabel } from "../format";
import { navigate, useLocation } from "../router";
import { matchedTerms } from "../search";
import { useApi } from "../useApi";

const SEARCHABLE: InteractionType[] = ["CHAT_MESSAGE", "PRIVATE_MESSAGE", "DIRECT_MESSAGE", "MANUAL_NOTE", "CHAT_IMPORT", "PROFILE_PASTE", "TIP_EVENT"];

/** Keyed by the query: a new query starts again at the first page. */
function Results({ q, types, includeExcluded }: { q: string; types: InteractionType[]; includeExcluded: boolean }) {
  const paging = useCursorStack();
  const results = useApi((signal) => api.search(q, { type: types, cursor: paging.cursor, includeExcluded }, signal), [paging.cursor]);
  return (
    <Async state={results} label="Searching…">
      {(page) => (
        <>
          <p className="muted" role="status">
            {page.items.length === 0 ? `No matches for “${q}”.` : `Matches for “${q}”, newest first.`}
          </p>
          {page.items.length > 0 ? (
            <InteractionTable items={page.items} showPerson caption={`Search results for ${q}`} highlight={matchedTerms(q)} />
          ) : null}
          <Pager page={paging.page} nextCursor={page.next_cursor} onOlder={paging.older} onNewer={paging.newer} loading={results.loading} />
        </>
      )}
    </Async>
  );
}

export function SearchPage() {
  const { search } = useLocation();
  const q = search.get("q") ?? "";
  const types = search.getAll("type") as InteractionType[];
  const includeExcluded = search.get("excluded") === "1";
  const [text, setText] = useState(q);
  const [chosen, setChosen] = useState<InteractionType[]>(types);
  const [withExcluded, setWithExcluded] = useState(includeExcluded);
  const ids = { q: useId(), hint: useId(), excluded: useId() };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (text.trim()) params.set("q", text.trim());
    for (const type of chosen) params.append("type", type);
    if (withExcluded) params.set("excluded", "1");
    navigate(`/search?${params.toString()}`);
  };

  return (
    <>
      <h1>Search</h1>
      <form className="card" onSubmit={submit} role="search" aria-label="Search interactions">
        <div className="row">
          <div className="field grow">
            <label htmlFor={ids.q}>Words to find</label>
            <input id={ids.q} type="search" value={text} onChange={(e) => setText(e.target.value)} autoFocus maxLength={200} aria-describedby={ids.hint} />
            <p id={ids.hint} className="muted small hint">
              All the words must appear. <code>"exact phrase"</code> for words together, <code>-word</code> to leave out lines with it, <code>this or that</code> for either.
            </p>
          </div>
          <button type="submit" className="primary">
            Search
          </button>
        </div>
        <fieldset className="filters">
          <legend>Only these kinds (none = all)</legend>
          {SEARCHABLE.map((type) => (
            <label key={type} className="check">
              <input
                type="checkbox"
                checked={chosen.includes(type)}
                onChange={() => setChosen((c) => (c.includes(type) ? c.filter((t) => t !== type) : [...c, type]))}
              />
              {typeLabel(type)}
            </label>
          ))}
          <label className="check" htmlFor={ids.excluded}>
            <input id={ids.excluded} type="checkbox" checked={withExcluded} onChange={(e) => setWithExcluded(e.target.checked)} />
            Include excluded persons
          </label>
        </fieldset>
      </form>
      {q ? (
        <Results key={`${q}|${types.join()}|${includeExcluded}`} q={q} types={types} includeExcluded={includeExcluded} />
      ) : (
        <p className="muted">Search chat, private messages, notes, pastes and imported chat.</p>
      )}
    </>
  );
}
