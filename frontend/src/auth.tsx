import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { setUnauthorizedHandler, tokenStore } from "./api/client";

interface Auth {
  token: string | null;
  signIn: (token: string) => void;
  signOut: (reason?: string) => void;
  /** Why the last sign-out happened (shown on the sign-in page), if not by the owner's choice. */
  reason: string | null;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const [reason, setReason] = useState<string | null>(null);

  const signIn = useCallback((value: string) => {
    tokenStore.set(value);
    setReason(null);
    setToken(value);
  }, []);
  const signOut = useCallback((why?: string) => {
    tokenStore.clear();
    setReason(why ?? null);
    setToken(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => signOut("The API refused the token (401). Sign in again."));
    return () => setUnauthorizedHandler(() => {});
  }, [signOut]);

  const value = useMemo(() => ({ token, signIn, signOut, reason }), [token, signIn, signOut, reason]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
