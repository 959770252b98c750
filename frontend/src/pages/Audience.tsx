import { type FormEvent, useId, useState } from "react";
import { daysBefore, percent, plural } from "../analysis";
import { api } from "../api/client";
import type { AudienceEntry, AudienceView } from "../api/types";
import { DataTable, PersonLink, ProviderBadge, Time } from "../components/bits";
import { BarChart, RankBars } from "../components/charts";
import { ConfidenceBadge } from "../components/InsightCard";
import { Async } from "../components/status";
import { formatNumber } from "../format";
import { useApi } from "../useApi";

const PRESETS = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "a year" },
];

export interface Window {
  since: string | null;
  until: string | null;
}

function name(view: AudienceView, id: number): string {
  return view.names[String(id)] ?? `#${id}`;
}

function EntryTable({
  view,
  entries,
  caption,
  valueLabel,
  value,
}: {
  view: AudienceView;
  entries: AudienceEntry[];
  caption: string;
  valueLabel: string;
  value: (entry: AudienceEntry) => string;
}) {
  if (entries.length === 0) return <p className="muted">Nobody in this window.</p>;
  return (
    <DataTable caption={caption} columns={["#", "Person", { label: valueLabel, numeric: true }, { label: "Attended / since first seen", numeric: true }, "Confidence"]}>
      {entries.map((e) => (
        <tr key={e.person_id}>
          <td>{e.rank}</td>
          <td>
            <PersonLink id={e.person_id} username={name(view, e.person_id)} />
          </td>
          <td className="num">{value(e)}</td>
          <td className="num">
            {formatNumber(e.evidence.counts?.sessions_attended ?? 0)} / {formatNumber(e.evidence.counts?.sessions_eligible ?? 0)}
          </td>
          <td>
            <ConfidenceBadge uncertainty={e.uncertainty} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function Lists({ view }: { view: AudienceView }) {
  const a = view.audience;
  return (
    <>
      <p className="muted">
        {plural(a.people, ["person", "people"])} from <Time iso={a.window.since} /> to <Time iso={a.window.until} /> (hours in{" "}
        {view.timezone}). Excluded persons and you appear nowhere. <ProviderBadge provider="mhc" detail="from room events" />
      </p>
      <div className="grid-2">
        <RankBars
          title="Top spenders of the period"
          rows={a.top_spenders.slice(0, 10).map((e) => ({ label: name(view, e.person_id), value: e.value }))}
          unit=" tokens"
        />
        <BarChart
          title="Tokens per session"
          bars={view.sessions.map((s) => ({
            label: s.started_at.slice(5, 10),
            value: s.tokens,
            detail: `${s.started_at.slice(0, 16).replace("T", " ")}: ${formatNumber(s.tokens)} tokens, ${formatNumber(s.visitors)} visitors`,
          }))}
          unit=" tokens"
        />
      </div>
      <section aria-labelledby="spenders-title">
        <h2 id="spenders-title">Top spenders</h2>
        <EntryTable view={view} entries={a.top_spenders} caption="Top spenders" valueLabel="Tokens" value={(e) => formatNumber(e.value)} />
      </section>
      <section aria-labelledby="regulars-title">
        <h2 id="regulars-title">Regulars</h2>
        <p className="muted small">
          {plural(view.regulars_total, ["regular", "regulars"])}: at least 6 of your sessions in the period and a quarter of
          those since first seen{view.regulars_total > a.regulars.length ? "; the most faithful:" : "."}
        </p>
        <EntryTable view={view} entries={a.regulars} caption="Regulars" valueLabel="Attendance" value={(e) => percent(e.value)} />
      </section>
      <section aria-labelledby="risk-title">
        <h2 id="risk-title">Regulars at risk</h2>
        <p className="muted small">
          {plural(view.at_risk_total, ["regular", "regulars"])} missed more sessions since their last visit than twice their
          usual gap.
        </p>
        <EntryTable view={view} entries={a.at_risk_regulars} caption="Regulars at risk" valueLabel="Sessions missed" value={(e) => formatNumber(e.value)} />
      </section>
      <section aria-labelledby="new-title">
        <h2 id="new-title">Newcomers</h2>
        <p className="muted small">
          {plural(view.newcomers_total, ["person", "people"])} first seen in your room in this window; the newest:
        </p>
        <EntryTable view={view} entries={a.newcomers} caption="Newcomers" valueLabel="Sessions attended" value={(e) => formatNumber(e.value)} />
      </section>
      <section aria-labelledby="hours-title">
        <h2 id="hours-title">Best hours of the week</h2>
        <p className="muted small">Tokens per hour you were live, where you broadcast in at least 5 sessions.</p>
        {a.best_hours.length === 0 ? (
          <p className="muted">Not enough broadcasts in any hour yet.</p>
        ) : (
          <DataTable caption="Best hours" columns={["Hour", { label: "Tokens per hour", numeric: true }, { label: "Tokens", numeric: true }, { label: "Hours live", numeric: true }, "Confidence"]}>
            {a.best_hours.map((h) => (
              <tr key={h.label}>
                <td>{h.label}</td>
                <td className="num">{formatNumber(Math.round(h.tokens_per_hour * 10) / 10)}</td>
                <td className="num">{formatNumber(h.tokens)}</td>
                <td className="num">{formatNumber(Math.round(h.broadcast_hours * 10) / 10)}</td>
                <td>
                  <ConfidenceBadge uncertainty={h.uncertainty} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      {a.rfm_cutoffs ? (
        <p className="muted small">
          Segment edges (fifths of the {formatNumber(a.rfm_cutoffs.n)} who attended): days since last visit{" "}
          {a.rfm_cutoffs.recency_days.map((v) => formatNumber(Math.round(v * 10) / 10)).join(" / ")}; sessions{" "}
          {a.rfm_cutoffs.frequency.map((v) => formatNumber(v)).join(" / ")}; tokens {a.rfm_cutoffs.monetary.map((v) => formatNumber(v)).join(" / ")}.
        </p>
      ) : null}
    </>
  );
}

export function AudiencePage() {
  const [windowDays, setWindowDays] = useState<number | null>(90);
  const [custom, setCustom] = useState<Window>({ since: null, until: null });
  const ids = { since: useId(), until: useId() };
  const [draft, setDraft] = useState({ since: "", until: "" });
  const period: Window = windowDays === null ? custom : { since: daysBefore(new Date(), windowDays), until: null };
  const state = useApi((signal) => api.audience(period, signal), [windowDays, custom.since, custom.until]);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setCustom({
      since: draft.since ? new Date(`${draft.since}T00:00:00`).toISOString() : null,
      until: draft.until ? new Date(`${draft.until}T00:00:00`).toISOString() : null,
    });
    setWindowDays(null);
  };
  return (
    <>
      <h1>Audience</h1>
      <div className="row period" role="group" aria-label="Period">
        {PRESETS.map((p) => (
          <button key={p.days} type="button" className="small toggle" aria-pressed={windowDays === p.days} onClick={() => setWindowDays(p.days)}>
            Last {p.label}
          </button>
        ))}
        <form className="row" onSubmit={apply} aria-label="Custom period">
          <div className="field">
            <label htmlFor={ids.since}>From</label>
            <input id={ids.since} type="date" value={draft.since} onChange={(e) => setDraft((d) => ({ ...d, since: e.target.value }))} />
          </div>
          <div className="field">
            <label htmlFor={ids.until}>To (not included)</label>
            <input id={ids.until} type="date" value={draft.until} onChange={(e) => setDraft((d) => ({ ...d, until: e.target.value }))} />
          </div>
          <button type="submit" className="small">
            Show
          </button>
        </form>
      </div>
      <Async state={state} label="Computing the audience…">
        {(view) => <Lists view={view} />}
      </Async>
    </>
  );
}
