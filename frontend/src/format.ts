// Presentation helpers: times, durations, numbers, and where each figure comes from.
import type { InteractionSource, InteractionType, Provider, SnapshotSource } from "./api/types";

const pad = (n: number) => String(n).padStart(2, "0");

/** Local date and time, to the minute: "2026-11-01 14:03". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "5 min ago" style, relative to `now` (injectable for tests). */
export function formatAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now.getTime() - then) / 1000);
  if (seconds < 0) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function formatNumber(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? value.toLocaleString("en-US")
      : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** "+12", "−3", "±0"; "" when there is no delta to show. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined || Number.isNaN(delta)) return "";
  if (delta === 0) return "±0";
  const text = formatNumber(Math.abs(delta));
  return delta > 0 ? `+${text}` : `−${text}`;
}

export function deltaClass(delta: number | null | undefined): string {
  if (delta === null || delta === undefined || delta === 0) return "delta";
  return delta > 0 ? "delta delta-up" : "delta delta-down";
}

const SNAPSHOT_PROVIDER: Record<SnapshotSource, Provider> = {
  statbate_member: "statbate",
  statbate_model: "statbate",
  cb_stats: "chaturbate",
  cb_profile: "chaturbate",
  affiliate: "chaturbate",
  manual: "mhc",
  statbate_member_on_model: "statbate",
  statbate_tag_spending: "statbate",
  statbate_member_tips: "statbate",
  statbate_member_activity: "statbate",
};

const SNAPSHOT_LABEL: Record<SnapshotSource, string> = {
  statbate_member: "Statbate · member",
  statbate_model: "Statbate · model",
  cb_stats: "Chaturbate · Stats API",
  cb_profile: "Chaturbate · profile",
  affiliate: "Chaturbate · affiliate feed",
  manual: "MHC · manual",
  statbate_member_on_model: "Statbate · in your room",
  statbate_tag_spending: "Statbate · tag spending",
  statbate_member_tips: "Statbate · tips",
  statbate_member_activity: "Statbate · activity",
};

export function snapshotProvider(source: string): Provider {
  return SNAPSHOT_PROVIDER[source as SnapshotSource] ?? "mhc";
}

export function snapshotLabel(source: string): string {
  return SNAPSHOT_LABEL[source as SnapshotSource] ?? source;
}

const INTERACTION_PROVIDER: Record<InteractionSource, Provider> = {
  cb_events: "chaturbate",
  statbate_plus: "statbate",
  manual: "mhc",
  dm_import: "mhc",
  token_history: "chaturbate",
};

export function interactionProvider(source: string): Provider {
  return INTERACTION_PROVIDER[source as InteractionSource] ?? "mhc";
}

export const PROVIDER_NAME: Record<Provider, string> = {
  chaturbate: "Chaturbate",
  statbate: "Statbate",
  mhc: "MHC",
};

export const INTERACTION_TYPES: InteractionType[] = [
  "CHAT_MESSAGE",
  "PRIVATE_MESSAGE",
  "DIRECT_MESSAGE",
  "TIP_EVENT",
  "PROFILE_PASTE",
  "CHAT_IMPORT",
  "MANUAL_NOTE",
  "FOLLOW",
  "UNFOLLOW",
  "USER_ENTER",
  "USER_LEAVE",
  "FANCLUB_JOIN",
  "MEDIA_PURCHASE",
  "ROOM_SUBJECT_CHANGE",
  "PRIVATE_SHOW",
  "SPY_SHOW",
  "OTHER_PAYMENT",
];

export const INTERACTION_SOURCES: InteractionSource[] = [
  "cb_events",
  "statbate_plus",
  "manual",
  "dm_import",
  "token_history",
];

/** Types whose plain words would mislead. */
const TYPE_LABELS: Record<string, string> = { CHAT_IMPORT: "Imported chat" };

/** "CHAT_MESSAGE" → "Chat message". */
export function typeLabel(type: string): string {
  const special = TYPE_LABELS[type];
  if (special) return special;
  const words = type.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Numeric metrics of a snapshot, sorted by name (non-numeric ones are shown in the profile). */
export function numericMetrics(metrics: Record<string, unknown>): [string, number][] {
  return Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === "number")
    .sort(([a], [b]) => a.localeCompare(b));
}

export function metricLabel(key: string): string {
  return typeLabel(key);
}
