// The only place that talks HTTP. Every failure becomes an ApiError carrying the API's own
// message, so pages can show it as is.
import type {
  ApiErrorBody,
  Attribute,
  AudienceView,
  Confidence,
  CurrentSession,
  EvidenceKind,
  IngestHealth,
  JobView,
  Interaction,
  InteractionSource,
  InteractionType,
  LookupRequest,
  LookupResult,
  MemberView,
  MembershipResult,
  OwnerDashboard,
  Page,
  Person,
  PersonDetail,
  PersonInsights,
  RecapView,
  Role,
  SessionDetail,
  SessionResult,
  SnapshotSource,
  SnapshotWithDelta,
  StreamSession,
  Watchlist,
} from "./types";

const TOKEN_KEY = "mhc.token";

export const tokenStore = {
  get(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Called when the API answers 401: the stored token is wrong, so the app signs out. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, item);
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return `/api${path}${text ? `?${text}` : ""}`;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const error = (body as ApiErrorBody | null)?.error;
  if (error && typeof error.message === "string") {
    return new ApiError(response.status, error.code ?? "error", error.message, error.details);
  }
  const text = response.statusText || "request failed";
  return new ApiError(response.status, "http_error", `HTTP ${response.status}: ${text}`);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** A token to try instead of the stored one (sign-in checks it before keeping it). */
  token?: string;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token ?? tokenStore.get();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", "The API cannot be reached (network error).");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && options.token === undefined) onUnauthorized();
    throw error;
  }
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  ingestHealth: (signal?: AbortSignal, token?: string) =>
    request<IngestHealth>("/health/ingest", { signal, token }),
  lookup: (body: LookupRequest) =>
    request<LookupResult>("/lookup", { method: "POST", body }),
  searchPersons: (q: string, signal?: AbortSignal) =>
    request<Person[]>("/persons", { query: { q, limit: 10 }, signal }),
  person: (id: number, signal?: AbortSignal) =>
    request<PersonDetail>(`/persons/${id}`, { signal }),
  updatePerson: (id: number, patch: { role?: Role | null; is_excluded?: boolean }) =>
    request<Person>(`/persons/${id}`, { method: "PATCH", body: patch }),
  snapshots: (id: number, source: SnapshotSource, signal?: AbortSignal) =>
    request<SnapshotWithDelta[]>(`/persons/${id}/snapshots`, { query: { source }, signal }),
  interactions: (
    id: number,
    filters: {
      type?: InteractionType[];
      source?: InteractionSource[];
      cursor?: string | null;
      broadcaster?: string | null;
      since?: string | null;
      until?: string | null;
    },
    signal?: AbortSignal,
  ) =>
    request<Page<Interaction>>(`/persons/${id}/interactions`, {
      query: {
        type: filters.type,
        source: filters.source,
        cursor: filters.cursor,
        broadcaster: filters.broadcaster,
        since: filters.since,
        until: filters.until,
        limit: 50,
      },
      signal,
    }),
  addNote: (id: number, text: string, idempotencyKey: string) =>
    request<{ interaction: Interaction; created: boolean }>(`/persons/${id}/notes`, {
      method: "POST",
      body: { text, idempotency_key: idempotencyKey },
    }),
  setAttribute: (
    id: number,
    key: string,
    body: {
      value: string;
      confidence: Confidence;
      evidence_note?: string | null;
      evidence_kind?: EvidenceKind;
    },
  ) =>
    request<Attribute>(`/persons/${id}/attributes/${enc(key)}`, { method: "PUT", body }),
  watchlists: (signal?: AbortSignal) => request<Watchlist[]>("/watchlists", { signal }),
  members: (id: number, signal?: AbortSignal) =>
    request<MemberView[]>(`/watchlists/${id}/members`, { signal }),
  addMember: (watchlistId: number, personId: number) =>
    request<MembershipResult>(`/watchlists/${watchlistId}/members/${personId}`, {
      method: "PUT",
    }),
  removeMember: (watchlistId: number, personId: number) =>
    request<MembershipResult>(`/watchlists/${watchlistId}/members/${personId}`, {
      method: "DELETE",
    }),
  owner: (signal?: AbortSignal) => request<OwnerDashboard>("/owner", { signal }),
  startSession: () => request<SessionResult>("/sessions/start", { method: "POST" }),
  endSession: () => request<SessionResult>("/sessions/end", { method: "POST" }),
  currentSession: (signal?: AbortSignal) =>
    request<CurrentSession>("/sessions/current", { signal }),
  sessions: (before: string | null, signal?: AbortSignal) =>
    request<StreamSession[]>("/sessions", { query: { limit: 20, before }, signal }),
  session: (id: number, cursor: string | null, signal?: AbortSignal) =>
    request<SessionDetail>(`/sessions/${id}`, { query: { cursor, limit: 50 }, signal }),
  search: (
    q: string,
    filters: { type?: InteractionType[]; cursor?: string | null; includeExcluded?: boolean },
    signal?: AbortSignal,
  ) =>
    request<Page<Interaction>>("/search", {
      query: {
        q,
        type: filters.type,
        cursor: filters.cursor,
        limit: 50,
        include_excluded: filters.includeExcluded || undefined,
      },
      signal,
    }),
  jobs: (signal?: AbortSignal) => request<JobView[]>("/jobs", { signal }),
  updateJob: (name: string, patch: { enabled?: boolean; interval_seconds?: number }) =>
    request<JobView>(`/jobs/${enc(name)}`, { method: "PATCH", body: patch }),
  runJob: (name: string) => request<JobView>(`/jobs/${enc(name)}/run`, { method: "POST" }),
  insights: (id: number, signal?: AbortSignal) =>
    request<PersonInsights>(`/persons/${id}/insights`, { signal }),
  audience: (window: { since?: string | null; until?: string | null }, signal?: AbortSignal) =>
    request<AudienceView>("/owner/audience", { query: window, signal }),
  recap: (id: number, signal?: AbortSignal) =>
    request<RecapView>(`/sessions/${id}/recap`, { signal }),
};
