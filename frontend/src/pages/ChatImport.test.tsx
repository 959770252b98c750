import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { ChatImportStatus, ImportTarget, Interaction, PersonDetail } from "../api/types";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest, NOW, person } from "../test/fakeApi";

beforeEach(() => tokenStore.set("good"));
afterEach(() => vi.unstubAllGlobals());

const SESSION = "eyJpdiI6InNlY3JldC1zZXNzaW9uIn0%3D";
const XSRF = "eyJpdiI6InNlY3JldC14c3JmIn0%3D";

function target(overrides: Partial<ImportTarget> = {}): ImportTarget {
  return {
    id: 1,
    kind: "room",
    name: "owner_cam",
    checkpoint: "https://plus.statbate.com/room/statbate/owner_cam/chat?page=31",
    walk: "full",
    since: null,
    until: null,
    pages_walked: 30,
    completed_at: null,
    requested_at: null,
    claimed_at: null,
    last_run_at: "2026-11-01T11:00:00Z",
    last_status: "auth_expired",
    last_counts: { new: 3000, already_stored: 0, unmapped: 0, twins: 12 },
    last_error: "statbate_plus: HTTP 302 to the login page: the session has expired",
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T11:00:00Z",
    ...overrides,
  };
}

function status(overrides: Partial<ChatImportStatus> = {}): ChatImportStatus {
  return {
    session: {
      state: "expired",
      checked_at: "2026-11-01T11:00:00Z",
      message: "statbate_plus: HTTP 302 to the login page: the session has expired",
      action: "sign in to Statbate Plus again (`mhc chat-import login`, or paste the two cookies on the Chat import page); the import resumes where it stopped",
    },
    targets: [target()],
    unread: [
      {
        id: 4,
        origin: "file",
        url: "https://plus.statbate.com/room/statbate/x/chat",
        fetched_at: NOW,
        messages: 0,
        unmapped: 50,
        problems: { "no sender": 50 },
        example: '{"who":"viewer_1","said":"hi"}',
      },
    ],
    totals: { responses: 31, messages: 3000, unmapped: 50 },
    field_map: { items: ["props.messages.data"] },
    ...overrides,
  };
}

function open(path: string) {
  window.history.replaceState(null, "", path);
  render(<App />);
}

describe("chat import", () => {
  it("flags an expired session in the header and says what to do", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status() },
      "GET /api/owner": apiError(503, "not_configured", "MHC_OWNER_USERNAME is not set"),
    });
    open("/owner");
    const flag = await screen.findByRole("link", { name: /Statbate Plus session expired/ });
    expect(flag).toHaveAttribute("href", "/chat-import");
    await userEvent.click(flag);
    expect(await screen.findByRole("heading", { level: 1, name: "Chat import" })).toBeInTheDocument();
    const card = screen.getByRole("region", { name: /Statbate Plus session/ });
    expect(within(card).getByText("expired")).toBeInTheDocument();
    const todo = within(card).getByText(/the import resumes where it stopped/);
    expect(within(todo).getByText("mhc chat-import login").tagName).toBe("CODE");
    // The chat waits at its checkpoint, and what the map could not read is shown raw
    const table = screen.getByRole("table", { name: "Chats imported" });
    expect(within(table).getByText("resumes at page 31 (full walk)")).toBeInTheDocument();
    expect(within(table).getByText("auth expired")).toBeInTheDocument();
    expect(screen.getByText('{"who":"viewer_1","said":"hi"}')).toBeInTheDocument();
  });

  it("shows no flag while the session works", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status({ session: { state: "ok", checked_at: NOW, message: null, action: null } }) },
    });
    open("/chat-import");
    expect(await screen.findByText("working")).toBeInTheDocument();
    expect(calls.some((c) => c.path === "/api/chat-import")).toBe(true);
    expect(screen.queryByRole("link", { name: /session expired/ })).not.toBeInTheDocument();
  });

  it("sends pasted cookies once and never shows them again", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status() },
      "PUT /api/chat-import/session": { body: { saved: true, import_started: true } },
    });
    open("/chat-import");
    const session = await screen.findByLabelText("statbate_plus_session");
    const xsrf = screen.getByLabelText("XSRF-TOKEN");
    expect(session).toHaveAttribute("type", "password");
    expect(xsrf).toHaveAttribute("autocomplete", "off");
    await userEvent.type(session, SESSION);
    await userEvent.type(xsrf, XSRF);
    await userEvent.click(screen.getByRole("button", { name: "Save session" }));
    expect(await screen.findByText("Saved. An import was asked for, to try it.")).toBeInTheDocument();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({ session: SESSION, xsrf: XSRF });
    // The fields are emptied and the values appear nowhere on the page
    expect(session).toHaveValue("");
    expect(xsrf).toHaveValue("");
    expect(document.body.innerHTML).not.toContain(SESSION);
    expect(document.body.innerHTML).not.toContain(XSRF);
  });

  it("shows the API's reason for a refused paste", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status() },
      "PUT /api/chat-import/session": apiError(422, "invalid_input", "session: the statbate_plus_session cookie value is empty or has characters a cookie cannot"),
    });
    open("/chat-import");
    await userEvent.type(await screen.findByLabelText("statbate_plus_session"), "bad value");
    await userEvent.type(screen.getByLabelText("XSRF-TOKEN"), "x");
    await userEvent.click(screen.getByRole("button", { name: "Save session" }));
    const error = await screen.findByText(/characters a cookie cannot/);
    expect(error.closest("[role=alert]")).not.toBeNull();
    expect(screen.getByLabelText("statbate_plus_session")).toHaveValue("bad value");
  });

  it("imports the owner's room now", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status({ targets: [] }) },
      "POST /api/owner/chat-import": { status: 202, body: target({ requested_at: NOW, last_status: null }) },
    });
    open("/chat-import");
    expect(await screen.findByText(/No chat walked from Plus yet/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Import my room now" }));
    expect(await screen.findByText(/Queued: the import has started/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual(["/api/owner/chat-import"]);
  });
});

describe("imported chat on the person page", () => {
  const imported: Interaction = {
    id: 5,
    person_id: 7,
    person_username: "alice_01",
    is_anonymous: false,
    type: "CHAT_IMPORT",
    source: "statbate_plus",
    external_id: "id:other_room:99",
    occurred_at: "2026-10-30T20:00:00Z",
    broadcaster: "other_room",
    content: "said before capture began",
    metadata: { plus_id: "99", response_id: 3, item: 0 },
    created_at: NOW,
  };
  const detail: PersonDetail = {
    person: person(),
    aliases: [],
    latest_snapshots: {},
    recent_interactions: [imported],
    interaction_counts: { CHAT_IMPORT: 1 },
    watchlists: [],
    attributes: [],
    merged: [],
    pastes: [],
  };

  it("marks it as imported from Statbate Plus and asks for more", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/chat-import": { body: status({ session: { state: "ok", checked_at: NOW, message: null, action: null } }) },
      "GET /api/persons/7": { body: detail },
      "GET /api/persons/7/interactions": { body: { items: [imported], next_cursor: null } },
      "POST /api/persons/7/chat-import": { status: 202, body: target({ kind: "member", name: "alice_01" }) },
    });
    open("/persons/7?tab=interactions");
    const table = await screen.findByRole("table", { name: "Interactions" });
    const row = within(table).getByText("said before capture began").closest("tr") as HTMLElement;
    expect(within(row).getByText("Imported chat")).toBeInTheDocument();
    expect(within(row).getByText("Statbate")).toHaveAttribute("title", "Statbate: Plus, imported");
    expect(within(row).getByText(/in other_room's room/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Import their chat from Statbate Plus" }));
    expect(await screen.findByText(/what alice_01 said across rooms is being imported/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/persons/7/chat-import")).toBe(true);
  });
});
