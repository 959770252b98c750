import type { CollectorStatus, JobRun, JobState, PollerState, Reason, Verdict } from "./api/types";

// The API judges each collector and gives one verdict with reasons (GET /api/health/status):
// the UI only words it. (It used to guess from the last 20 runs of all jobs, where 21 lookups
// hid a failed job.)

/** The newest run of each job, newest job first (the fallback for a server without a jobs API). */
export function latestRunPerJob(runs: JobRun[]): JobRun[] {
  const latest = new Map<string, JobRun>();
  for (const run of runs) {
    const seen = latest.get(run.job);
    if (!seen || run.started_at > seen.started_at || (run.started_at === seen.started_at && run.id > seen.id)) {
      latest.set(run.job, run);
    }
  }
  return [...latest.values()].sort((a, b) => b.started_at.localeCompare(a.started_at));
}

export type Tone = "ok" | "warn" | "bad" | "off";

const STATE_LABEL: Record<PollerState | JobState, string> = {
  ok: "OK",
  stale: "▲ STALE",
  failing: "▲ FAILING",
  not_configured: "not configured",
  never_run: "never run",
  cooling_down: "cooling down",
  disabled: "disabled",
};

const STATE_TONE: Record<PollerState | JobState, Tone> = {
  ok: "ok",
  stale: "bad",
  failing: "bad",
  not_configured: "warn",
  never_run: "warn",
  cooling_down: "warn",
  disabled: "off",
};

export function stateLabel(state: PollerState | JobState): string {
  return STATE_LABEL[state];
}

export function stateTone(state: PollerState | JobState): Tone {
  return STATE_TONE[state];
}

function listed(texts: string[]): string {
  return texts.length <= 2 ? texts.join(", ") : `${texts[0]} and ${texts.length - 1} more`;
}

export function reasonTexts(reasons: Reason[], level: Reason["level"]): string[] {
  return reasons.filter((reason) => reason.level === level).map((reason) => reason.text);
}

/** The header pill's words for a verdict: the failures (the rest is on the health page). */
export function pillText(status: Pick<CollectorStatus, "verdict" | "reasons">): string {
  const { verdict, reasons } = status;
  if (verdict === "ok") return "● collectors OK";
  if (verdict === "failing") return `▲ Collector failing: ${listed(reasonTexts(reasons, "failing"))}`;
  return `◆ Not all collecting: ${listed(reasonTexts(reasons, "attention"))}`;
}

export const VERDICT_TITLE: Record<Verdict, string> = {
  ok: "All collectors OK",
  attention: "Needs attention",
  failing: "Collector failing",
};
