import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { LookupResult } from "../api/types";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest, person } from "../test/fakeApi";
import { resetLookupCache } from "./Lookup";

beforeEach(() => {
  tokenStore.set("good");
  resetLookupCache();
});
afterEach(() => vi.unstubAllGlobals());

const alice = person();
const bob = person({ id: 8, username: "bob_2", role: "MODEL" });

const result: LookupResult = {
  person: alice,
  aliases: [{ id: 1, person_id: 7, username: "alice_old", valid_from: "2025-01-01T00:00:00Z", valid_to: "2026-01-01T00:00:00Z", source: "statbate_did" }],
  resolution: "new",
  extracted_usernames: ["alice_01", "bob_2", "carol"],
  also_found: [bob],
  statbate_analysis: [],
  paste: null,
  paste_created: true,
  statbate: [{ source: "statbate_member", status: "failed", error: "statbate: HTTP 503" }],
  latest_snapshots: {
    statbate_member: {
      snapshot: {
        id: 1,
        person_id: 7,
        source: "statbate_member",
        captured_at: "2026-10-31T10:00:00Z",
        raw_payload: {},
        normalized_metrics: { tokens_total: 1500, name: "x" },
        created_at: "2026-10-31T10:00:00Z",
      },
      delta: { tokens_total: 250 },
    },
  },
  recent_interactions: [],
  attributes: [{ id: 1, person_id: 7, key: "city", value: "Lyon", confidence: "high", evidence_kind: "manual", snapshot_id: null, interaction_id: null, evidence_note: null, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }],
  notes: [{ id: 5, person_id: 7, person_username: "alice_01", is_anonymous: false, type: "MANUAL_NOTE", source: "manual", external_id: "n1", occurred_at: "2026-10-30T10:00:00Z", broadcaster: null, content: "tips big on Fridays", metadata: {}, created_at: "2026-10-30T10:00:00Z" }],
  my_room: null,
  notices: ["carol could not be resolved"],
  paste_names: [],
};

describe("lookup", () => {
  it("sends the form and shows identity, labelled stats, memory and extracted names", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "POST /api/lookup": { body: result },
    });
    render(<App />);
    // When the owner pastes a profile, asks for Statbate and looks up
    await userEvent.type(screen.getByLabelText(/^Paste/), "Followers of alice_01 and bob_2");
    await userEvent.click(screen.getByLabelText("Include Statbate"));
    await userEvent.click(screen.getByRole("button", { name: "Look up" }));

    // Then the request carries the form
    await screen.findByRole("heading", { name: "alice_01" });
    const sent = calls.find((c) => c.path === "/api/lookup")?.body;
    expect(sent).toEqual({
      username: null,
      role: null,
      pasted_text: "Followers of alice_01 and bob_2",
      usernames: null,
      include_statbate: true,
      include_my_room: true,
    });
    // And the stats are labelled with their source, with the delta
    const card = screen.getByRole("region", { name: "Statbate · member" });
    expect(within(card).getByText("1,500")).toBeInTheDocument();
    expect(within(card).getByText("+250")).toBeInTheDocument();
    // And the Statbate failure and notices are shown, not hidden
    expect(screen.getByText(/statbate: HTTP 503/)).toBeInTheDocument();
    expect(screen.getByText("carol could not be resolved")).toBeInTheDocument();
    // And memory and aliases come with the answer: the page asks for nothing else (but the
    // behaviour signals, which are the person's insights)
    expect(screen.getByText(/tips big on Fridays/)).toBeInTheDocument();
    expect(screen.getByText("Lyon")).toBeInTheDocument();
    expect(screen.getByText("alice_old")).toBeInTheDocument();
    const others = calls.filter((c) => c.path.startsWith("/api/persons") && !c.path.endsWith("/insights"));
    expect(others).toEqual([]);
    // And extracted names link to known persons, or to a new lookup
    expect(screen.getByRole("link", { name: "bob_2" })).toHaveAttribute("href", "/persons/8");
    expect(screen.getByRole("link", { name: "carol" })).toHaveAttribute("href", "/?u=carol");
  });

  it("reads the names in a chat paste with their lines and looks up only the chosen", async () => {
    // Given a chat copy naming three people
    const reading = {
      names: [
        { username: "tokenking", line: 1, text: "tokenking: hey", format: "chat", lines: 2, person_id: null },
        { username: "lurker_9", line: 3, text: "lurker_9 has joined the room", format: "join", lines: 1, person_id: 4 },
        { username: "shy_one", line: 4, text: "shy_one: hello", format: "chat", lines: 1, person_id: null },
      ],
      unread: [],
      unread_count: 0,
      more_names: false,
      truncated: false,
    };
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "POST /api/paste/read": { body: reading },
      "POST /api/lookup": { body: result },
    });
    render(<App />);
    await userEvent.type(screen.getByLabelText(/^Paste/), "tokenking: hey");
    // When the owner reads the names, every name is shown with its line and chosen by default
    await userEvent.click(screen.getByRole("button", { name: "Read names" }));
    const choice = await screen.findByRole("group", { name: /Names in the paste \(3 of 3 chosen\)/ });
    expect(within(choice).getByText(/line 3 · joined · known/)).toBeInTheDocument();
    expect(within(choice).getByText("“tokenking: hey”")).toBeInTheDocument();
    // When one is left out and the lookup runs
    await userEvent.click(within(choice).getByRole("checkbox", { name: /lurker_9/ }));
    await userEvent.click(screen.getByRole("button", { name: "Look up 2 chosen" }));
    // Then only the chosen names are sent, with the paste
    await screen.findByRole("heading", { name: "alice_01" });
    const sent = calls.find((c) => c.path === "/api/lookup")?.body as { usernames: string[] };
    expect(sent.usernames).toEqual(["tokenking", "shy_one"]);
  });

  it("shows the API's validation message", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "POST /api/lookup": apiError(422, "invalid_input", "invalid input: username", []),
    });
    render(<App />);
    await userEvent.type(screen.getByLabelText("Username"), "!!");
    await userEvent.click(screen.getByRole("button", { name: "Look up" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("invalid input: username");
  });

  it("says the reason and the limit of a refused field, and clears the previous person", async () => {
    // Given a first lookup that found alice, then one the API refuses (a 70-character name)
    let replies = 0;
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "POST /api/lookup": () =>
        replies++ === 0
          ? { body: result }
          : apiError(422, "invalid_input", "invalid input: username: at most 64 characters (got 70)", [
              { field: "username", message: "at most 64 characters (got 70)" },
            ]),
    });
    render(<App />);
    await userEvent.type(screen.getByLabelText("Username"), "alice_01");
    await userEvent.click(screen.getByRole("button", { name: "Look up" }));
    expect(await screen.findByRole("heading", { name: "alice_01" })).toBeInTheDocument();
    // When the second lookup fails
    await userEvent.clear(screen.getByLabelText("Username"));
    await userEvent.type(screen.getByLabelText("Username"), "a".repeat(70));
    await userEvent.click(screen.getByRole("button", { name: "Look up" }));
    // Then the error says why and what the limit is
    expect(await screen.findByRole("alert")).toHaveTextContent("username: at most 64 characters (got 70)");
    // And alice's result is no longer on screen under it (it looked like the answer)
    expect(screen.queryByRole("heading", { name: "alice_01" })).not.toBeInTheDocument();
    expect(screen.queryByText("tips big on Fridays")).not.toBeInTheDocument();
  });

  it("asks for something to look up instead of sending an empty request", async () => {
    const { calls } = fakeApi({ "GET /api/health/ingest": { body: healthyIngest() } });
    render(<App />);
    await userEvent.click(screen.getByRole("button", { name: "Look up" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Enter a username or paste a profile.");
    expect(calls.some((c) => c.path === "/api/lookup")).toBe(false);
  });
});
