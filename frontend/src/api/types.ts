// Shapes of the MHC HTTP API (see /api/openapi.json). Kept by hand: small, and read by people.

export type Iso = string;
export type Role = "MODEL" | "VIEWER" | "BOTH" | "UNKNOWN";
export type Confidence = "low" | "medium" | "high";
export type EvidenceKind = "snapshot" | "interaction" | "manual";
export type Provider = "chaturbate" | "statbate" | "mhc";
export type SnapshotSource =
  | "statbate_member"
  | "statbate_model"
  | "cb_stats"
  | "cb_profile"
  | "affiliate"
  | "manual";
export type InteractionSource =
  | "cb_events"
  | "statbate_plus"
  | "manual"
  | "dm_import"
  | "token_history";
export type InteractionType =
  | "CHAT_MESSAGE"
  | "PRIVATE_MESSAGE"
  | "DIRECT_MESSAGE"
  | "TIP_EVENT"
  | "PROFILE_PASTE"
  | "CHAT_IMPORT"
  | "MANUAL_NOTE"
  | "FOLLOW"
  | "UNFOLLOW"
  | "USER_ENTER"
  | "USER_LEAVE"
  | "FANCLUB_JOIN"
  | "MEDIA_PURCHASE"
  | "ROOM_SUBJECT_CHANGE"
  | "PRIVATE_SHOW"
  | "SPY_SHOW"
  | "OTHER_PAYMENT";
export type JobStatus = "running" | "succeeded" | "failed" | "skipped" | "not_configured";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface Person {
  id: number;
  platform: string;
  username: string;
  username_since: Iso;
  role: Role;
  role_is_manual: boolean;
  rid: number | null;
  did: number | null;
  is_excluded: boolean;
  first_seen_at: Iso;
  last_seen_at: Iso;
  created_at: Iso;
  updated_at: Iso;
}

export interface PersonAlias {
  id: number;
  person_id: number;
  username: string;
  valid_from: Iso;
  valid_to: Iso;
  source: "statbate_did" | "statbate_rid" | "manual";
}

export interface Snapshot {
  id: number;
  person_id: number;
  source: SnapshotSource;
  captured_at: Iso;
  raw_payload: unknown;
  normalized_metrics: Record<string, unknown>;
  created_at: Iso;
}

export interface SnapshotWithDelta {
  snapshot: Snapshot;
  delta: Record<string, number | null> | null;
}

export interface Interaction {
  id: number;
  person_id: number;
  /** The person's current username. */
  person_username: string;
  type: InteractionType;
  source: InteractionSource;
  external_id: string;
  occurred_at: Iso;
  broadcaster: string | null;
  content: string | null;
  metadata: Record<string, unknown>;
  created_at: Iso;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Attribute {
  id: number;
  person_id: number;
  key: string;
  value: string;
  confidence: Confidence;
  evidence_kind: EvidenceKind;
  snapshot_id: number | null;
  interaction_id: number | null;
  evidence_note: string | null;
  created_at: Iso;
  updated_at: Iso;
}

export interface Watchlist {
  id: number;
  name: string;
  is_system: boolean;
  member_count: number;
}

export interface PersonDetail {
  person: Person;
  aliases: PersonAlias[];
  latest_snapshots: Record<string, SnapshotWithDelta>;
  recent_interactions: Interaction[];
  interaction_counts: Record<string, number>;
  watchlists: Watchlist[];
  attributes: Attribute[];
}

export interface StatbateOutcome {
  source: SnapshotSource;
  status: "ok" | "not_found" | "failed" | "not_configured";
  snapshot_id?: number | null;
  error?: string | null;
}

export interface RoomActivity {
  owner: string;
  interactions: number;
  tips: number;
  tokens: number;
  chat_messages: number;
  private_messages: number;
  visits: number;
  first_seen_at: Iso | null;
  last_seen_at: Iso | null;
  recent: Interaction[];
}

export interface LookupRequest {
  username?: string | null;
  role?: Role | null;
  pasted_text?: string | null;
  include_statbate?: boolean;
  include_my_room?: boolean;
}

export interface LookupResult {
  person: Person;
  aliases: PersonAlias[];
  resolution: "existing" | "alias" | "renamed" | "new" | "conflict";
  extracted_usernames: string[];
  also_found: Person[];
  paste: Interaction | null;
  paste_created: boolean;
  statbate: StatbateOutcome[];
  latest_snapshots: Record<string, SnapshotWithDelta>;
  recent_interactions: Interaction[];
  attributes: Attribute[];
  notes: Interaction[];
  my_room: RoomActivity | null;
  notices: string[];
}

export interface StreamSession {
  id: number;
  started_at: Iso;
  ended_at: Iso | null;
  source: "manual" | "cb_events";
  created_at: Iso;
  updated_at: Iso;
}

export interface SessionStats {
  session_id: number;
  duration_seconds: number;
  interactions: number;
  tips: number;
  tokens: number;
  distinct_visitors: number;
}

export interface SessionWithStats {
  provider?: Provider;
  source?: string;
  session: StreamSession;
  stats: SessionStats;
}

export interface CurrentSession {
  live: boolean;
  session: StreamSession | null;
  stats: SessionStats | null;
}

export interface SessionDetail {
  session: StreamSession;
  stats: SessionStats;
  interactions: Page<Interaction>;
}

export interface SessionResult {
  session: StreamSession | null;
}

export interface SourcedSnapshot {
  provider: Provider;
  source: SnapshotSource;
  snapshot: SnapshotWithDelta | null;
  follower_delta?: number | null;
}

export interface Tip {
  interaction_id: number;
  occurred_at: Iso;
  tokens: number | null;
  message: string | null;
  is_anonymous: boolean;
  person_id: number | null;
  username: string | null;
}

export interface OwnerDashboard {
  owner: string;
  person_id: number | null;
  live: { provider?: Provider; source?: string; is_live: boolean; since: Iso | null };
  current_session: SessionWithStats | null;
  stats: SourcedSnapshot;
  statbate: SourcedSnapshot;
  recent_tips: { provider?: Provider; source?: string; items: Tip[] };
  recent_sessions: SessionWithStats[];
}

export interface MemberView {
  person: Person;
  added_at: Iso;
  last_interaction_at: Iso | null;
  last_snapshot: SnapshotWithDelta | null;
  online: boolean | null;
  last_seen_online_at: Iso | null;
}

export interface MembershipResult {
  watchlist_id: number;
  person_id: number;
  member: boolean;
  changed: boolean;
}

export interface JobRun {
  id: number;
  job: string;
  started_at: Iso;
  finished_at: Iso | null;
  status: JobStatus;
  counts: Record<string, unknown>;
  error: string | null;
}

export interface EventGap {
  id: number;
  detected_at: Iso;
  last_event_id: string | null;
  last_event_at: Iso | null;
  reason: string;
  created_at: Iso;
}

export interface IngestHealth {
  checked_at: Iso;
  last_event_at: Iso | null;
  last_event_received_at: Iso | null;
  event_lag_seconds: number | null;
  last_successful_poll_at: Iso | null;
  poll_lag_seconds: number | null;
  poller: "ok" | "stale" | "never";
  recent_job_runs: JobRun[];
  recent_event_gaps: EventGap[];
}

export interface Job {
  name: string;
  kind: string;
  enabled: boolean;
  interval_seconds: number;
  config: Record<string, unknown>;
  last_run_at: Iso | null;
  last_status: JobStatus | null;
  next_run_at: Iso | null;
  created_at: Iso;
  updated_at: Iso;
}

export interface JobView {
  job: Job;
  effective_config: Record<string, unknown>;
  last_run: JobRun | null;
  recent_runs: JobRun[];
  cool_down_until: Iso | null;
}

// ---------------------------------------------------------------- live room and alerts

export interface RoomPerson {
  person_id: number;
  username: string;
  arrived_at: Iso;
  arrival_event_id: string;
  /** The Events API's user flags on their latest enter/leave. */
  flags: Record<string, unknown>;
  lifetime_tokens: number;
  tokens_this_session: number;
  visits: number;
  last_visit_at: Iso | null;
  notes: string[];
  watchlists: { id: number; name: string }[];
  attributes: { key: string; value: string; confidence: Confidence }[];
  fan_club: boolean;
  why: string;
}

export interface LiveRoom {
  owner: string;
  live: boolean;
  checked_at: Iso;
  session: StreamSession | null;
  totals: {
    duration_seconds: number;
    /** Tips and media purchases, anonymous ones included. */
    tokens: number;
    tips: number;
    /** People who came in this session. */
    entered: number;
    present: number;
    hidden: number;
    peak: number;
    peak_at: Iso | null;
    anonymous_tips: number;
    anonymous_tokens: number;
  } | null;
  people: RoomPerson[];
}

export interface AlertView {
  key: string;
  rule_id: string;
  kind: AlertKind;
  person_id: number;
  username: string;
  trigger: "arrival" | "follow";
  event_id: string;
  at: Iso;
  reason: string;
  sound: boolean;
}

export type AlertKind =
  | "lifetime_tokens"
  | "big_tip"
  | "watchlist"
  | "returning_regular"
  | "new_follower_tipper";

interface RuleBase {
  id: string;
  enabled: boolean;
  sound: boolean;
}

export type AlertRule =
  | (RuleBase & { kind: "lifetime_tokens"; min_tokens: number })
  | (RuleBase & { kind: "big_tip"; min_tokens: number; within_days: number })
  | (RuleBase & { kind: "watchlist"; watchlist_id: number })
  | (RuleBase & { kind: "returning_regular"; min_days_away: number })
  | (RuleBase & { kind: "new_follower_tipper"; min_tokens: number });

export interface Uncertainty {
  n: number;
  confidence: Confidence;
  not_enough_data: boolean;
  interval?: { low: number; high: number; level: number; method: string } | null;
  note?: string | null;
}

export interface ThresholdSuggestion {
  kind: AlertKind;
  threshold: number | null;
  top_share: number;
  n: number;
  at_or_above: number;
  reasoning: string;
  uncertainty: Uncertainty;
}

export interface RulesView {
  rules: AlertRule[];
  saved_at: Iso | null;
  suggestions: ThresholdSuggestion[];
}

// ---------------------------------------------------------------- token history

export interface ImportProblem {
  line: number;
  kind: string;
  message: string;
}

export interface ImportReport {
  imported: boolean;
  import_id: number | null;
  file_name: string | null;
  timezone: string;
  lines: number;
  good_rows: number;
  new_rows: number;
  already_stored: number;
  linked: number;
  times_differ: number;
  problem_count: number;
  problems: ImportProblem[];
  accepted_problems: boolean;
  first_at: Iso | null;
  last_at: Iso | null;
  by_type: Record<string, { rows: number; tokens: number }>;
  persons: number;
}

export interface ImportSummary {
  id: number;
  imported_at: Iso;
  file_name: string | null;
  timezone: string;
  lines: number;
  good_rows: number;
  new_rows: number;
  linked: number;
  times_differ: number;
  problem_count: number;
  first_at: Iso | null;
  last_at: Iso | null;
}

export interface MissedTip {
  row_id: string;
  person_id: number;
  username: string;
  tokens: number;
  at: Iso;
  explained: boolean;
  gap_start: Iso | null;
  gap_end: Iso | null;
}

export interface CaptureAuditView {
  unavailable: string | null;
  period_start: Iso | null;
  period_end: Iso | null;
  export_first_at: Iso | null;
  export_last_at: Iso | null;
  exported: number;
  seen_live: number;
  share_seen: { value: number | null; uncertainty: Uncertainty } | null;
  explained: number;
  missed: MissedTip[];
}
