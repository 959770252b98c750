import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { JobView, OwnerDashboard, StreamSession } from "../api/types";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest, person } from "../test/fakeApi";

beforeEach(() => tokenStore.set("good"));
afterEach(() => vi.unstubAllGlobals());

function open(path: string) {
  window.history.replaceState(null, "", path);
  render(<App />);
}

const session: StreamSession = {
  id: 3,
  started_at: "2026-11-01T10:00:00Z",
  ended_at: null,
  source: "manual",
  created_at: "2026-11-01T10:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
};
const stats = { session_id: 3, duration_seconds: 3600, interactions: 40, tips: 4, tokens: 1234, distinct_visitors: 17 };

function dashboard(live: boolean): OwnerDashboard {
  return {
    owner: "owner_cam",
    person_id: 1,
    live: { provider: "mhc", source: "stream_sessions", is_live: live, since: live ? session.started_at : null },
    current_session: live ? { session, stats } : null,
    stats: {
      provider: "chaturbate",
      source: "cb_stats",
      snapshot: {
        snapshot: { id: 1, person_id: 1, source: "cb_stats", captured_at: "2026-11-01T11:55:00Z", raw_payload: {}, normalized_metrics: { num_followers: 5120 }, created_at: "2026-11-01T11:55:00Z" },
        delta: { num_followers: 12 },
      },
      follower_delta: 12,
    },
    statbate: { provider: "statbate", source: "statbate_model", snapshot: null },
    recent_tips: {
      provider: "chaturbate",
      source: "cb_events",
      items: [
        { interaction_id: 9, occurred_at: "2026-11-01T11:00:00Z", tokens: 100, message: "great show", is_anonymous: false, person_id: 7, username: "alice_01" },
        { interaction_id: 10, occurred_at: "2026-11-01T11:01:00Z", tokens: 50, message: null, is_anonymous: true, person_id: null, username: null },
      ],
    },
    recent_sessions: [{ session: { ...session, id: 2, ended_at: "2026-10-31T12:00:00Z" }, stats: { ...stats, session_id: 2 } }],
  };
}

describe("owner dashboard", () => {
  it("shows labelled figures and starts then ends a session", async () => {
    let live = false;
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner": () => ({ body: dashboard(live) }),
      "POST /api/sessions/start": () => {
        live = true;
        return { body: { session } };
      },
      "POST /api/sessions/end": () => {
        live = false;
        return { body: { session: { ...session, ended_at: "2026-11-01T12:00:00Z" } } };
      },
    });
    open("/owner");
    // Followers with delta, labelled Chaturbate; tips labelled; anonymous tipper not named
    const followers = await screen.findByRole("region", { name: "Followers" });
    expect(within(followers).getByText("5,120")).toBeInTheDocument();
    expect(within(followers).getByText("+12")).toBeInTheDocument();
    expect(within(followers).getByText("Chaturbate")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Statbate" })).toHaveTextContent("No Statbate snapshot");
    expect(screen.getByRole("link", { name: "alice_01" })).toHaveAttribute("href", "/persons/7");
    expect(screen.getByText("anonymous")).toBeInTheDocument();
    // When the owner starts a session
    await userEvent.click(screen.getByRole("button", { name: "Start session" }));
    expect(await screen.findByText(/Live since/)).toBeInTheDocument();
    const liveCard = screen.getByRole("region", { name: /Live since/ });
    expect(within(liveCard).getByText("1,234")).toBeInTheDocument();
    // And ends it
    await userEvent.click(screen.getByRole("button", { name: "End session" }));
    expect(await screen.findByRole("button", { name: "Start session" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual(["/api/sessions/start", "/api/sessions/end"]);
  });

  it("shows the API's message when the owner is not configured", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner": apiError(503, "not_configured", "MHC_OWNER_USERNAME is not set"),
    });
    open("/owner");
    expect(await screen.findByRole("alert")).toHaveTextContent("MHC_OWNER_USERNAME is not set");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });
});

describe("sessions", () => {
  it("lists sessions and opens one with its interactions and person names", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/sessions": { body: [session] },
      "GET /api/sessions/3": {
        body: {
          session,
          stats,
          interactions: {
            items: [{ id: 1, person_id: 7, person_username: "alice_01", type: "CHAT_MESSAGE", source: "cb_events", external_id: "x", occurred_at: "2026-11-01T10:05:00Z", broadcaster: "owner_cam", content: "hello room", metadata: {}, created_at: "2026-11-01T10:05:00Z" }],
            next_cursor: null,
          },
        },
      },
    });
    open("/sessions");
    await userEvent.click(await screen.findByRole("link", { name: "Session #3" }));
    expect(await screen.findByText("hello room")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "alice_01" })).toHaveAttribute("href", "/persons/7");
    expect(screen.getByText("17")).toBeInTheDocument();
  });
});

describe("deleting a session", () => {
  const detail = (source: StreamSession["source"]) => ({
    session: { ...session, source, ended_at: "2026-11-01T10:00:03Z" },
    stats: { ...stats, duration_seconds: 3, interactions: 0, tips: 0, tokens: 0, distinct_visitors: 0 },
    interactions: { items: [], next_cursor: null },
  });

  it("deletes a stray manual session after confirming, and says so on the list", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/sessions/3": { body: detail("manual") },
      "DELETE /api/sessions/3": { body: { session: detail("manual").session, deletion: { id: 1 }, changed: true } },
      "GET /api/sessions": { body: [] },
    });
    open("/sessions/3");
    // When the owner asks to delete it, a confirmation comes first: nothing is sent yet
    await userEvent.click(await screen.findByRole("button", { name: "Delete session" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete session #3?" });
    expect(dialog).toHaveTextContent("recorded");
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    // When the owner confirms
    await userEvent.click(screen.getByRole("button", { name: "Delete session" }));
    await userEvent.click(
      within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete session #3" }),
    );
    // Then the API is asked with the confirmation, and the list says it is done
    const sent = calls.find((c) => c.method === "DELETE");
    expect(sent?.path).toBe("/api/sessions/3");
    expect(sent?.query.get("confirm")).toBe("true");
    expect(await screen.findByText(/Session #3 was deleted/)).toHaveAttribute("role", "status");
    expect(window.location.pathname).toBe("/sessions");
  });

  it("offers no delete for a session made from broadcast events", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/sessions/3": { body: detail("cb_events") },
    });
    open("/sessions/3");
    expect(await screen.findByRole("heading", { name: /Session #3/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete session" })).not.toBeInTheDocument();
  });

  it("shows the API's refusal in the confirmation", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/sessions/3": { body: detail("manual") },
      "DELETE /api/sessions/3": apiError(409, "conflict", "session 3 was recorded from broadcast events, not by hand"),
    });
    open("/sessions/3");
    await userEvent.click(await screen.findByRole("button", { name: "Delete session" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete session #3" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("recorded from broadcast events");
    expect(window.location.pathname).toBe("/sessions/3");
  });
});

describe("watchlists", () => {
  it("shows members with online status and last delta, and removes one", async () => {
    let members = [
      {
        person: person({ role: "MODEL" }),
        added_at: "2026-10-01T00:00:00Z",
        last_interaction_at: "2026-10-31T00:00:00Z",
        last_snapshot: {
          snapshot: { id: 4, person_id: 7, source: "statbate_model" as const, captured_at: "2026-10-31T00:00:00Z", raw_payload: {}, normalized_metrics: {}, created_at: "2026-10-31T00:00:00Z" },
          delta: { tokens_total: 250, rank: 0 },
        },
        online: true,
        last_seen_online_at: "2026-11-01T11:50:00Z",
      },
    ];
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/watchlists": { body: [{ id: 1, name: "Favourites", is_system: true, member_count: members.length }] },
      "GET /api/watchlists/1/members": () => ({ body: members }),
      "DELETE /api/watchlists/1/members/7": () => {
        members = [];
        return { body: { watchlist_id: 1, person_id: 7, member: false, changed: true } };
      },
    });
    open("/watchlists");
    expect(await screen.findByText("● online")).toBeInTheDocument();
    expect(screen.getByText("tokens total +250")).toBeInTheDocument();
    expect(screen.getByText("Statbate")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Remove alice_01 from Favourites" }));
    expect(await screen.findByText(/Nobody on this list yet/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
  });
});

describe("search", () => {
  it("searches, keeps the query in the URL and links results to the person", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/search": {
        body: {
          items: [{ id: 1, person_id: 7, person_username: "alice_01", type: "CHAT_MESSAGE", source: "cb_events", external_id: "x", occurred_at: "2026-11-01T10:05:00Z", broadcaster: "owner_cam", content: "the blue guitar", metadata: {}, created_at: "2026-11-01T10:05:00Z" }],
          next_cursor: null,
        },
      },
    });
    open("/search");
    await userEvent.type(screen.getByLabelText(/Words/), "guitar");
    await userEvent.click(screen.getByLabelText("Chat message"));
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText("the blue guitar")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "alice_01" })).toHaveAttribute("href", "/persons/7");
    expect(window.location.search).toBe("?q=guitar&type=CHAT_MESSAGE");
    const sent = calls.find((c) => c.path === "/api/search");
    expect(sent?.query.get("q")).toBe("guitar");
    expect(sent?.query.getAll("type")).toEqual(["CHAT_MESSAGE"]);
    // Results carry the person's name: no request per person.
    expect(calls.some((c) => c.path.startsWith("/api/persons"))).toBe(false);
  });

  it("shows the API's message for a bad query", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/search": apiError(422, "invalid_input", "invalid input: q"),
    });
    open("/search?q=%20x");
    expect(await screen.findByRole("alert")).toHaveTextContent("invalid input: q");
  });
});

describe("jobs & health", () => {
  const failedRun = { id: 5, job: "statbate_refresh", started_at: "2026-11-01T11:00:00Z", finished_at: "2026-11-01T11:00:03Z", status: "failed" as const, counts: { refreshed: 0 }, error: "statbate: HTTP 500 (server error)" };

  it("shows a failing job from the jobs API, with its error, and runs it on request", async () => {
    const view: JobView = {
      job: { name: "statbate_refresh", kind: "statbate_refresh", enabled: true, interval_seconds: 900, config: {}, last_run_at: failedRun.started_at, last_status: "failed", next_run_at: null, created_at: "2026-10-01T00:00:00Z", updated_at: "2026-10-01T00:00:00Z" },
      effective_config: { batch: 10 },
      last_run: failedRun,
      recent_runs: [failedRun],
      cool_down_until: null,
    };
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest({ poller: "stale", recent_job_runs: [failedRun], recent_event_gaps: [{ id: 1, detected_at: "2026-11-01T09:00:00Z", last_event_id: "abc", last_event_at: "2026-11-01T08:00:00Z", reason: "cursor expired", created_at: "2026-11-01T09:00:00Z" }] }) },
      "GET /api/jobs": { body: [view] },
      "POST /api/jobs/statbate_refresh/run": { status: 202, body: view },
    });
    open("/health");
    const card = await screen.findByRole("region", { name: "statbate_refresh" });
    expect(within(card).getAllByText("▲ FAILED").length).toBeGreaterThan(0);
    expect(within(card).getByText("Last error:").parentElement).toHaveTextContent("statbate: HTTP 500 (server error)");
    expect(screen.getByText("cursor expired")).toBeInTheDocument();
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts.some((t) => t?.includes("events poller is stale, statbate_refresh failed"))).toBe(true);
    await userEvent.click(within(card).getByRole("button", { name: "Run now" }));
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/jobs/statbate_refresh/run")).toBe(true);
  });

  it("falls back to recorded runs when the server has no jobs API", async () => {
    fakeApi({ "GET /api/health/ingest": { body: healthyIngest({ recent_job_runs: [failedRun] }) } });
    open("/health");
    expect(await screen.findByText(/no jobs API/)).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Last run of each job" });
    expect(within(table).getByText("statbate_refresh")).toBeInTheDocument();
    expect(within(table).getByText("▲ FAILED")).toBeInTheDocument();
  });
});

describe("routing", () => {
  it("shows a not-found page for unknown paths", async () => {
    fakeApi({ "GET /api/health/ingest": { body: healthyIngest() } });
    open("/nowhere");
    expect(await screen.findByRole("heading", { name: "Not found" })).toBeInTheDocument();
  });
});
