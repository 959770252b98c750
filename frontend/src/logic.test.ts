import { describe, expect, it } from "vitest";
import type { JobRun } from "./api/types";
import { formatAgo, formatDelta, formatDuration, numericMetrics, snapshotLabel, snapshotProvider, typeLabel } from "./format";
import { collectorProblems, latestRunPerJob } from "./health";
import { matchPath } from "./router";
import { healthyIngest } from "./test/fakeApi";

function run(job: string, status: JobRun["status"], startedAt: string, id = 1): JobRun {
  return { id, job, started_at: startedAt, finished_at: startedAt, status, counts: {}, error: status === "failed" ? "boom" : null };
}

describe("collectorProblems", () => {
  it("is empty when the poller is fine and every job's last run succeeded", () => {
    const health = healthyIngest({ recent_job_runs: [run("cb_stats", "failed", "2026-11-01T10:00:00Z", 1), run("cb_stats", "succeeded", "2026-11-01T11:00:00Z", 2)] });
    expect(collectorProblems(health)).toEqual([]);
  });

  it("flags a job whose latest run failed and a stale poller", () => {
    const health = healthyIngest({
      poller: "stale",
      recent_job_runs: [run("statbate_refresh", "succeeded", "2026-11-01T10:00:00Z", 1), run("statbate_refresh", "failed", "2026-11-01T11:00:00Z", 2)],
    });
    expect(collectorProblems(health)).toEqual(["events poller is stale", "statbate_refresh failed"]);
  });

  it("does not treat not_configured or a never-run poller as a failure", () => {
    const health = healthyIngest({ poller: "never", recent_job_runs: [run("affiliate_sweep", "not_configured", "2026-11-01T10:00:00Z")] });
    expect(collectorProblems(health)).toEqual([]);
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
