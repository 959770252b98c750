import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/client";
import { App } from "../App";
import { apiError, fakeApi, healthyIngest, healthyStatus } from "../test/fakeApi";

afterEach(() => vi.unstubAllGlobals());

const refused = apiError(401, "unauthorized", "missing or wrong bearer token");

describe("sign in", () => {
  it("keeps a token the API accepts, in sessionStorage, and shows the app", async () => {
    // Given an API that accepts only "good"
    fakeApi({
      "GET /api/health/ingest": (call) => (call.headers.Authorization === "Bearer good" ? { body: healthyIngest() } : refused),
    });
    render(<App />);
    // When the owner types the good token
    await userEvent.type(screen.getByLabelText("API token"), "good");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    // Then the lookup page shows and the token is kept for the session
    expect(await screen.findByRole("heading", { name: "Lookup", level: 1 })).toBeInTheDocument();
    expect(tokenStore.get()).toBe("good");
    expect(await screen.findByText(/collectors OK/)).toBeInTheDocument();
  });

  it("shows the API's message for a wrong token and keeps nothing", async () => {
    fakeApi({ "GET /api/health/ingest": refused });
    render(<App />);
    await userEvent.type(screen.getByLabelText("API token"), "bad");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("missing or wrong bearer token");
    expect(tokenStore.get()).toBeNull();
  });

  it("signs out on request and forgets the token", async () => {
    tokenStore.set("good");
    fakeApi({ "GET /api/health/ingest": { body: healthyIngest() } });
    render(<App />);
    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(screen.getByLabelText("API token")).toBeInTheDocument();
    expect(tokenStore.get()).toBeNull();
  });

  it("returns to sign-in with a reason when a stored token stops working", async () => {
    tokenStore.set("revoked");
    fakeApi({ "GET /api/health/ingest": refused, "GET /api/health/status": refused });
    render(<App />);
    expect(await screen.findByText(/The API refused the token/)).toBeInTheDocument();
    expect(tokenStore.get()).toBeNull();
  });
});

describe("header", () => {
  it("flags a failing collector on every page", async () => {
    // Given the API judging a job failing
    tokenStore.set("good");
    fakeApi({ "GET /api/health/status": { body: healthyStatus({ verdict: "failing", reasons: [{ level: "failing", text: "statbate_refresh failed" }] }) } });
    window.history.replaceState(null, "", "/search");
    render(<App />);
    // Then the header says so, as an alert linking to the health page
    const flag = await screen.findByText(/Collector failing: statbate_refresh failed/);
    expect(flag.closest("a")).toHaveAttribute("href", "/health");
  });
});

describe("keyboard", () => {
  it("moves focus to the content after navigating, unless a field there took it", async () => {
    tokenStore.set("good");
    fakeApi({ "GET /api/health/ingest": { body: healthyIngest() }, "GET /api/sessions": { body: [] } });
    render(<App />);
    // The lookup page focuses its username field
    await screen.findByRole("heading", { name: "Lookup", level: 1 });
    expect(screen.getByLabelText("Username")).toHaveFocus();
    // Navigating to a page without such a field puts focus on the main region
    await userEvent.click(screen.getByRole("link", { name: "Sessions" }));
    await screen.findByText("No sessions.");
    expect(screen.getByRole("main")).toHaveFocus();
  });
});
