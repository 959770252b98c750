import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { JobView, LiveSignal, LiveStatus, OwnerDashboard, StreamSession } from "../api/types";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest, healthyStatus, jobHealth, person } from "../test/fakeApi";

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

function sessionLive(live: boolean): LiveStatus {
  const signal = {
    source: "stream_sessions" as const,
    provider: "mhc" as const,
    is_live: live,
    observed_at: session.started_at,
    age_seconds: 7200,
    fresh: true,
    since: live ? session.started_at : null,
    detail: live ? "a session is open (started by hand)" : "the last session ended (started by hand)",
  };
  return { provider: "mhc", source: "stream_sessions", is_live: live, since: signal.since, decided_by: signal, signals: [signal] };
}

function dashboard(live: boolean, liveStatus: LiveStatus = sessionLive(live)): OwnerDashboard {
  return {
    owner: "owner_cam",
    person_id: 1,
    live: liveStatus,
    current_session: live ? { provider: "mhc", source: "cb_events", session, stats } : null,
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
    recent_sessions: [
      {
        provider: "mhc",
        source: "cb_events",
        session: { ...session, id: 2, ended_at: "2026-10-31T12:00:00Z" },
        stats: { ...stats, session_id: 2 },
      },
    ],
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

  it("says live when the Stats API says so, which signal decided, and offers to start a session", async () => {
    // Given no open session, but a Stats API snapshot 2 minutes old: online for 95 minutes
    const stats = {
      source: "cb_stats" as const,
      provider: "chaturbate" as const,
      is_live: true,
      observed_at: "2026-11-01T11:58:00Z",
      age_seconds: 120,
      fresh: true,
      since: "2026-11-01T10:23:00Z",
      detail: "the Stats API says online for 95 min",
    };
    const old: LiveSignal = {
      ...stats,
      source: "stream_sessions",
      provider: "mhc",
      is_live: false,
      observed_at: "2026-10-31T12:00:00Z",
      age_seconds: 86400,
      since: null,
      detail: "the last session ended (from broadcast events)",
    };
    const live: LiveStatus = { provider: "chaturbate", source: "cb_stats", is_live: true, since: stats.since, decided_by: stats, signals: [stats, old] };
    fakeApi({ "GET /api/owner": { body: dashboard(false, live) } });
    open("/owner");
    const card = await screen.findByRole("region", { name: /^Live since/ });
    expect(within(card).getByText(/Decided by the Stats API/)).toHaveTextContent("the Stats API says online for 95 min");
    expect(within(card).getByText("Chaturbate")).toBeInTheDocument();
    expect(within(card).getByText("Every live signal (2)")).toBeInTheDocument();
    expect(within(card).getByRole("button", { name: "Start session" })).toBeInTheDocument();
    expect(screen.queryByText("Offline")).not.toBeInTheDocument();
  });

  it("says the live status is unknown when no signal is fresh", async () => {
    const live: LiveStatus = { provider: "mhc", source: "stream_sessions", is_live: null, since: null, decided_by: null, signals: [] };
    fakeApi({ "GET /api/owner": { body: dashboard(false, live) } });
    open("/owner");
    const card = await screen.findByRole("region", { name: "Live status unknown" });
    expect(within(card).getByText(/No fresh live signal/)).toBeInTheDocument();
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
    const confirmation = screen.getByRole("alertdialog");
    expect(await within(confirmation).findByRole("alert")).toHaveTextContent("recorded from broadcast events");
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
    expect(screen.getByLabelText(/Words/)).toHaveAccessibleDescription(/"exact phrase" for words together/);
    await userEvent.click(screen.getByLabelText("Chat message"));
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    const results = await screen.findByRole("table", { name: "Search results for guitar" });
    expect(results).toHaveTextContent("the blue guitar");
    // The searched word is marked in the result (as text, never as HTML)
    expect([...results.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["guitar"]);
    expect(await screen.findByRole("link", { name: "alice_01" })).toHaveAttribute("href", "/persons/7");
    expect(window.location.search).toBe("?q=guitar&type=CHAT_MESSAGE");
    const sent = calls.find((c) => c.path === "/api/search");
    expect(sent?.query.get("q")).toBe("guitar");
    expect(sent?.query.getAll("type")).toEqual(["CHAT_MESSAGE"]);
    // Results carry the person's name: no request per person.
    expect(calls.some((c) => c.path.startsWith("/api/persons"))).toBe(false);
  });

  it("marks matched words safely: markup in a message stays text", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/search": {
        body: {
          items: [{ id: 2, person_id: 7, person_username: "alice_01", type: "CHAT_MESSAGE", source: "cb_events", external_id: "y", occurred_at: "2026-11-01T10:05:00Z", broadcaster: "owner_cam", content: '<img src=x onerror="alert(1)"> Guitar <b>solo</b>', metadata: {}, created_at: "2026-11-01T10:05:00Z" }],
          next_cursor: null,
        },
      },
    });
    open('/search?q=guitar+-drums+or+%22solo%22');
    const results = await screen.findByRole("table", { name: /Search results/ });
    expect([...results.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["Guitar", "solo"]);
    expect(results.querySelector("img, b")).toBeNull();
    expect(results).toHaveTextContent('<img src=x onerror="alert(1)"> Guitar <b>solo</b>');
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

describe("collector health", () => {
  const failedRun = { id: 5, job: "statbate_refresh", started_at: "2026-11-01T11:00:00Z", finished_at: "2026-11-01T11:00:03Z", status: "failed" as const, counts: { refreshed: 0 }, error: "statbate: HTTP 500 (server error)" };

  function view(name: string, overrides: Partial<JobView> = {}): JobView {
    return {
      job: { name, kind: name as JobView["job"]["kind"], enabled: true, interval_seconds: 900, config: {}, last_run_at: failedRun.started_at, last_status: "failed", next_run_at: null, created_at: "2026-10-01T00:00:00Z", updated_at: "2026-10-01T00:00:00Z" },
      effective_config: { batch: 10 },
      last_run: failedRun,
      recent_runs: [failedRun],
      cool_down_until: null,
      ...overrides,
    };
  }

  it("flags a failed job in the header from the API's verdict, however many runs came after it", async () => {
    // Given recent runs that are all fine (21 lookups pushed the failure out of the last 20),
    // while the API judges cb_stats by its own last run: failed
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/health/status": { body: healthyStatus({ verdict: "failing", reasons: [{ level: "failing", text: "cb_stats failed" }] }) },
      "GET /api/sessions": { body: [] },
    });
    open("/sessions");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("▲ Collector failing: cb_stats failed");
    expect(screen.queryByText(/collectors OK/)).not.toBeInTheDocument();
  });

  it("never says collectors OK when nothing is configured and the poller never ran", async () => {
    fakeApi({
      "GET /api/health/status": {
        body: healthyStatus({
          verdict: "attention",
          reasons: ["events poller has never run", "cb_stats not configured", "statbate_refresh not configured"].map((text) => ({ level: "attention", text })),
          events_poller: { ...healthyStatus().events_poller, state: "never_run", last_successful_poll_at: null, poll_lag_seconds: null },
        }),
      },
      "GET /api/sessions": { body: [] },
    });
    open("/sessions");
    const pill = await screen.findByRole("link", { name: /Not all collecting/ });
    expect(pill).toHaveTextContent("◆ Not all collecting: events poller has never run and 2 more");
    expect(screen.queryByText(/collectors OK/)).not.toBeInTheDocument();
  });

  it("shows each collector's state: failing with its error, not configured with the missing setting, never run", async () => {
    const unconfiguredRun = { ...failedRun, id: 6, job: "cb_stats", status: "not_configured" as const, error: "MHC_STATS_TOKEN is not set (add it to .env or the environment)" };
    const status = healthyStatus({
      verdict: "failing",
      reasons: [
        { level: "failing", text: "statbate_refresh failed" },
        ...["events poller not configured", "cb_stats not configured", "affiliate_sweep has never run"].map((text) => ({ level: "attention" as const, text })),
      ],
      events_poller: {
        ...healthyStatus().events_poller,
        state: "not_configured",
        last_successful_poll_at: null,
        poll_lag_seconds: null,
        missing: ["MHC_EVENTS_URL"],
        error: "MHC_EVENTS_URL is not set (add it to .env or the environment)",
      },
      jobs: [
        jobHealth("statbate_refresh", { state: "failing", last_run: failedRun, error: failedRun.error }),
        jobHealth("cb_stats", { state: "not_configured", missing: ["MHC_STATS_TOKEN"], error: "MHC_STATS_TOKEN is not set (add it to .env or the environment)" }),
        jobHealth("affiliate_sweep", { state: "never_run", last_run: null }),
      ],
    });
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest({ poller: "not_configured", recent_job_runs: [failedRun], recent_event_gaps: [{ id: 1, detected_at: "2026-11-01T09:00:00Z", last_event_id: "abc", last_event_at: "2026-11-01T08:00:00Z", reason: "cursor expired", created_at: "2026-11-01T09:00:00Z" }] }) },
      "GET /api/health/status": { body: status },
      "GET /api/jobs": { body: [view("statbate_refresh"), view("cb_stats", { last_run: unconfiguredRun, recent_runs: [unconfiguredRun, { ...failedRun, job: "cb_stats" }] }), view("affiliate_sweep", { last_run: null, recent_runs: [] })] },
      "POST /api/jobs/statbate_refresh/run": { status: 202, body: view("statbate_refresh") },
    });
    open("/health");
    const failing = await screen.findByRole("region", { name: "statbate_refresh" });
    expect(within(failing).getByText("▲ FAILING")).toBeInTheDocument();
    expect(within(failing).getByText("Last error:").parentElement).toHaveTextContent("statbate: HTTP 500 (server error)");
    // The job waiting for its token names it, and shows no stale error of an older run
    const unconfigured = screen.getByRole("region", { name: "cb_stats" });
    expect(unconfigured.querySelector(".card-header .state")).toHaveTextContent("not configured");
    expect(within(unconfigured).getByText("MHC_STATS_TOKEN")).toBeInTheDocument();
    expect(within(unconfigured).queryByText("Last error:")).not.toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "affiliate_sweep" })).getByText("never run")).toBeInTheDocument();
    // The events poller says "not configured", naming the setting, never just "never"
    const capture = screen.getByRole("region", { name: "Live capture (Events API)" });
    expect(within(capture).getByText("not configured")).toBeInTheDocument();
    expect(within(capture).getByText("MHC_EVENTS_URL")).toBeInTheDocument();
    expect(screen.getByText("cursor expired")).toBeInTheDocument();
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts.some((t) => t?.includes("Collector failing: statbate_refresh failed"))).toBe(true);
    expect(screen.getByText("Needs attention:").parentElement).toHaveTextContent(
      "events poller not configured, cb_stats not configured, affiliate_sweep has never run",
    );
    await userEvent.click(within(failing).getByRole("button", { name: "Run now" }));
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
