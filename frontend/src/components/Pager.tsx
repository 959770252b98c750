import { useState } from "react";

/** Keyset paging: the API gives a `next_cursor`; we keep the cursors we came through to go back. */
export function useCursorStack() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1] ?? null;
  return {
    cursor,
    page: stack.length,
    older: (next: string) => setStack((s) => [...s, next]),
    newer: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([null]),
  };
}

export function Pager({
  page,
  nextCursor,
  onOlder,
  onNewer,
  loading,
}: {
  page: number;
  nextCursor: string | null | undefined;
  onOlder: (cursor: string) => void;
  onNewer: () => void;
  loading: boolean;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="small" onClick={onNewer} disabled={page <= 1 || loading}>
        ← Newer
      </button>
      <span className="muted small">Page {page}</span>
      <button type="button" className="small" onClick={() => nextCursor && onOlder(nextCursor)} disabled={!nextCursor || loading}>
        Older →
      </button>
    </nav>
  );
}
