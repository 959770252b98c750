// Shapes of the MHC HTTP API (see /api/openapi.json). Kept by hand: small, and read by people.

export type Iso = string;
export type Role = "MODEL" | "VIEWER" | "BOTH" | "UNKNOWN";
export type Confidence = "low" | "medium" | "high";
export type EvidenceKind = "snapshot" | "interaction" | "manual" | "inferred";
export type Provider = "chaturbate" | "statbate" | "mhc";
export type SnapshotSource =
  | "statbate_member"
  | "statbate_model"
  | "cb_stats"
  | "cb_profile"
  | "affiliate"
  | "manual"
  | "statbate_member_on_model"
  | "statbate_tag_spending"
  | "statbate_member_tips"
  | "statbate_member_activity";
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
  statbate_analysis?: StatbateOutcome[];
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

// -- behavioural analysis: GET /persons/{id}/insights, /owner/audience, /sessions/{id}/recap

export interface Interval {
  low: number;
  high: number;
  level: number;
  method: "wilson" | "order_statistics";
  coverage: number | null;
}

/** How sure a figure is: n observations, the confidence they earn, an interval if any. */
export interface Uncertainty {
  n: number;
  confidence: Confidence;
  not_enough_data: boolean;
  interval: Interval | null;
  note: string | null;
}

/** An estimated figure; `value` is null exactly when there is not enough data. */
export interface Estimate {
  value: number | null;
  uncertainty: Uncertainty;
}

/** The interactions behind a figure, as a filter the person's interactions tab can open. */
export interface InteractionQuery {
  person_id: number | null;
  types: InteractionType[];
  broadcaster: string | null;
  since: Iso | null;
  until: Iso | null;
}

export interface Evidence {
  counts: Record<string, number>;
  window: { since: Iso | null; until: Iso };
  sources: string[];
  query: InteractionQuery | null;
  snapshot_ids: number[];
}

export type InsightKind = "spending" | "timing" | "tags" | "loyalty" | "engagement";

export interface Insight<V> {
  kind: InsightKind;
  title: string;
  summary: string;
  value: V;
  evidence: Evidence;
  uncertainty: Uncertainty;
}

export interface HistogramBucket {
  low: number;
  high: number | null;
  tips: number;
  tokens: number;
}

export interface SpendingValue {
  tokens_to_owner: number;
  tokens_by_kind: Record<string, number>;
  tips_to_owner: number;
  median_tip: Estimate;
  largest_tip: number | null;
  first_tip_at: Iso | null;
  last_tip_at: Iso | null;
  tokens_last_30d: number;
  tokens_prior_30d: number;
  share_of_owner_income: number | null;
  statbate_all_time_tokens: number | null;
  statbate_tokens_to_owner: number | null;
  share_of_wallet: {
    share: number | null;
    numerator_source: string | null;
    numerator_tokens: number | null;
    all_time_tokens: number | null;
    uncertain: boolean;
    reasons: string[];
  };
  tip_histogram: HistogramBucket[];
}

export interface TimingValue {
  timezone: string;
  hour_of_week: number[][];
  by_hour_of_day: number[];
  by_day_of_week: number[];
  active_hours: number;
  peak_hours_of_day: number[];
  peak_days_of_week: number[];
  usual_hours: string | null;
  usual_arrival_minutes: Estimate;
  usual_stay_minutes: Estimate;
  sessions_with_presence: number;
  irregularities: Record<string, number>;
  site_wide_tips?: {
    timezone: string | null;
    captured_at: Iso;
    tips_by_hour: number[];
    tips_by_day: number[];
    tips: number;
  } | null;
}

export interface TagsValue {
  tags: { tag: string; weight: number; sources: { source: string; share: number; amount: number }[] }[];
  sources_used: string[];
}

export interface LoyaltyValue {
  attended_sessions: number;
  eligible_sessions: number;
  attendance: Estimate;
  first_seen_at: Iso;
  tenure_days: number;
  last_visit_at: Iso | null;
  days_since_last_visit: number | null;
  current_streak: number;
  longest_streak: number;
  is_regular: boolean;
  usual_gap_sessions: Estimate;
  usual_gap_days: Estimate;
  sessions_since_last_visit: number | null;
  at_risk: boolean;
  following: boolean | null;
  follows: number;
  unfollows: number;
  last_followed_at: Iso | null;
  fan_club_joined_at: Iso | null;
  rfm: { recency: number; frequency: number; monetary: number; segment: string } | null;
}

export interface EngagementValue {
  attended_sessions: number;
  chat_messages: number;
  mean_messages_per_session: number | null;
  median_messages_per_session: Estimate;
  share_of_sessions_with_chat: Estimate;
  private_messages_received: number;
  private_messages_sent: number;
  media_purchases: number;
  media_tokens: number;
}

export type AnyInsight =
  | Insight<SpendingValue>
  | Insight<TimingValue>
  | Insight<TagsValue>
  | Insight<LoyaltyValue>
  | Insight<EngagementValue>;

export interface ProposedAttribute {
  key: string;
  value: string;
  confidence: Confidence;
  evidence: string;
  kind: string;
}

export interface PersonInsights {
  person_id: number;
  as_of: Iso;
  timezone: string;
  headline: {
    tokens_to_owner: number;
    tips_to_owner: number;
    sessions_attended: number;
    last_visit_at: Iso | null;
    fan_club_joined_at: Iso | null;
    following: boolean | null;
    is_regular: boolean;
    at_risk: boolean;
  };
  insights: AnyInsight[];
  monthly_tokens: { month: string; tokens: number }[];
  attendance: { session_id: number; started_at: Iso; attended: boolean; eligible: boolean }[];
  proposed_attributes: ProposedAttribute[];
}

export interface AudienceEntry {
  person_id: number;
  rank: number;
  value: number;
  evidence: Evidence;
  uncertainty: Uncertainty;
}

export interface BestHour {
  day: number;
  hour: number;
  label: string;
  tokens: number;
  broadcast_hours: number;
  tokens_per_hour: number;
  evidence: Evidence;
  uncertainty: Uncertainty;
}

export interface AudienceView {
  owner: string;
  timezone: string;
  as_of: Iso;
  audience: {
    window: { since: Iso | null; until: Iso };
    people: number;
    top_spenders: AudienceEntry[];
    regulars: AudienceEntry[];
    newcomers: AudienceEntry[];
    at_risk_regulars: AudienceEntry[];
    best_hours: BestHour[];
    rfm_cutoffs: {
      recency_days: number[];
      frequency: number[];
      monetary: number[];
      n: number;
    } | null;
  };
  newcomers_total: number;
  regulars_total: number;
  at_risk_total: number;
  names: Record<string, string>;
  sessions: { session_id: number; started_at: Iso; ended_at: Iso | null; tokens: number; visitors: number }[];
}

export interface Comparison {
  value: number;
  median: number | null;
  ratio: number | null;
  difference: number | null;
  uncertainty: Uncertainty;
}

export interface RecapView {
  session_id: number;
  started_at: Iso;
  ended_at: Iso | null;
  as_of: Iso;
  compared_with: number;
  names: Record<string, string>;
  recap: {
    figures: Record<string, Comparison>;
    top_tippers: { person_id: number; tokens: number; tips: number }[];
    anonymous_tokens: number;
    peak_viewers: { count: number; at: Iso | null; people: number };
    new_visitors: number;
    returning_visitors: number;
  };
}
