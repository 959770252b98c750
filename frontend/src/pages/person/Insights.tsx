import { estimateText, hourLabel, percent } from "../../analysis";
import { api } from "../../api/client";
import type {
  AnyInsight,
  EngagementValue,
  Insight,
  LoyaltyValue,
  PersonInsights,
  ProposedAttribute,
  SpendingValue,
  TagsValue,
  TimingValue,
} from "../../api/types";
import { Time } from "../../components/bits";
import { AttendanceStrip, BarChart, Heatmap } from "../../components/charts";
import { ConfidenceBadge, InsightCard } from "../../components/InsightCard";
import { Async, ErrorMessage } from "../../components/status";
import { formatNumber } from "../../format";
import { type ApiState, useAction } from "../../useApi";

function find<V>(insights: AnyInsight[], kind: AnyInsight["kind"]): Insight<V> | undefined {
  return insights.find((i) => i.kind === kind) as Insight<V> | undefined;
}

function minutes(value: number): string {
  return `${Math.round(value)} min`;
}

function Spending({ insight, data }: { insight: Insight<SpendingValue>; data: PersonInsights }) {
  const v = insight.value;
  const wallet = v.share_of_wallet;
  return (
    <InsightCard id="insight-spending" personId={data.person_id} {...insight}>
      <dl className="facts facts-inline">
        <dt>Typical tip</dt>
        <dd>{estimateText(v.median_tip)}</dd>
        <dt>Largest tip</dt>
        <dd>{formatNumber(v.largest_tip)}</dd>
        <dt>Last 30 days</dt>
        <dd>
          {formatNumber(v.tokens_last_30d)} (prior 30: {formatNumber(v.tokens_prior_30d)})
        </dd>
        <dt>Share of your income</dt>
        <dd>{percent(v.share_of_owner_income, 1)} of the last 30 days</dd>
        <dt>Site-wide (Statbate)</dt>
        <dd>{formatNumber(v.statbate_all_time_tokens)}</dd>
        <dt>Share of wallet</dt>
        <dd>
          {wallet.share === null ? "—" : percent(wallet.share)}
          {wallet.uncertain ? <span className="badge badge-excluded"> uncertain</span> : null}
          {wallet.reasons.length > 0 ? <span className="muted small"> ({wallet.reasons.join("; ")})</span> : null}
        </dd>
      </dl>
      <div className="charts grid-2">
        <BarChart
          title="Tip sizes (tips per size)"
          bars={v.tip_histogram.map((b) => ({
            label: b.high === null ? `${formatNumber(b.low)}+` : `${formatNumber(b.low)}`,
            value: b.tips,
            detail: `${formatNumber(b.low)}${b.high === null ? "+" : `–${formatNumber(b.high)}`} tokens: ${formatNumber(b.tips)} tips, ${formatNumber(b.tokens)} tokens`,
          }))}
        />
        <BarChart
          title={`Tokens to you per month (${data.timezone})`}
          bars={data.monthly_tokens.map((m) => ({ label: m.month, value: m.tokens }))}
          unit=" tokens"
        />
      </div>
    </InsightCard>
  );
}

function Timing({ insight, data }: { insight: Insight<TimingValue>; data: PersonInsights }) {
  const v = insight.value;
  const site = v.site_wide_tips;
  return (
    <InsightCard id="insight-timing" personId={data.person_id} {...insight}>
      <dl className="facts facts-inline">
        <dt>Usual hours</dt>
        <dd>{v.usual_hours ?? "none stands out"}</dd>
        <dt>Usual arrival</dt>
        <dd>
          {estimateText(v.usual_arrival_minutes, minutes)} into your session{" "}
          <ConfidenceBadge uncertainty={v.usual_arrival_minutes.uncertainty} />
        </dd>
        <dt>Usual stay</dt>
        <dd>
          {estimateText(v.usual_stay_minutes, minutes)} <ConfidenceBadge uncertainty={v.usual_stay_minutes.uncertainty} />
        </dd>
      </dl>
      <div className="charts grid-2">
        <Heatmap title={`Active hours by weekday and hour (${v.timezone})`} grid={v.hour_of_week} unit=" hours" />
        {site ? (
          <BarChart
            title={`Statbate: tips everywhere by hour (${site.timezone ?? "UTC"}, as of ${site.captured_at.slice(0, 10)})`}
            bars={site.tips_by_hour.map((tips, hour) => ({ label: hourLabel(hour).slice(0, 2), value: tips }))}
            unit=" tips"
          />
        ) : null}
      </div>
    </InsightCard>
  );
}

function Tags({ insight, data }: { insight: Insight<TagsValue>; data: PersonInsights }) {
  const tags = insight.value.tags.slice(0, 10);
  return (
    <InsightCard id="insight-tags" personId={data.person_id} {...insight}>
      {tags.length === 0 ? null : (
        <ul className="plain-list">
          {tags.map((t) => (
            <li key={t.tag}>
              <strong>{t.tag}</strong> {percent(t.weight)}{" "}
              <span className="muted small">({t.sources.map((s) => s.source.replace(/_/g, " ")).join(", ")})</span>
            </li>
          ))}
        </ul>
      )}
    </InsightCard>
  );
}

function Loyalty({ insight, data }: { insight: Insight<LoyaltyValue>; data: PersonInsights }) {
  const v = insight.value;
  return (
    <InsightCard id="insight-loyalty" personId={data.person_id} {...insight}>
      <dl className="facts facts-inline">
        <dt>Attendance</dt>
        <dd>{estimateText(v.attendance, (x) => percent(x))}</dd>
        <dt>Streak</dt>
        <dd>
          {v.current_streak} now, {v.longest_streak} longest
        </dd>
        <dt>Usual gap</dt>
        <dd>{estimateText(v.usual_gap_sessions)} (sessions from one visit to the next)</dd>
        <dt>Status</dt>
        <dd>
          {v.at_risk ? <strong className="at-risk">at risk</strong> : v.is_regular ? "regular" : "not a regular"}
          {v.rfm ? ` · ${v.rfm.segment.replace("_", " ")} (R${v.rfm.recency} F${v.rfm.frequency} M${v.rfm.monetary})` : ""}
        </dd>
        <dt>Following</dt>
        <dd>
          {v.following === null ? "never followed" : v.following ? "yes" : "unfollowed"} ({v.follows} follows, {v.unfollows} unfollows)
        </dd>
        <dt>Fan club</dt>
        <dd>{v.fan_club_joined_at ? <Time iso={v.fan_club_joined_at} /> : "no"}</dd>
      </dl>
      <AttendanceStrip title="Attendance over your latest sessions" points={data.attendance} />
    </InsightCard>
  );
}

function Engagement({ insight, data }: { insight: Insight<EngagementValue>; data: PersonInsights }) {
  const v = insight.value;
  return (
    <InsightCard id="insight-engagement" personId={data.person_id} {...insight}>
      <dl className="facts facts-inline">
        <dt>Messages per session</dt>
        <dd>{estimateText(v.median_messages_per_session)}</dd>
        <dt>Sessions with chat</dt>
        <dd>{estimateText(v.share_of_sessions_with_chat, (x) => percent(x))}</dd>
        <dt>Private messages</dt>
        <dd>
          {formatNumber(v.private_messages_received)} to you, {formatNumber(v.private_messages_sent)} from you
        </dd>
        <dt>Media bought</dt>
        <dd>
          {formatNumber(v.media_purchases)} ({formatNumber(v.media_tokens)} tokens)
        </dd>
      </dl>
    </InsightCard>
  );
}

function Proposals({ data, onAccepted }: { data: PersonInsights; onAccepted: () => void }) {
  const accept = useAction(async (proposal: ProposedAttribute) => {
    await api.setAttribute(data.person_id, proposal.key, {
      value: proposal.value,
      confidence: proposal.confidence,
      evidence_kind: "inferred",
      evidence_note: proposal.evidence,
    });
    onAccepted();
  });
  if (data.proposed_attributes.length === 0) return null;
  return (
    <section className="card" aria-labelledby="proposals-title">
      <h2 id="proposals-title">Proposed attributes</h2>
      <p className="muted small">Inferred from the figures above; never over a value you set yourself.</p>
      <ul className="plain-list">
        {data.proposed_attributes.map((p) => (
          <li key={p.key} className="row-between">
            <span>
              <strong>{p.key}</strong>: {p.value} <span className={`confidence confidence-${p.confidence}`}>{p.confidence}</span>
              <br />
              <span className="muted small">{p.evidence}</span>
            </span>
            <button type="button" className="small" disabled={accept.running} onClick={() => void accept.run(p)} aria-label={`Accept ${p.key}`}>
              Accept
            </button>
          </li>
        ))}
      </ul>
      {accept.error ? <ErrorMessage error={accept.error} /> : null}
    </section>
  );
}

export function InsightsTab({ state, onChange }: { state: ApiState<PersonInsights>; onChange: () => void }) {
  return (
    <Async state={state} label="Computing insights…">
      {(data) => {
        const spending = find<SpendingValue>(data.insights, "spending");
        const timing = find<TimingValue>(data.insights, "timing");
        const tags = find<TagsValue>(data.insights, "tags");
        const loyalty = find<LoyaltyValue>(data.insights, "loyalty");
        const engagement = find<EngagementValue>(data.insights, "engagement");
        return (
          <>
            <p className="muted small">
              As of <Time iso={data.as_of} />; hours in {data.timezone}. How sure each figure is: docs/analysis.md.
            </p>
            {spending ? <Spending insight={spending} data={data} /> : null}
            {timing ? <Timing insight={timing} data={data} /> : null}
            {loyalty ? <Loyalty insight={loyalty} data={data} /> : null}
            {engagement ? <Engagement insight={engagement} data={data} /> : null}
            {tags ? <Tags insight={tags} data={data} /> : null}
            <Proposals
              data={data}
              onAccepted={() => {
                state.reload();
                onChange();
              }}
            />
          </>
        );
      }}
    </Async>
  );
}

/** The totals an owner looks for first, shown under the person's name on every tab. */
export function PersonHeadline({ state }: { state: ApiState<PersonInsights> }) {
  const h = state.data?.headline;
  if (!h) return null;
  return (
    <dl className="headline" aria-label="Totals">
      <div>
        <dt>Tokens to you</dt>
        <dd>{formatNumber(h.tokens_to_owner)}</dd>
      </div>
      <div>
        <dt>Sessions attended</dt>
        <dd>
          {formatNumber(h.sessions_attended)}
          {h.at_risk ? <span className="badge badge-excluded"> at risk</span> : h.is_regular ? <span className="badge badge-mhc"> regular</span> : null}
        </dd>
      </div>
      <div>
        <dt>Last visit</dt>
        <dd>
          <Time iso={h.last_visit_at} relative />
        </dd>
      </div>
      <div>
        <dt>Fan club</dt>
        <dd>{h.fan_club_joined_at ? <Time iso={h.fan_club_joined_at} /> : "no"}</dd>
      </div>
      <div>
        <dt>Following</dt>
        <dd>{h.following === null ? "—" : h.following ? "yes" : "unfollowed"}</dd>
      </div>
    </dl>
  );
}
