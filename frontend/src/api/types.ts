// Shapes of the MHC HTTP API, by the names the UI uses. Generated, not mirrored: schema.d.ts is
// produced from the API's OpenAPI document (openapi.json) by `make api-types`; a check in
// `make test` fails when either drifts from what the API produces.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Iso = string;
export type Role = Schemas["Role"];
export type Confidence = Schemas["Confidence"];
export type EvidenceKind = Schemas["EvidenceKind"];
/** Where a figure comes from (shown as a badge next to it). */
export type Provider = Schemas["LiveStatus"]["provider"];
export type SnapshotSource = Schemas["SnapshotSource"];
export type InteractionSource = Schemas["InteractionSource"];
export type InteractionType = Schemas["InteractionType"];
export type JobStatus = Schemas["JobStatus"];

export type ApiErrorBody = Schemas["ErrorBody"];
export type Person = Schemas["Person"];
export type PersonAlias = Schemas["PersonAlias"];
export type Snapshot = Schemas["Snapshot"];
export type SnapshotWithDelta = Schemas["SnapshotWithDelta"];
export type Interaction = Schemas["Interaction"];
/** A page of a cursor-paged list (the API pages interactions). */
export type Page<T> = Omit<Schemas["Page_Interaction_"], "items"> & { items: T[] };
export type Attribute = Schemas["Attribute"];
export type Watchlist = Schemas["Watchlist"];
export type PersonDetail = Schemas["PersonDetail"];
export type StatbateOutcome = Schemas["StatbateOutcome"];
export type RoomActivity = Schemas["RoomActivity"];
export type LookupRequest = Schemas["LookupRequest"];
export type LookupResult = Schemas["LookupResult"];
export type StreamSession = Schemas["StreamSession"];
export type SessionStats = Schemas["SessionStats"];
export type SessionWithStats = Schemas["SessionWithStats"];
export type CurrentSession = Schemas["CurrentSession"];
export type SessionDetail = Schemas["SessionDetail"];
export type SessionResult = Schemas["SessionResult"];
export type SourcedSnapshot = Schemas["SourcedSnapshot"];
export type Tip = Schemas["Tip"];
export type OwnerDashboard = Schemas["OwnerDashboard"];
export type MemberView = Schemas["MemberView"];
export type MembershipResult = Schemas["MembershipResult"];
export type JobRun = Schemas["JobRun"];
export type EventGap = Schemas["EventGap"];
export type IngestHealth = Schemas["IngestHealth"];
export type Job = Schemas["Job"];
export type JobView = Schemas["JobView"];
export type NoteResult = Schemas["NoteResult"];
export type PersonPatch = Schemas["PersonPatch"];
export type AttributeRequest = Schemas["AttributeRequest"];
export type JobPatch = Schemas["JobPatch"];
// GET /api/health/status: each collector's state and one verdict, judged by the API.
export type CollectorStatus = Schemas["CollectorStatus"];
export type PollerHealth = Schemas["PollerHealth"];
export type JobHealth = Schemas["JobHealth"];
export type Reason = Schemas["Reason"];
export type PollerState = PollerHealth["state"];
export type JobState = JobHealth["state"];
export type Verdict = CollectorStatus["verdict"];
// The owner's live status and the signals weighed for it.
export type LiveStatus = Schemas["LiveStatus"];
export type LiveSignal = Schemas["LiveSignal"];
export type MergeRequest = Schemas["MergeRequest"];
export type Deletion = Schemas["Deletion"];
export type SessionDeletion = Schemas["SessionDeletion"];
export type PersonDeletion = Schemas["PersonDeletion"];
export type PasteReading = Schemas["PasteReadingView"];
export type PasteName = Schemas["PasteName"];
// The Statbate Plus chat import: the session, each chat's progress, what the map could not read.
export type ChatImportStatus = Schemas["ChatImportStatus"];
export type ImportTarget = Schemas["ImportTarget"];
export type PlusSessionStatus = ChatImportStatus["session"];
export type UnreadResponse = Schemas["UnreadResponse"];
// The live room, the owner's alerts and their rules.
export type LiveRoom = Schemas["LiveRoom"];
export type RoomPerson = Schemas["RoomPerson"];
export type RoomTotals = Schemas["RoomTotals"];
export type AlertView = Schemas["AlertView"];
export type AlertKind = Schemas["AlertKind"];
export type RulesView = Schemas["RulesView"];
export type AlertRule = RulesView["rules"][number];
export type ThresholdSuggestion = Schemas["ThresholdSuggestion"];
export type Uncertainty = Schemas["Uncertainty"];
// The owner's token-history export: an import's report, past imports, the capture audit.
export type ImportReport = Schemas["ImportReport"];
export type ImportProblem = Schemas["Problem"];
export type ImportSummary = Schemas["ImportSummary"];
export type CaptureAuditView = Schemas["CaptureAuditView"];
export type MissedTip = Schemas["MissedTip"];
export type ShowView = Schemas["ShowView"];
// Behavioural analysis: a person's insights, the audience, a session's recap.
export type Interval = Schemas["Interval"];
export type Estimate = Schemas["Estimate"];
export type InteractionQuery = Schemas["InteractionQuery"];
export type Evidence = Schemas["Evidence"];
export type InsightKind = Schemas["InsightKind"];
export type HistogramBucket = Schemas["HistogramBucket"];
export type SpendingValue = Schemas["SpendingValue"];
export type TimingValue = Schemas["TimingValue"];
export type TagsValue = Schemas["TagsValue"];
export type LoyaltyValue = Schemas["LoyaltyValue"];
export type EngagementValue = Schemas["EngagementValue"];
export type PersonInsights = Schemas["PersonInsights"];
/** One insight card: its figure (`value`), its evidence and how sure it is. */
export type AnyInsight = PersonInsights["insights"][number];
export type Insight<V> = Omit<AnyInsight, "value"> & { value: V };
export type ProposedAttribute = Schemas["InferredAttribute"];
export type AudienceEntry = Schemas["AudienceEntry"];
export type BestHour = Schemas["BestHour"];
export type AudienceView = Schemas["AudienceView"];
export type Comparison = Schemas["Comparison"];
export type RecapView = Schemas["RecapView"];
