import type { ReactNode } from "react";
import { basedOn, confidenceText, evidenceHref } from "../analysis";
import type { Evidence, InsightKind, PersonInsights, Uncertainty } from "../api/types";
import { Link } from "../router";

/** Confidence as a badge: the same words and colours wherever a figure is estimated. */
export function ConfidenceBadge({ uncertainty }: { uncertainty: Uncertainty }) {
  const level = uncertainty.not_enough_data ? "none" : uncertainty.confidence;
  return (
    <span
      className={`confidence confidence-${level}`}
      title={`n = ${uncertainty.n}${uncertainty.note ? `; ${uncertainty.note}` : ""}`}
    >
      {confidenceText(uncertainty)}
    </span>
  );
}

/** Where a figure comes from: counts, window, sources, and a link to the rows behind it. */
export function EvidenceLine({
  kind,
  evidence,
  uncertainty,
  personId,
}: {
  kind: InsightKind;
  evidence: Evidence;
  uncertainty: Uncertainty;
  personId: number;
}) {
  const href = evidenceHref(evidence.query, personId);
  return (
    <p className="evidence small">
      <span className="muted">
        {basedOn(kind, uncertainty, evidence)}
        {evidence.sources.length > 0 ? ` · from ${evidence.sources.join(", ")}` : ""}
      </span>{" "}
      <ConfidenceBadge uncertainty={uncertainty} />
      {href ? (
        <>
          {" "}
          <Link to={href}>see the evidence</Link>
        </>
      ) : null}
    </p>
  );
}

export function InsightCard({
  id,
  title,
  summary,
  kind,
  evidence,
  uncertainty,
  personId,
  children,
}: {
  id: string;
  title: string;
  summary: string;
  kind: InsightKind;
  evidence: Evidence;
  uncertainty: Uncertainty;
  personId: number;
  children?: ReactNode;
}) {
  return (
    <section className="card insight" aria-labelledby={id}>
      <header className="card-header">
        <h2 id={id}>{title}</h2>
      </header>
      <p>{summary}</p>
      <EvidenceLine kind={kind} evidence={evidence} uncertainty={uncertainty} personId={personId} />
      {children}
    </section>
  );
}

/** Spending pattern and usual times, for a lookup's answer: the summary, how sure, the rows. */
export function BehaviourSignals({ insights }: { insights: PersonInsights }) {
  const shown = insights.insights.filter((i) => i.kind === "spending" || i.kind === "timing");
  return (
    <section className="card" aria-labelledby="signals-title">
      <header className="card-header">
        <h2 id="signals-title">Behaviour</h2>
        <Link to={`/persons/${insights.person_id}?tab=insights`}>all insights</Link>
      </header>
      {shown.map((insight) => (
        <div key={insight.kind}>
          <h3>{insight.kind === "spending" ? "Spending pattern" : "Usual times"}</h3>
          <p>{insight.summary}</p>
          <EvidenceLine kind={insight.kind} evidence={insight.evidence} uncertainty={insight.uncertainty} personId={insights.person_id} />
        </div>
      ))}
    </section>
  );
}
