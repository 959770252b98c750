import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { AlertView, ImportReport, LiveRoom, RoomPerson, RulesView } from "../api/types";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest } from "../test/fakeApi";
import { LIVE_POLL_MS } from "./Live";

beforeEach(() => tokenStore.set("good"));
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function open(path: string) {
  window.history.replaceState(null, "", path);
  render(<App />);
}

const START = "2026-11-01T20:00:00Z";

function who(username: string, overrides: Partial<RoomPerson> = {}): RoomPerson {
  return {
    person_id: username.length,
    username,
    arrived_at: "2026-11-01T20:05:00Z",
    arrival_event_id: `${username}-in`,
    flags: {},
    lifetime_tokens: 0,
    tokens_this_session: 0,
    visits: 1,
    last_visit_at: null,
    notes: [],
    watchlists: [],
    attributes: [],
    fan_club: false,
    why: "First visit",
    ...overrides,
  };
}

function room(people: RoomPerson[], live = true): LiveRoom {
  return {
    owner: "owner_cam",
    live,
    checked_at: "2026-11-01T20:30:00Z",
    session: live
      ? { id: 3, started_at: START, ended_at: null, source: "cb_events", created_at: START, updated_at: START }
      : null,
    totals: live
      ? {
          duration_seconds: 1800,
          tokens: 1234,
          tips: 4,
          entered: 9,
          present: people.length,
          hidden: 1,
          peak: 7,
          peak_at: START,
          anonymous_tips: 1,
          anonymous_tokens: 50,
        }
      : null,
    people,
  };
}

const whaleAlert: AlertView = {
  key: "whale:1",
  rule_id: "whale",
  kind: "lifetime_tokens",
  person_id: 9,
  username: "whale_01",
  trigger: "arrival",
  event_id: "1",
  at: "2026-11-01T20:31:00Z",
  reason: "12,500 tokens to you in all (≥ 1,000)",
  sound: true,
};

describe("live room", () => {
  it("shows who is here with why they matter, and a new arrival appears by itself", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let people = [
      who("alice_01", {
        why: "On Friends · 500 tokens to you in all",
        lifetime_tokens: 500,
        fan_club: true,
        watchlists: [{ id: 1, name: "Friends" }],
        notes: ["likes purple"],
      }),
    ];
    let alerts: AlertView[] = [];
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner/room": () => ({ body: room(people) }),
      "GET /api/owner/alerts": () => ({ body: { items: alerts, next_cursor: null } }),
    });
    open("/live");
    const list = await screen.findByRole("list", { name: "People in the room, newest first" });
    expect(within(list).getByRole("link", { name: "alice_01" })).toHaveAttribute("href", "/persons/8");
    expect(within(list).getByText("On Friends · 500 tokens to you in all")).toBeInTheDocument();
    expect(within(list).getByText("fan club")).toBeInTheDocument();
    expect(within(list).getByText("likes purple")).toBeInTheDocument();
    const totals = screen.getByRole("region", { name: "This session so far" });
    expect(within(totals).getByText("1,234")).toBeInTheDocument();
    expect(within(totals).getByText(/1 excluded person is in the room/)).toBeInTheDocument();
    expect(await screen.findByText("No alert yet this session.")).toBeInTheDocument();
    // When the whale arrives (and a rule fires), the next poll shows both, newest first
    people = [who("whale_01", { person_id: 9, why: "12,500 tokens to you in all" }), ...people];
    alerts = [whaleAlert];
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2 * LIVE_POLL_MS + 100);
    });
    const names = within(await screen.findByRole("list", { name: "People in the room, newest first" }))
      .getAllByRole("heading")
      .map((h) => h.textContent);
    expect(names).toEqual(["whale_01", "alice_01"]);
    expect(await screen.findByRole("alert")).toHaveTextContent("whale_01 arrived: 12,500 tokens to you in all (≥ 1,000)");
    // The alerts are asked for since the session began
    expect(calls.find((c) => c.path === "/api/owner/alerts")?.query.get("since")).toBe(START);
  });

  it("says when the owner is offline", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner/room": { body: room([], false) },
    });
    open("/live");
    expect(await screen.findByText(/You are offline/)).toBeInTheDocument();
  });
});

describe("alert rules", () => {
  it("uses a suggested threshold and saves the rules", async () => {
    const view: RulesView = {
      rules: [],
      saved_at: null,
      suggestions: [
        {
          kind: "lifetime_tokens",
          threshold: 12500,
          top_share: 0.01,
          n: 800,
          at_or_above: 8,
          reasoning: "The top 1% of the 800 people with any lifetime tokens to you (8 people) reached 12,500 or more.",
          uncertainty: { n: 800, confidence: "high", not_enough_data: false },
        },
      ],
    };
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner/alert-rules": { body: view },
      "GET /api/watchlists": { body: [{ id: 1, name: "Friends", is_system: true, member_count: 2 }] },
      "PUT /api/owner/alert-rules": (call) => ({ body: { ...view, rules: (call.body as RulesView).rules } }),
    });
    open("/live/alerts");
    expect(await screen.findByText(/The top 1% of the 800 people/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Use 12,500" }));
    expect(screen.getByLabelText("Tokens")).toHaveValue(12500);
    await userEvent.click(screen.getByLabelText("Sound"));
    await userEvent.click(screen.getByRole("button", { name: "Save rules" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({
      rules: [{ id: "lifetime-tokens", enabled: true, sound: true, kind: "lifetime_tokens", min_tokens: 12500 }],
    });
  });
});

class FakeXhr {
  static replies: { status: number; body: unknown }[] = [];
  static sent: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  upload: { onprogress: ((e: ProgressEvent) => void) | null; onload: (() => void) | null } = {
    onprogress: null,
    onload: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  status = 0;
  responseText = "";
  private url = "";
  private headers: Record<string, string> = {};
  open(_method: string, url: string) {
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    FakeXhr.sent.push({ url: this.url, headers: this.headers, body });
    const reply = FakeXhr.replies.shift() ?? { status: 500, body: {} };
    setTimeout(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 } as ProgressEvent);
      this.status = reply.status;
      this.responseText = JSON.stringify(reply.body);
      this.onload?.();
    }, 0);
  }
}

describe("token-history import", () => {
  const report: ImportReport = {
    imported: true,
    import_id: 1,
    file_name: "tokens.csv",
    timezone: "UTC",
    lines: 5,
    good_rows: 3,
    new_rows: 3,
    already_stored: 0,
    linked: 1,
    times_differ: 0,
    problem_count: 1,
    problems: [{ line: 4, kind: "empty_user", message: "User is empty" }],
    accepted_problems: true,
    first_at: START,
    last_at: START,
    by_type: { PRIVATE_SHOW: { rows: 2, tokens: 120 }, TIP_EVENT: { rows: 1, tokens: 100 } },
    persons: 2,
  };

  it("shows the bad lines of a refused file, then imports the other rows on request", async () => {
    FakeXhr.sent = [];
    FakeXhr.replies = [
      apiError(422, "token_history_refused", "1 bad line(s): nothing was imported.", { ...report, imported: false, new_rows: 0 }),
      { status: 200, body: report },
    ];
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner/token-history/imports": { body: [] },
    });
    open("/token-history");
    const file = new File(["User,Token change,Timestamp,Transaction type\n"], "tokens.csv", { type: "text/csv" });
    await userEvent.upload(await screen.findByLabelText(/Token-history export/), file);
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText("Not imported: 1 bad line(s)")).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Bad lines" })).toHaveTextContent("line 4: User is empty");
    await userEvent.click(screen.getByRole("button", { name: "Import the other 3 rows" }));
    expect(await screen.findByText("Imported tokens.csv")).toBeInTheDocument();
    expect(screen.getByText("Private show")).toBeInTheDocument();
    expect(FakeXhr.sent.map((s) => s.url)).toEqual([
      "/api/owner/token-history?file_name=tokens.csv",
      "/api/owner/token-history?file_name=tokens.csv&accept_problems=true",
    ]);
    expect(FakeXhr.sent[0]?.headers.Authorization).toBe("Bearer good");
  });
});

describe("capture audit card", () => {
  it("shows the share and each missed tip, explained or not", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/jobs": { body: [] },
      "GET /api/owner/capture-audit": {
        body: {
          unavailable: null,
          period_start: START,
          period_end: "2026-11-01T23:00:00Z",
          export_first_at: START,
          export_last_at: START,
          exported: 6,
          seen_live: 4,
          share_seen: {
            value: 4 / 6,
            uncertainty: { n: 6, confidence: "low", not_enough_data: false, interval: { low: 0.3, high: 0.9, level: 0.95, method: "wilson" } },
          },
          explained: 1,
          missed: [
            { row_id: "a", person_id: 5, username: "erin_05", tokens: 40, at: START, explained: true, gap_start: START, gap_end: START },
            { row_id: "b", person_id: 6, username: "frank_06", tokens: 70, at: START, explained: false, gap_start: null, gap_end: null },
          ],
        },
      },
    });
    open("/health");
    const card = await screen.findByRole("region", { name: "Capture completeness (token-history audit)" });
    expect(await within(card).findByText("66.7%")).toBeInTheDocument();
    expect(within(card).getByText("frank_06").closest("tr")).toHaveTextContent("not explained");
    expect(within(card).getByText("erin_05").closest("tr")).toHaveTextContent("explained: gap");
  });
});
