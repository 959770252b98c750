// How the UI words an insight's evidence and uncertainty (docs/analysis.md says the rules).
import type { Estimate, Evidence, InsightKind, InteractionQuery, Uncertainty } from "./api/types";
import { formatNumber } from "./format";

/** What each insight's n counts, as the owner reads it. */
const N_OF: Record<InsightKind, [string, string]> = {
  spending: ["tip", "tips"],
  timing: ["active hour", "active hours"],
  tags: ["room", "rooms"],
  loyalty: ["session", "sessions"],
  engagement: ["attended session", "attended sessions"],
  profile: ["profile reading", "profile readings"],
};

export function plural(n: number, [one, many]: [string, string]): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** "2026-02-24" from an ISO instant (the day as UTC writes it, as the API's summaries do). */
export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "the beginning";
}

/** "based on 26 active hours since 2025-09-01". */
export function basedOn(kind: InsightKind, uncertainty: Uncertainty, evidence: Evidence): string {
  const since = evidence.window.since ? ` since ${day(evidence.window.since)}` : "";
  return `based on ${plural(uncertainty.n, N_OF[kind])}${since}`;
}

/** "high confidence", "low confidence", or "not enough data". */
export function confidenceText(uncertainty: Uncertainty): string {
  return uncertainty.not_enough_data ? "not enough data" : `${uncertainty.confidence} confidence`;
}

export function percent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

/** An estimate with its 95% interval: "35 (95%: 10–100)"; "not enough data" when withheld. */
export function estimateText(estimate: Estimate, format: (v: number) => string = formatNumber): string {
  if (estimate.value === null) return "not enough data";
  const interval = estimate.uncertainty.interval;
  if (!interval) return format(estimate.value);
  if (interval.low === interval.high) return format(estimate.value);
  return `${format(estimate.value)} (95%: ${format(interval.low)}–${format(interval.high)})`;
}

/** The person page's interactions tab, filtered to the rows behind a figure. */
export function evidenceHref(query: InteractionQuery | null | undefined, personId: number): string | null {
  if (!query) return null;
  const params = new URLSearchParams({ tab: "interactions" });
  for (const type of query.types) params.append("type", type);
  if (query.broadcaster) params.set("room", query.broadcaster);
  if (query.since) params.set("since", query.since);
  if (query.until) params.set("until", query.until);
  return `/persons/${query.person_id ?? personId}?${params.toString()}`;
}

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

const FIGURE_LABELS: Record<string, string> = {
  tokens: "Tokens",
  tips: "Tips",
  chat_messages: "Chat messages",
  new_followers: "New followers",
  unfollows: "Unfollows",
  unique_visitors: "Unique visitors",
  new_visitors: "New visitors",
  returning_visitors: "Returning visitors",
  peak_viewers: "Peak viewers at once",
};

export const RECAP_ORDER = Object.keys(FIGURE_LABELS);

export function figureLabel(name: string): string {
  return FIGURE_LABELS[name] ?? name.replace(/_/g, " ");
}

/** An ISO day a given number of days before `now` (for the audience window). */
export function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}
