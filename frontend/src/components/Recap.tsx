import { figureLabel, percent, RECAP_ORDER } from "../analysis";
import { api } from "../api/client";
import type { RecapView } from "../api/types";
import { formatDelta, formatNumber } from "../format";
import { useApi } from "../useApi";
import { DataTable, PersonLink, ProviderBadge, Time } from "./bits";
import { RankBars } from "./charts";
import { ConfidenceBadge } from "./InsightCard";
import { Async } from "./status";

function Figures({ view }: { view: RecapView }) {
  const figures = view.recap.figures;
  const names = RECAP_ORDER.filter((name) => name in figures);
  return (
    <DataTable
      reflow
      caption="This session against your median session"
      columns={["Figure", { label: "This session", numeric: true }, { label: "Your median", numeric: true }, { label: "Difference", numeric: true }, "Confidence"]}
    >
      {names.map((name) => {
        const f = figures[name]!;
        return (
          <tr key={name}>
            <th scope="row">{figureLabel(name)}</th>
            <td className="num" data-label="This session">
              {formatNumber(f.value)}
            </td>
            <td className="num" data-label="Your median">
              {f.median === null ? "—" : formatNumber(f.median)}
            </td>
            <td className="num" data-label="Difference">
              {f.difference === null ? "—" : formatDelta(f.difference)}
              {f.ratio === null ? "" : <span className="muted small"> ({percent(f.ratio)})</span>}
            </td>
            <td>
              <ConfidenceBadge uncertainty={f.uncertainty} />
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

/** A session's recap: its figures against the owner's median session, top tippers, peak. */
export function RecapPanel({ sessionId }: { sessionId: number }) {
  const state = useApi((signal) => api.recap(sessionId, signal), [sessionId]);
  return (
    <section className="card" aria-labelledby="recap-title">
      <header className="card-header">
        <h2 id="recap-title">Recap</h2>
        <ProviderBadge provider="mhc" detail="from room events" />
      </header>
      <Async state={state} label="Computing the recap…">
        {(view) => (
          <>
            <p className="muted small">
              Compared with your median over the {formatNumber(view.compared_with)} sessions before this one
              {view.compared_with < 5 ? " (fewer than 5: no median yet)" : ""}. Peak of{" "}
              {formatNumber(view.recap.peak_viewers.count)} viewers at once
              {view.recap.peak_viewers.at ? (
                <>
                  {" "}
                  at <Time iso={view.recap.peak_viewers.at} />
                </>
              ) : null}
              ; {formatNumber(view.recap.new_visitors)} new, {formatNumber(view.recap.returning_visitors)} returning.
              {view.recap.anonymous_tokens ? ` ${formatNumber(view.recap.anonymous_tokens)} tokens came anonymously.` : ""}
            </p>
            <div className="grid-2">
              <Figures view={view} />
              <RankBars
                title="Top tippers"
                rows={view.recap.top_tippers.map((t) => ({
                  label: view.names[String(t.person_id)] ?? `#${t.person_id}`,
                  value: t.tokens,
                  detail: `${view.names[String(t.person_id)] ?? t.person_id}: ${formatNumber(t.tokens)} tokens in ${t.tips} tips`,
                }))}
                unit=" tokens"
              />
            </div>
            {view.recap.top_tippers.length > 0 ? (
              <p className="small">
                Tippers:{" "}
                {view.recap.top_tippers.map((t, i) => (
                  <span key={t.person_id}>
                    {i > 0 ? ", " : ""}
                    <PersonLink id={t.person_id} username={view.names[String(t.person_id)] ?? `#${t.person_id}`} />
                  </span>
                ))}
              </p>
            ) : null}
          </>
        )}
      </Async>
    </section>
  );
}
