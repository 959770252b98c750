// A fake `fetch` that answers like the MHC API: handlers per "METHOD /api/path" (query ignored).
// The header polls the collectors' status on every page: unless a test says otherwise, it is OK.
import { vi } from "vitest";
import type { CollectorStatus, IngestHealth, JobHealth, Person } from "../api/types";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

type Reply = { status?: number; body: unknown } | ((call: Call) => { status?: number; body: unknown });

export function fakeApi(routes: Record<string, Reply>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const call: Call = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}`] ?? DEFAULT_ROUTES[`${method} ${url.pathname}`];
    if (!route) {
      const missing = apiError(404, "not_found", `no fake for ${method} ${url.pathname}`);
      return jsonResponse(missing.status, missing.body);
    }
    const reply = typeof route === "function" ? route(call) : route;
    return jsonResponse(reply.status ?? 200, reply.body);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

/** A reply in the API's one error shape: `{"error": {"code", "message", "details"}}`. */
export function apiError(status: number, code: string, message: string, details?: unknown) {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export const NOW = "2026-11-01T12:00:00Z";

export function person(overrides: Partial<Person> = {}): Person {
  return {
    id: 7,
    platform: "chaturbate",
    username: "alice_01",
    username_since: "2026-01-01T00:00:00Z",
    role: "VIEWER",
    role_is_manual: false,
    rid: 123,
    did: null,
    is_excluded: false,
    first_seen_at: "2026-01-01T00:00:00Z",
    last_seen_at: "2026-10-31T20:00:00Z",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-10-31T20:00:00Z",
    ...overrides,
  };
}

export function healthyIngest(overrides: Partial<IngestHealth> = {}): IngestHealth {
  return {
    checked_at: NOW,
    last_event_at: "2026-11-01T11:59:00Z",
    last_event_received_at: "2026-11-01T11:59:01Z",
    event_lag_seconds: 60,
    last_successful_poll_at: "2026-11-01T11:59:30Z",
    poll_lag_seconds: 30,
    poller: "ok",
    recent_job_runs: [],
    recent_event_gaps: [],
    ...overrides,
  };
}

export function jobHealth(name: string, overrides: Partial<JobHealth> = {}): JobHealth {
  return {
    name,
    kind: name,
    enabled: true,
    state: "ok",
    last_run: { id: 1, job: name, started_at: "2026-11-01T11:55:00Z", finished_at: "2026-11-01T11:55:02Z", status: "succeeded", counts: {}, error: null },
    running: false,
    next_run_at: "2026-11-01T12:00:00Z",
    cool_down_until: null,
    missing: [],
    error: null,
    ...overrides,
  };
}

export function healthyStatus(overrides: Partial<CollectorStatus> = {}): CollectorStatus {
  return {
    checked_at: NOW,
    verdict: "ok",
    reasons: [],
    events_poller: {
      state: "ok",
      last_run: null,
      last_successful_poll_at: "2026-11-01T11:59:30Z",
      poll_lag_seconds: 30,
      last_event_at: "2026-11-01T11:59:00Z",
      event_lag_seconds: 60,
      gaps_last_day: 0,
      missing: [],
      error: null,
    },
    jobs: ["affiliate_sweep", "cb_stats", "profile_collection", "statbate_refresh"].map((name) => jobHealth(name)),
    ...overrides,
  };
}

const DEFAULT_ROUTES: Record<string, Reply> = {
  "GET /api/health/status": { body: healthyStatus() },
};
