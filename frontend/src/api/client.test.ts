import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, fakeApi } from "../test/fakeApi";
import { ApiError, api, buildUrl, request, setUnauthorizedHandler, tokenStore } from "./client";

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(() => {});
});

describe("buildUrl", () => {
  it("prefixes /api, repeats list parameters and drops empty ones", () => {
    // Given a query with a list, an empty string and a null
    const url = buildUrl("/search", { q: "hi there", type: ["CHAT_MESSAGE", "TIP_EVENT"], cursor: null, x: "" });
    // Then only set values appear, lists repeated
    expect(url).toBe("/api/search?q=hi+there&type=CHAT_MESSAGE&type=TIP_EVENT");
  });
});

describe("request", () => {
  it("sends the stored token as a bearer header", async () => {
    // Given a stored token
    tokenStore.set("s3cret");
    const { calls } = fakeApi({ "GET /api/watchlists": { body: [] } });
    // When a request is made
    await api.watchlists();
    // Then the header carries it
    expect(calls[0]?.headers.Authorization).toBe("Bearer s3cret");
  });

  it("turns the API's error body into an ApiError with its message", async () => {
    // Given an API that answers with its error shape
    fakeApi({
      "GET /api/persons/9": {
        status: 404,
        body: { error: { code: "person_not_found", message: "no person with id 9", details: null } },
      },
    });
    // When the person is requested, Then the error says what the API said
    const error = await api.person(9).catch((exc: unknown) => exc);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("no person with id 9");
    expect((error as ApiError).code).toBe("person_not_found");
    expect((error as ApiError).status).toBe(404);
  });

  it("keeps a validation error's reasons and limits, field by field", async () => {
    fakeApi({
      "POST /api/lookup": apiError(
        422,
        "invalid_input",
        "invalid input: pasted_text: at most 50,000 characters (got 1,000,000)",
        [{ field: "pasted_text", message: "at most 50,000 characters (got 1,000,000)" }],
      ),
    });
    const error = (await api.lookup({ pasted_text: "x", include_statbate: false, include_my_room: false }).catch((exc: unknown) => exc)) as ApiError;
    expect(error.message).toBe("invalid input: pasted_text: at most 50,000 characters (got 1,000,000)");
    expect(error.problems).toEqual([{ field: "pasted_text", message: "at most 50,000 characters (got 1,000,000)" }]);
  });

  it("spells out the problems when an error message names only the fields", async () => {
    // An older API (or a proxy) answering "invalid input: username" with the reasons in details
    fakeApi({
      "POST /api/lookup": apiError(422, "invalid_input", "invalid input: username", [
        { field: "username", message: "String should have at most 64 characters" },
      ]),
    });
    await expect(api.lookup({ username: "x", include_statbate: false, include_my_room: false })).rejects.toThrow(
      "invalid input: username: String should have at most 64 characters",
    );
  });

  it("says a body too large for a proxy is too large", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>too big</html>", { status: 413, statusText: "Payload Too Large" })));
    await expect(request("/lookup", { method: "POST", body: {} })).rejects.toThrow(
      "The request is too large for the API (HTTP 413).",
    );
  });

  it("falls back to the status line when the error is not JSON", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(request("/owner")).rejects.toThrow("HTTP 502: Bad Gateway");
  });

  it("reports a network failure plainly", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    await expect(request("/owner")).rejects.toThrow("The API cannot be reached (network error).");
  });

  it("calls the unauthorized handler on 401 with the stored token, not with a candidate token", async () => {
    // Given a handler and an API that refuses every token
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    fakeApi({ "GET /api/health/ingest": { status: 401, body: { error: { code: "unauthorized", message: "missing or wrong bearer token" } } } });
    // When sign-in checks a candidate token, Then nobody is signed out
    await expect(api.ingestHealth(undefined, "candidate")).rejects.toThrow("missing or wrong bearer token");
    expect(handler).not.toHaveBeenCalled();
    // When a normal request is refused, Then the app is told to sign out
    await expect(api.ingestHealth()).rejects.toThrow();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("sends JSON bodies with the right method", async () => {
    const { calls } = fakeApi({ "PUT /api/persons/3/attributes/home%20town": { body: {} } });
    await api.setAttribute(3, "home town", { value: "Lyon", confidence: "high" });
    expect(calls[0]?.method).toBe("PUT");
    expect(calls[0]?.path).toBe("/api/persons/3/attributes/home%20town");
    expect(calls[0]?.body).toEqual({ value: "Lyon", confidence: "high" });
    expect(calls[0]?.headers["Content-Type"]).toBe("application/json");
  });
});
