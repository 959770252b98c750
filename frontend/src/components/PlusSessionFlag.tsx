import { api } from "../api/client";
import { Link } from "../router";
import { useApi } from "../useApi";

const POLL_MS = 60_000;

/** Shown on every page while the Statbate Plus session has expired: the chat import is
 * stopped until the owner signs in again. Silent otherwise (and when the API cannot say). */
export function PlusSessionFlag() {
  const state = useApi((signal) => api.chatImport(signal), [], { pollMs: POLL_MS });
  if (state.data?.session.state !== "expired") return null;
  return (
    <div role="alert">
      <Link
        to="/chat-import"
        className="flag flag-bad"
        title={state.data.session.action ?? undefined}
      >
        ▲ Statbate Plus session expired: sign in again
      </Link>
    </div>
  );
}
