import { describe, expect, it } from "vitest";
import type { JobRun, Reason } from "./api/types";
import { formatAgo, formatDelta, formatDuration, numericMetrics, snapshotLabel, snapshotProvider, typeLabel } from "./format";
import { latestRunPerJob, pillText, stateLabel, stateTone } from "./health";
import { matchPath } from "./router";

function run(job: string, status: JobRun["status"], startedAt: string, id = 1): JobRun {
  return { id, job, started_at: startedAt, finished_at: startedAt, status, counts: {}, error: status === "failed" ? "boom" : null };
}

const failing = (text: string): Reason => ({ level: "failing", text });
const attention = (text: string): Reason => ({ level: "attention", text });

describe("health pill", () => {
  it("names the failing collectors, whatever else ran since, and leaves the rest to the page", () => {
    const reasons = [failing("cb_stats failed"), failing("events poller failing"), attention("affiliate_sweep has never run")];
    expect(pillText({ verdict: "failing", reasons })).toBe("▲ Collector failing: cb_stats failed, events poller failing");
    expect(pillText({ verdict: "failing", reasons: [failing("a failed"), failing("b failed"), failing("c failed")] })).toBe(
      "▲ Collector failing: a failed and 2 more",
    );
  });

  it("never says OK when the API says something is not collecting", () => {
    const reasons = [attention("events poller has never run"), attention("affiliate_sweep not configured"), attention("cb_stats not configured")];
    expect(pillText({ verdict: "attention", reasons })).toBe("◆ Not all collecting: events poller has never run and 2 more");
    expect(pillText({ verdict: "attention", reasons: reasons.slice(1, 2) })).toBe("◆ Not all collecting: affiliate_sweep not configured");
    expect(pillText({ verdict: "ok", reasons: [] })).toBe("● collectors OK");
  });

  it("words and colours each state", () => {
    expect([stateLabel("never_run"), stateTone("never_run")]).toEqual(["never run", "warn"]);
    expect([stateLabel("not_configured"), stateTone("not_configured")]).toEqual(["not configured", "warn"]);
    expect([stateLabel("stale"), stateTone("stale")]).toEqual(["▲ STALE", "bad"]);
    expect(stateTone("disabled")).toBe("off");
  });

  it("keeps one run per job, newest first", () => {
    const runs = [run("a", "succeeded", "2026-11-01T09:00:00Z", 1), run("b", "failed", "2026-11-01T10:00:00Z", 2), run("a", "failed", "2026-11-01T11:00:00Z", 3)];
    expect(latestRunPerJob(runs).map((r) => r.id)).toEqual([3, 2]);
  });
});

describe("format", () => {
  it("signs deltas and leaves missing ones empty", () => {
    expect(formatDelta(12)).toBe("+12");
    expect(formatDelta(-3)).toBe("−3");
    expect(formatDelta(0)).toBe("±0");
    expect(formatDelta(null)).toBe("");
  });

  it("formats durations and relative times", () => {
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(3725)).toBe("1h 02m");
    expect(formatAgo("2026-11-01T11:55:00Z", new Date("2026-11-01T12:00:00Z"))).toBe("5 min ago");
    expect(formatAgo(null)).toBe("never");
  });

  it("labels each snapshot source with its provider", () => {
    expect(snapshotProvider("statbate_member")).toBe("statbate");
    expect(snapshotProvider("cb_stats")).toBe("chaturbate");
    expect(snapshotLabel("statbate_model")).toBe("Statbate · model");
    expect(typeLabel("CHAT_MESSAGE")).toBe("Chat message");
  });

  it("keeps only numeric metrics, sorted", () => {
    expect(numericMetrics({ b: 2, a: 1, name: "x", flag: true })).toEqual([["a", 1], ["b", 2]]);
  });
});

describe("matchPath", () => {
  it("extracts parameters and rejects other shapes", () => {
    expect(matchPath("/persons/:id", "/persons/12")).toEqual({ id: "12" });
    expect(matchPath("/persons/:id", "/persons/12/x")).toBeNull();
    expect(matchPath("/sessions", "/search")).toBeNull();
  });
});
