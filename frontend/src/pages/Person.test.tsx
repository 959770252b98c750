import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import type { Interaction, PersonDetail, SnapshotWithDelta } from "../api/types";
import { App } from "../App";
import { LineChart } from "../components/LineChart";
import { apiError, fakeApi, healthyIngest, person } from "../test/fakeApi";
import { seriesOf } from "./person/Timeline";

beforeEach(() => tokenStore.set("good"));
afterEach(() => vi.unstubAllGlobals());

function snap(id: number, at: string, metrics: Record<string, unknown>): SnapshotWithDelta {
  return {
    snapshot: { id, person_id: 7, source: "statbate_member", captured_at: at, raw_payload: {}, normalized_metrics: metrics, created_at: at },
    delta: null,
  };
}

function interaction(id: number, overrides: Partial<Interaction> = {}): Interaction {
  return {
    id,
    person_id: 7,
    person_username: "alice_01",
    is_anonymous: false,
    type: "CHAT_MESSAGE",
    source: "cb_events",
    external_id: `e${id}`,
    occurred_at: "2026-10-31T20:00:00Z",
    broadcaster: "owner",
    content: `line ${id}`,
    metadata: {},
    created_at: "2026-10-31T20:00:00Z",
    ...overrides,
  };
}

function detail(overrides: Partial<PersonDetail> = {}): PersonDetail {
  return {
    person: person(),
    aliases: [],
    latest_snapshots: { statbate_member: snap(2, "2026-10-31T00:00:00Z", { tokens_total: 20 }) },
    recent_interactions: [interaction(1)],
    interaction_counts: { CHAT_MESSAGE: 1 },
    watchlists: [],
    attributes: [],
    merged: [],
    pastes: [],
    ...overrides,
  };
}

const watchlists = [
  { id: 1, name: "Favourites", is_system: true, member_count: 0 },
  { id: 2, name: "Big tippers", is_system: true, member_count: 3 },
];

function open(path: string) {
  window.history.replaceState(null, "", path);
  render(<App />);
}

describe("person page", () => {
  it("shows the overview and adds the person to a watchlist", async () => {
    // Given a person on no watchlist
    let current = detail();
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": () => ({ body: current }),
      "GET /api/watchlists": { body: watchlists },
      "PUT /api/watchlists/2/members/7": () => {
        current = detail({ watchlists: [watchlists[1]!] });
        return { body: { watchlist_id: 2, person_id: 7, member: true, changed: true } };
      },
    });
    open("/persons/7");
    expect(await screen.findByRole("heading", { level: 1, name: /alice_01/ })).toBeInTheDocument();
    expect(screen.getByText("line 1")).toBeInTheDocument();
    // When the owner adds the person to "Big tippers"
    await userEvent.click(await screen.findByRole("button", { name: "Add to Big tippers" }));
    // Then the API is asked and the page shows the membership
    expect(await screen.findByRole("button", { name: "Remove from Big tippers" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PUT" && c.path === "/api/watchlists/2/members/7")).toBe(true);
  });

  it("merges another person into this one after a confirmation, and unmerges", async () => {
    // Given alice, and bob_alt whom the owner knows is the same human
    const bob = person({ id: 8, username: "bob_alt" });
    let current = detail();
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": () => ({ body: current }),
      "GET /api/watchlists": { body: watchlists },
      "GET /api/persons": { body: [bob] },
      "POST /api/persons/7/merge": () => {
        current = detail({ merged: [{ ...bob, merged_into: 7 }] });
        return { body: person() };
      },
      "POST /api/persons/7/unmerge": () => {
        current = detail();
        return { body: bob };
      },
    });
    open("/persons/7");
    // When the owner names bob_alt, nothing happens before the confirmation
    await userEvent.type(await screen.findByLabelText(/Merge another person into alice_01/), "bob_alt");
    await userEvent.click(screen.getByRole("button", { name: "Find" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Unmerge undoes it");
    expect(calls.some((c) => c.path === "/api/persons/7/merge")).toBe(false);
    // When confirmed, the merge is asked for with `from`
    await userEvent.click(within(dialog).getByRole("button", { name: "Merge bob_alt" }));
    const unmerge = await screen.findByRole("button", { name: "Unmerge bob_alt" });
    expect(calls.find((c) => c.path === "/api/persons/7/merge")?.body).toEqual({ from: 8 });
    // And it can be undone
    await userEvent.click(unmerge);
    await screen.findByLabelText(/Merge another person into alice_01/);
    expect(calls.find((c) => c.path === "/api/persons/7/unmerge")?.body).toEqual({ from: 8 });
  });

  it("deletes a person with no history after a confirmation", async () => {
    // Given a person only looked up (no interactions, snapshots or attributes)
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail({ recent_interactions: [], interaction_counts: {}, latest_snapshots: {} }) },
      "GET /api/watchlists": { body: watchlists },
      "DELETE /api/persons/7": { body: { person: person(), deletion: {}, changed: true } },
    });
    open("/persons/7");
    // When the owner asks to delete, a confirmation comes first
    await userEvent.click(await screen.findByRole("button", { name: "Delete alice_01" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Yes, delete alice_01" }));
    // Then the API gets the username as confirmation
    await vi.waitFor(() => expect(calls.find((c) => c.method === "DELETE")?.query.get("confirm")).toBe("alice_01"));
  });

  it("offers no deletion for a person with history", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail() },
      "GET /api/watchlists": { body: watchlists },
    });
    open("/persons/7");
    await screen.findByRole("heading", { level: 1, name: /alice_01/ });
    expect(screen.queryByRole("button", { name: "Delete alice_01" })).toBeNull();
  });

  it("says plainly when a person is excluded", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail({ person: person({ is_excluded: true }) }) },
      "GET /api/watchlists": { body: watchlists },
    });
    open("/persons/7");
    expect((await screen.findAllByText(/Excluded:/)).length).toBeGreaterThan(0);
    expect(screen.getByRole("button", { name: "Include again" })).toBeInTheDocument();
  });

  it("shows the API's message when the person does not exist", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/99": apiError(404, "not_found", "person 99 not found"),
    });
    open("/persons/99");
    expect(await screen.findByRole("alert")).toHaveTextContent("person 99 not found");
  });

  it("adds a note with an idempotency key and shows it", async () => {
    const notes: Interaction[] = [];
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail() },
      "GET /api/persons/7/interactions": () => ({ body: { items: [...notes], next_cursor: null } }),
      "POST /api/persons/7/notes": (call) => {
        const text = (call.body as { text: string }).text;
        const note = interaction(50, { type: "MANUAL_NOTE", source: "manual", content: text });
        notes.unshift(note);
        return { status: 201, body: { interaction: note, created: true } };
      },
    });
    open("/persons/7?tab=notes");
    expect(await screen.findByText("No notes yet.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("New note"), "Prefers private shows");
    await userEvent.click(screen.getByRole("button", { name: "Add note" }));
    expect(await screen.findByText("Prefers private shows")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toMatchObject({ text: "Prefers private shows" });
    expect((post?.body as { idempotency_key: string }).idempotency_key).toMatch(/.{8,}/);
    expect(screen.getByLabelText("New note")).toHaveValue("");
  });

  it("filters interactions by type and pages with the cursor", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail() },
      "GET /api/persons/7/interactions": (call) =>
        call.query.get("cursor") === "c2"
          ? { body: { items: [interaction(3)], next_cursor: null } }
          : { body: { items: [interaction(2)], next_cursor: "c2" } },
    });
    open("/persons/7?tab=interactions");
    expect(await screen.findByText("line 2")).toBeInTheDocument();
    // When the owner pages on
    await userEvent.click(screen.getByRole("button", { name: "Older →" }));
    expect(await screen.findByText("line 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Older →" })).toBeDisabled();
    // When a type filter is ticked, paging starts over with the filter sent
    await userEvent.click(screen.getByLabelText("Tip event"));
    expect(await screen.findByText("line 2")).toBeInTheDocument();
    const last = calls.filter((c) => c.path === "/api/persons/7/interactions").at(-1);
    expect(last?.query.getAll("type")).toEqual(["TIP_EVENT"]);
    expect(last?.query.get("cursor")).toBeNull();
  });

  it("moves between tabs with the arrow keys", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail() },
      "GET /api/watchlists": { body: watchlists },
      "GET /api/persons/7/snapshots": { body: [snap(1, "2026-10-30T00:00:00Z", { tokens_total: 10 }), snap(2, "2026-10-31T00:00:00Z", { tokens_total: 20 })] },
    });
    open("/persons/7");
    const overview = await screen.findByRole("tab", { name: "Overview" });
    overview.focus();
    await userEvent.keyboard("{ArrowRight}");
    const timeline = screen.getByRole("tab", { name: "Stats timeline" });
    expect(timeline).toHaveAttribute("aria-selected", "true");
    expect(timeline).toHaveFocus();
    expect(await screen.findByRole("img", { name: /Tokens total: 2 points from 10/ })).toBeInTheDocument();
  });

  it("edits an attribute with its confidence", async () => {
    const attribute = { id: 1, person_id: 7, key: "city", value: "Lyon", confidence: "low" as const, evidence_kind: "manual" as const, snapshot_id: null, interaction_id: null, evidence_note: null, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" };
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/7": { body: detail({ attributes: [attribute] }) },
      "PUT /api/persons/7/attributes/city": { body: { ...attribute, value: "Paris", confidence: "high" } },
    });
    open("/persons/7?tab=attributes");
    await userEvent.click(await screen.findByRole("button", { name: "Edit city" }));
    const form = screen.getByRole("form", { name: "Edit city" });
    const value = within(form).getByLabelText("Value");
    await userEvent.clear(value);
    await userEvent.type(value, "Paris");
    await userEvent.selectOptions(within(form).getByLabelText("Confidence"), "high");
    await userEvent.click(within(form).getByRole("button", { name: "Save attribute" }));
    await screen.findByRole("button", { name: "Edit city" });
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ value: "Paris", confidence: "high", evidence_note: null });
  });
});

describe("timeline series", () => {
  it("builds one series per numeric metric", () => {
    const series = seriesOf([snap(1, "2026-10-30T00:00:00Z", { a: 1, b: "x" }), snap(2, "2026-10-31T00:00:00Z", { a: 3, c: 5 })]);
    expect([...series.keys()]).toEqual(["a", "c"]);
    expect(series.get("a")?.map((p) => p.value)).toEqual([1, 3]);
  });

  it("draws a line through the points, oldest to newest", () => {
    const { container } = render(
      <LineChart title="Followers" points={[{ at: "2026-10-31T00:00:00Z", value: 20 }, { at: "2026-10-30T00:00:00Z", value: 10 }]} />,
    );
    const path = container.querySelector("path.line")?.getAttribute("d") ?? "";
    // Oldest (lowest value) first: starts bottom-left, ends top-right
    const [start, end] = path.split(" ");
    expect(start?.startsWith("M56.0,")).toBe(true);
    expect(Number(end?.split(",")[1])).toBeLessThan(Number(start?.split(",")[1]));
  });
});
