// The analysis pages on answers the real API gave for the known history of
// tests/analysis_world.py (src/test/fixtures): rita the regular, the audience, the last recap.
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { basedOn, estimateText, evidenceHref } from "../analysis";
import { tokenStore } from "../api/client";
import type { AudienceView, PersonDetail, PersonInsights, RecapView } from "../api/types";
import { App } from "../App";
import audienceJson from "../test/fixtures/audience.json";
import insightsJson from "../test/fixtures/insights.json";
import recapJson from "../test/fixtures/recap.json";
import { fakeApi, healthyIngest, person } from "../test/fakeApi";

const insights = insightsJson as unknown as PersonInsights;
const audience = audienceJson as unknown as AudienceView;
const recap = recapJson as unknown as RecapView;

beforeEach(() => tokenStore.set("good"));
afterEach(() => vi.unstubAllGlobals());

function rita(): PersonDetail {
  return {
    person: person({ id: 2, username: "rita" }),
    aliases: [],
    latest_snapshots: {},
    recent_interactions: [],
    interaction_counts: {},
    watchlists: [],
    attributes: [],
    merged: [],
    pastes: [],
  };
}

function open(path: string) {
  window.history.replaceState(null, "", path);
  render(<App />);
}

describe("evidence and uncertainty in words", () => {
  it("says what a figure rests on and how sure it is", () => {
    const spending = insights.insights[0]!;
    expect(basedOn(spending.kind, spending.uncertainty, spending.evidence)).toBe("based on 7 tips since 2025-09-01");
    const typical = (insights.insights[0]!.value as { median_tip: Parameters<typeof estimateText>[0] }).median_tip;
    expect(estimateText(typical)).toBe("35 (95%: 10–100)");
    expect(estimateText({ value: null, uncertainty: { ...typical.uncertainty, not_enough_data: true } })).toBe("not enough data");
  });

  it("links a figure to the interactions behind it", () => {
    expect(evidenceHref(insights.insights[0]!.evidence.query, 2)).toBe(
      "/persons/2?tab=interactions&type=TIP_EVENT&type=MEDIA_PURCHASE&room=the_owner&until=2026-02-24T12%3A00%3A00Z",
    );
    expect(evidenceHref(null, 2)).toBeNull();
  });
});

describe("person insights", () => {
  it("shows the headline, each card's evidence and confidence, and the charts", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/2": { body: rita() },
      "GET /api/persons/2/insights": { body: insights },
    });
    open("/persons/2?tab=insights");
    const headline = await screen.findByLabelText("Totals");
    expect(within(headline).getByText("300")).toBeInTheDocument();
    expect(within(headline).getByText("regular", { exact: false })).toBeInTheDocument();
    const spending = await screen.findByRole("region", { name: "Spending" });
    expect(within(spending).getByText(/based on 7 tips since 2025-09-01/)).toBeInTheDocument();
    expect(within(spending).getByText("low confidence")).toBeInTheDocument();
    expect(within(spending).getByRole("link", { name: "see the evidence" })).toHaveAttribute(
      "href",
      "/persons/2?tab=interactions&type=TIP_EVENT&type=MEDIA_PURCHASE&room=the_owner&until=2026-02-24T12%3A00%3A00Z",
    );
    expect(within(spending).getByRole("img", { name: /Tip sizes .*: 9 bars, highest 25 with 3/ })).toBeInTheDocument();
    expect(within(spending).getByRole("img", { name: /Tokens to you per month .*highest 2026-02 with 190/ })).toBeInTheDocument();
    const timing = screen.getByRole("region", { name: "Timing" });
    expect(within(timing).getByText(/based on 26 active hours/)).toBeInTheDocument();
    expect(within(timing).getByText("medium confidence")).toBeInTheDocument();
    expect(within(timing).getByRole("img", { name: /most on Mon at 21:00 \(9\)/ })).toBeInTheDocument();
    const loyalty = screen.getByRole("region", { name: "Loyalty" });
    expect(within(loyalty).getByRole("img", { name: /attended 8 of the 8 sessions/ })).toBeInTheDocument();
    expect(within(loyalty).getByText(/champion/)).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Tags" })).toHaveTextContent("feet 56%");
  });

  it("accepts a proposed attribute with one click, as inferred evidence", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/2": { body: rita() },
      "GET /api/persons/2/insights": { body: insights },
      "PUT /api/persons/2/attributes/usual_hours": { body: {} },
    });
    open("/persons/2?tab=insights");
    await userEvent.click(await screen.findByRole("button", { name: "Accept usual_hours" }));
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({
      value: "Mon; 21:00-00:00 (Europe/Berlin)",
      confidence: "medium",
      evidence_kind: "inferred",
      evidence_note: insights.proposed_attributes[0]!.evidence,
    });
  });

  it("opens the evidence as a filtered interactions list", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/persons/2": { body: rita() },
      "GET /api/persons/2/insights": { body: insights },
      "GET /api/persons/2/interactions": { body: { items: [], next_cursor: null } },
    });
    open("/persons/2?tab=interactions&type=TIP_EVENT&type=MEDIA_PURCHASE&room=the_owner&until=2026-02-24T12%3A00%3A00Z");
    expect(await screen.findByRole("note")).toHaveTextContent("Showing the evidence of a figure in the_owner's room");
    const asked = calls.filter((c) => c.path === "/api/persons/2/interactions").at(-1)!;
    expect(asked.query.getAll("type")).toEqual(["TIP_EVENT", "MEDIA_PURCHASE"]);
    expect(asked.query.get("broadcaster")).toBe("the_owner");
    expect(asked.query.get("until")).toBe("2026-02-24T12:00:00Z");
    expect(screen.getByLabelText("Tip event")).toBeChecked();
    // Show all: the time and room filter goes, the types stay
    await userEvent.click(screen.getByRole("button", { name: "Show all times and rooms" }));
    const all = calls.filter((c) => c.path === "/api/persons/2/interactions").at(-1)!;
    expect(all.query.get("broadcaster")).toBeNull();
    expect(all.query.getAll("type")).toEqual(["TIP_EVENT", "MEDIA_PURCHASE"]);
  });
});

describe("audience", () => {
  it("lists spenders, regulars, newcomers and the regulars at risk, and changes the period", async () => {
    const { calls } = fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/owner/audience": { body: audience },
    });
    open("/audience");
    const spenders = await screen.findByRole("region", { name: "Top spenders" });
    const rows = within(spenders).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[1]!.textContent)).toEqual(["rita", "mo_new", "dan", "andy", "nia"]);
    expect(within(rows[0]!).getByText("260")).toBeInTheDocument();
    const risk = screen.getByRole("region", { name: "Regulars at risk" });
    expect(within(risk).getByRole("link", { name: "dan" })).toHaveAttribute("href", "/persons/3");
    expect(screen.getByRole("region", { name: "Newcomers" })).toHaveTextContent("4 people first seen");
    expect(screen.getByRole("region", { name: "Regulars" })).toHaveTextContent("2 regulars: at least 6");
    expect(screen.getByRole("region", { name: "Regulars at risk" })).toHaveTextContent("1 regular missed more sessions");
    expect(screen.getByRole("img", { name: /Top spenders of the period: rita 260 tokens/ })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Best hours of the week" })).toHaveTextContent("Mon 21:00");
    // The default period is 90 days; "Last 30 days" asks again with its own start
    const first = calls.filter((c) => c.path === "/api/owner/audience").at(-1)!;
    expect(first.query.get("since")).not.toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Last 30 days" }));
    const second = calls.filter((c) => c.path === "/api/owner/audience").at(-1)!;
    const days = (Date.now() - new Date(second.query.get("since")!).getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });
});

describe("session recap", () => {
  it("sets each figure against the owner's median session", async () => {
    fakeApi({
      "GET /api/health/ingest": { body: healthyIngest() },
      "GET /api/sessions/8": {
        body: {
          session: { id: 8, started_at: recap.started_at, ended_at: recap.ended_at, source: "cb_events", created_at: recap.started_at, updated_at: recap.started_at },
          stats: { session_id: 8, duration_seconds: 10800, interactions: 12, tips: 2, tokens: 55, distinct_visitors: 2 },
          interactions: { items: [], next_cursor: null },
        },
      },
      "GET /api/sessions/8/recap": { body: recap },
    });
    open("/sessions/8");
    const panel = await screen.findByRole("region", { name: "Recap" });
    const tokens = await within(panel).findByRole("row", { name: /^Tokens/ });
    expect(within(tokens).getAllByRole("cell").map((c) => c.textContent)).toEqual(["55", "40", "+15 (138%)", "low confidence"]);
    expect(panel).toHaveTextContent("median over the 7 sessions before this one");
    expect(within(panel).getByRole("img", { name: /Top tippers: rita 50 tokens, nia 5 tokens/ })).toBeInTheDocument();
  });
});
