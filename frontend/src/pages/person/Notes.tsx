import { type FormEvent, useId, useState } from "react";
import { api } from "../../api/client";
import { Time } from "../../components/bits";
import { Pager, useCursorStack } from "../../components/Pager";
import { Async, ErrorMessage } from "../../components/status";
import { useAction, useApi } from "../../useApi";

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function NotesTab({ personId }: { personId: number }) {
  const paging = useCursorStack();
  const notes = useApi(
    (signal) => api.interactions(personId, { type: ["MANUAL_NOTE"], cursor: paging.cursor }, signal),
    [personId, paging.cursor],
  );
  const [text, setText] = useState("");
  // One key per draft: a double submit (or a retry after a lost answer) adds one note.
  const [draftKey, setDraftKey] = useState(newKey);
  const textId = useId();
  const save = useAction(async () => {
    await api.addNote(personId, text.trim(), draftKey);
    setText("");
    setDraftKey(newKey());
    paging.reset();
    notes.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) void save.run();
  };
  return (
    <>
      <form className="card" onSubmit={submit} aria-label="Add a note">
        <div className="field">
          <label htmlFor={textId}>New note</label>
          <textarea id={textId} rows={3} value={text} onChange={(e) => setText(e.target.value)} maxLength={10000} />
        </div>
        <button type="submit" className="primary" disabled={save.running || !text.trim()}>
          {save.running ? "Saving…" : "Add note"}
        </button>
        {save.error ? <ErrorMessage error={save.error} /> : null}
      </form>
      <Async state={notes} label="Loading notes…">
        {(page) =>
          page.items.length === 0 ? (
            <p className="muted">No notes yet.</p>
          ) : (
            <>
              <ul className="note-list" aria-label="Notes">
                {page.items.map((note) => (
                  <li key={note.id} className="card">
                    <p className="muted small">
                      <Time iso={note.occurred_at} />
                    </p>
                    <p className="content">{note.content}</p>
                  </li>
                ))}
              </ul>
              <Pager page={paging.page} nextCursor={page.next_cursor} onOlder={paging.older} onNewer={paging.newer} loading={notes.loading} />
            </>
          )
        }
      </Async>
    </>
  );
}
