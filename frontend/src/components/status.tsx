import type { ReactNode } from "react";
import type { ApiState } from "../useApi";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Shows the API's own message (ApiError.message), with a retry button when one is given. */
export function ErrorMessage({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div className="error" role="alert">
      <strong>Error:</strong> {error.message}
      {onRetry ? (
        <button type="button" className="link-button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Loading, error and data states of one request. Stale data stays visible while refreshing. */
export function Async<T>({
  state,
  children,
  label,
}: {
  state: ApiState<T>;
  children: (data: T) => ReactNode;
  label?: string;
}) {
  const { data, error, loading, reload } = state;
  return (
    <>
      {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
      {data === undefined ? (loading ? <Loading label={label} /> : null) : children(data)}
    </>
  );
}
