import { useState } from "react";
import { api } from "../../api/client";
import type { InteractionSource, InteractionType } from "../../api/types";
import { InteractionTable } from "../../components/InteractionTable";
import { Pager, useCursorStack } from "../../components/Pager";
import { Async, ErrorMessage } from "../../components/status";
import { INTERACTION_SOURCES, INTERACTION_TYPES, PROVIDER_NAME, interactionProvider, typeLabel } from "../../format";
import { useLocation } from "../../router";
import { useAction, useApi } from "../../useApi";

function toggle<T>(values: T[], value: T): T[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

/** What the person said in any room, from Statbate Plus's chat history (queued, run at once). */
function ImportTheirChat({ personId }: { personId: number }) {
  const [queued, setQueued] = useState<string | null>(null);
  const action = useAction(async () => {
    const target = await api.importPersonChat(personId);
    setQueued(target.name);
  });
  return (
    <div className="row">
      <button type="button" className="small" disabled={action.running} onClick={() => void action.run()}>
        Import their chat from Statbate Plus
      </button>
      {queued ? (
        <p className="notice" role="status">
          Queued: what {queued} said across rooms is being imported; it appears here as imported chat.
        </p>
      ) : null}
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </div>
  );
}

/** An insight's "see the evidence" link opens this tab with its filter in the address. */
function evidenceFilter(search: URLSearchParams) {
  const types = search.getAll("type").filter((t): t is InteractionType => (INTERACTION_TYPES as string[]).includes(t));
  return { types, room: search.get("room"), since: search.get("since"), until: search.get("until") };
}

export function InteractionsTab({ personId }: { personId: number }) {
  const { search } = useLocation();
  const linked = evidenceFilter(search);
  const [types, setTypes] = useState<InteractionType[]>(linked.types);
  const [sources, setSources] = useState<InteractionSource[]>([]);
  const [scope, setScope] = useState({ room: linked.room, since: linked.since, until: linked.until });
  const paging = useCursorStack();
  const state = useApi(
    (signal) =>
      api.interactions(
        personId,
        { type: types, source: sources, cursor: paging.cursor, broadcaster: scope.room, since: scope.since, until: scope.until },
        signal,
      ),
    [personId, types.join(), sources.join(), paging.cursor, scope.room, scope.since, scope.until],
  );
  const narrowed = scope.room || scope.since || scope.until;
  return (
    <>
      <ImportTheirChat personId={personId} />
      {narrowed ? (
        <p className="notice small" role="note">
          Showing the evidence of a figure
          {scope.room ? ` in ${scope.room}'s room` : ""}
          {scope.since ? ` from ${scope.since.slice(0, 16).replace("T", " ")}` : ""}
          {scope.until ? ` until ${scope.until.slice(0, 16).replace("T", " ")}` : ""}.{" "}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setScope({ room: null, since: null, until: null });
              paging.reset();
            }}
          >
            Show all times and rooms
          </button>
        </p>
      ) : null}
      <div className="filters">
        <fieldset>
          <legend>Type (none = all)</legend>
          {INTERACTION_TYPES.map((type) => (
            <label key={type} className="check">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={() => {
                  setTypes((t) => toggle(t, type));
                  paging.reset();
                }}
              />
              {typeLabel(type)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Source (none = all)</legend>
          {INTERACTION_SOURCES.map((source) => (
            <label key={source} className="check">
              <input
                type="checkbox"
                checked={sources.includes(source)}
                onChange={() => {
                  setSources((s) => toggle(s, source));
                  paging.reset();
                }}
              />
              {source} ({PROVIDER_NAME[interactionProvider(source)]})
            </label>
          ))}
        </fieldset>
      </div>
      <Async state={state} label="Loading interactions…">
        {(page) => (
          <>
            <InteractionTable items={page.items} caption="Interactions" />
            <Pager page={paging.page} nextCursor={page.next_cursor} onOlder={paging.older} onNewer={paging.newer} loading={state.loading} />
          </>
        )}
      </Async>
    </>
  );
}
