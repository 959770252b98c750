// The only place that talks HTTP. Every failure becomes an ApiError carrying the API's own
// message, so pages can show it as is.
import type {
  AlertView,
  ApiErrorBody,
  Attribute,
  AudienceView,
  CaptureAuditView,
  ChatImportStatus,
  CollectorStatus,
  Confidence,
  CurrentSession,
  EvidenceKind,
  ImportReport,
  ImportSummary,
  ImportTarget,
  IngestHealth,
  JobView,
  LiveRoom,
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
  PasteReading,
  PersonDeletion,
  PersonDetail,
  PersonInsights,
  RecapView,
  Role,
  SessionDeletion,
  RulesView,
  AlertRule,
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

/** One refused field of a 422: its name and the reason, with the limit ("at most 64 characters"). */
export interface Problem {
  field: string;
  message: string;
}

function problemsIn(details: unknown): Problem[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (item): item is Problem =>
      typeof item === "object" && item !== null && typeof item.field === "string" && typeof item.message === "string",
  );
}

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

  /** The refused fields of a validation error (empty for other errors). */
  get problems(): Problem[] {
    return problemsIn(this.details);
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

/** The owner must read why a field was refused and its limit, not only its name: a message
 * that names fields without reasons ("invalid input: username") gets the reasons appended. */
function withReasons(message: string, details: unknown): string {
  const problems = problemsIn(details);
  if (problems.length === 0 || problems.some((p) => message.includes(p.message))) return message;
  const spelled = problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`).join("; ");
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
  return `invalid input: ${spelled}${more}`;
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
    return new ApiError(response.status, error.code ?? "error", withReasons(error.message, error.details), error.details);
  }
  if (response.status === 413) {
    return new ApiError(413, "too_large", "The request is too large for the API (HTTP 413).");
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
  collectorStatus: (signal?: AbortSignal) => request<CollectorStatus>("/health/status", { signal }),
  readPaste: (pastedText: string) =>
    request<PasteReading>("/paste/read", { method: "POST", body: { pasted_text: pastedText } }),
  lookup: (body: LookupRequest) =>
    request<LookupResult>("/lookup", { method: "POST", body }),
  searchPersons: (q: string, signal?: AbortSignal) =>
    request<Person[]>("/persons", { query: { q, limit: 10 }, signal }),
  person: (id: number, signal?: AbortSignal) =>
    request<PersonDetail>(`/persons/${id}`, { signal }),
  updatePerson: (id: number, patch: { role?: Role | null; is_excluded?: boolean }) =>
    request<Person>(`/persons/${id}`, { method: "PATCH", body: patch }),
  mergePerson: (id: number, fromId: number) =>
    request<Person>(`/persons/${id}/merge`, { method: "POST", body: { from: fromId } }),
  unmergePerson: (id: number, fromId: number) =>
    request<Person>(`/persons/${id}/unmerge`, { method: "POST", body: { from: fromId } }),
  deletePerson: (id: number, confirm: string) =>
    request<PersonDeletion>(`/persons/${id}`, { method: "DELETE", query: { confirm } }),
  removeAlias: (id: number, aliasId: number) =>
    request<Person>(`/persons/${id}/aliases/${aliasId}`, { method: "DELETE" }),
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
  /** A manual session only; the API records the deletion. */
  deleteSession: (id: number) =>
    request<SessionDeletion>(`/sessions/${id}`, { method: "DELETE", query: { confirm: true } }),
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
  chatImport: (signal?: AbortSignal) => request<ChatImportStatus>("/chat-import", { signal }),
  savePlusSession: (session: string, xsrf: string) =>
    request<{ saved: boolean; import_started: boolean }>("/chat-import/session", {
      method: "PUT",
      body: { session, xsrf },
    }),
  importOwnerChat: () => request<ImportTarget>("/owner/chat-import", { method: "POST" }),
  importPersonChat: (id: number) =>
    request<ImportTarget>(`/persons/${id}/chat-import`, { method: "POST" }),
  room: (signal?: AbortSignal) => request<LiveRoom>("/owner/room", { signal }),
  alerts: (since: string | null, signal?: AbortSignal) =>
    request<Page<AlertView>>("/owner/alerts", { query: { since, limit: 50 }, signal }),
  alertRules: (signal?: AbortSignal) => request<RulesView>("/owner/alert-rules", { signal }),
  saveAlertRules: (rules: AlertRule[]) =>
    request<RulesView>("/owner/alert-rules", { method: "PUT", body: { rules } }),
  tokenHistoryImports: (signal?: AbortSignal) =>
    request<ImportSummary[]>("/owner/token-history/imports", { signal }),
  captureAudit: (signal?: AbortSignal) =>
    request<CaptureAuditView>("/owner/capture-audit", { signal }),
  insights: (id: number, signal?: AbortSignal) =>
    request<PersonInsights>(`/persons/${id}/insights`, { signal }),
  audience: (window: { since?: string | null; until?: string | null }, signal?: AbortSignal) =>
    request<AudienceView>("/owner/audience", { query: window, signal }),
  recap: (id: number, signal?: AbortSignal) =>
    request<RecapView>(`/sessions/${id}/recap`, { signal }),
};

// ---------------------------------------------------------------- token-history upload

export interface UploadProgress {
  phase: "compressing" | "uploading" | "importing";
  /** Bytes sent so far, and in all (uploading). */
  sent: number;
  total: number;
}

/** The export gzipped by the browser (a CSV shrinks ~6x; the upload route takes 4 MiB). */
async function compressed(file: Blob): Promise<{ body: Blob; type: string }> {
  if (typeof CompressionStream === "undefined" || typeof file.stream !== "function") {
    return { body: file, type: "text/csv" };
  }
  const stream = file.stream().pipeThrough(new CompressionStream("gzip"));
  return { body: await new Response(stream).blob(), type: "application/gzip" };
}

/**
 * Upload a token-history export with progress (XMLHttpRequest: fetch cannot report upload
 * progress). Resolves with the import report; a refused file rejects with an ApiError whose
 * `details` is the report (every bad line).
 */
export async function uploadTokenHistory(
  file: File,
  options: { acceptProblems: boolean; onProgress: (progress: UploadProgress) => void },
): Promise<ImportReport> {
  options.onProgress({ phase: "compressing", sent: 0, total: file.size });
  const { body, type } = await compressed(file);
  const url = buildUrl("/owner/token-history", {
    file_name: file.name.slice(0, 255),
    accept_problems: options.acceptProblems || undefined,
  });
  const token = tokenStore.get();
  return new Promise<ImportReport>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", type);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      const total = event.lengthComputable ? event.total : body.size;
      const phase = event.loaded >= total ? "importing" : "uploading";
      options.onProgress({ phase, sent: event.loaded, total });
    };
    xhr.upload.onload = () => options.onProgress({ phase: "importing", sent: body.size, total: body.size });
    xhr.onerror = () => reject(new ApiError(0, "network", "The API cannot be reached (network error)."));
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status line says it
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(parsed as ImportReport);
        return;
      }
      if (xhr.status === 401) onUnauthorized();
      const error = (parsed as ApiErrorBody | null)?.error;
      reject(
        error && typeof error.message === "string"
          ? new ApiError(xhr.status, error.code ?? "error", error.message, error.details)
          : new ApiError(xhr.status, "http_error", `HTTP ${xhr.status}`),
      );
    };
    xhr.send(body);
  });
}
