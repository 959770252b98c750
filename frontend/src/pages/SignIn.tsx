import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import { useAuth } from "../auth";
import { ErrorMessage } from "../components/status";

export function SignIn() {
  const { signIn, reason } = useAuth();
  const [token, setToken] = useState("");
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const inputId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return;
    setChecking(true);
    setError(undefined);
    try {
      // Check the token against an authenticated route before keeping it.
      await api.ingestHealth(undefined, value);
      signIn(value);
    } catch (exc) {
      setError(exc instanceof Error ? exc : new Error(String(exc)));
    } finally {
      setChecking(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">MHC Control Panel</h1>
        <p className="muted">
          Enter the API token: <code>MHC_API_TOKEN</code> in <code>.env</code>, printed by <code>mhc init</code> on the first run. It is kept only for
          this browser session.
        </p>
        {reason ? <p className="notice" role="status">{reason}</p> : null}
        <label htmlFor={inputId}>API token</label>
        <input
          id={inputId}
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
          required
        />
        {error ? <ErrorMessage error={error} /> : null}
        <button type="submit" className="primary" disabled={checking || !token.trim()}>
          {checking ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
