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
export type InteractionSource = "cb_events" | "statbate_plus" | "manual" | "dm_import";
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
  | "ROOM_SUBJECT_CHANGE";
export type JobStatus =
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "not_configured"
  | "auth_expired";

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
  /** When MHC first/last observed them; null while they were only looked up. */
  first_seen_at: Iso | null;
  last_seen_at: Iso | null;
  created_at: Iso;
  updated_at: Iso;
  /** Set when this row was merged into another person. */
  merged_into?: number | null;
}

export interface PersonAlias {
  id: number;
  person_id: number;
  username: string;
  valid_from: Iso;
  valid_to: Iso;
  source: "statbate_did" | "statbate_rid" | "manual" | "merge";
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
  /** null for an anonymous tip: the tipper asked not to be named. */
  person_id: number | null;
  /** The person's current username. */
  person_username: string | null;
  is_anonymous?: boolean;
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

// -- Statbate Plus chat import --------------------------------------------------------------

export interface ImportTarget {
  id: number;
  kind: "room" | "member" | "live";
  name: string;
  /** The next page of an unfinished walk (null: no walk in progress). */
  checkpoint: string | null;
  walk: "full" | "catch_up" | null;
  since: Iso | null;
  until: Iso | null;
  pages_walked: number;
  /** When a full walk last reached the end of the history (null: never). */
  completed_at: Iso | null;
  /** Asked for on demand and not walked to its end since. */
  requested_at: Iso | null;
  claimed_at: Iso | null;
  last_run_at: Iso | null;
  last_status: string | null;
  last_counts: Record<string, unknown>;
  last_error: string | null;
  created_at: Iso;
  updated_at: Iso;
}

export interface PlusSessionStatus {
  state: "ok" | "expired" | "not_configured" | "failing" | "unknown";
  checked_at: Iso | null;
  message: string | null;
  /** What the owner should do (null when nothing is needed). */
  action: string | null;
}

export interface UnreadResponse {
  id: number;
  origin: "plus" | "file";
  url: string | null;
  fetched_at: Iso;
  messages: number;
  unmapped: number;
  problems: Record<string, number>;
  /** The first item the field map could not read, as JSON. */
  example: string | null;
}

export interface ChatImportStatus {
  session: PlusSessionStatus;
  targets: ImportTarget[];
  unread: UnreadResponse[];
  totals: Record<string, number>;
  field_map: Record<string, string[]>;
}
