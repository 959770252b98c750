// Capture completeness, proven: the imported token-history export is an independent record of
// every tip, so the share of its tips the Events API also delivered is a measured figure.
import { api } from "../api/client";
import type { CaptureAuditView } from "../api/types";
import { formatNumber } from "../format";
import { Link } from "../router";
import { useApi } from "../useApi";
import { DataTable, Time } from "./bits";
import { Async } from "./status";

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function Audit({ audit }: { audit: CaptureAuditView }) {
  if (audit.unavailable) {
    return (
      <p className="muted">
        No audit yet: {audit.unavailable}. <Link to="/token-history">Import your token history</Link> to measure it.
      </p>
    );
  }
  const share = audit.share_seen;
  const interval = share?.uncertainty.interval;
  const missed = audit.missed.length;
  return (
    <>
      <p>
        While live capture ran (<Time iso={audit.period_start} /> to <Time iso={audit.period_end} />), the export
        holds <strong>{formatNumber(audit.exported)}</strong> tips; the Events API delivered{" "}
        <strong>{formatNumber(audit.seen_live)}</strong> of them:{" "}
        <strong className={missed === audit.explained ? "ok-text" : "bad-text"}>
          {share?.value != null ? percent(share.value) : "—"}
        </strong>
        {interval ? (
          <span className="muted small">
            {" "}
            (95% interval {percent(interval.low)}–{percent(interval.high)})
          </span>
        ) : null}
        .
      </p>
      {missed === 0 ? (
        <p className="ok-text">No tip was missed.</p>
      ) : (
        <>
          <p>
            {formatNumber(missed)} missed, {formatNumber(audit.explained)} inside a recorded gap (explained).
          </p>
          <DataTable caption="Tips live capture missed" columns={["When", "Who", { label: "Tokens", numeric: true }, "Why"]}>
            {audit.missed.map((tip) => (
              <tr key={tip.row_id} className={tip.explained ? undefined : "row-failed"}>
                <td className="nowrap">
                  <Time iso={tip.at} />
                </td>
                <td>
                  <Link to={`/persons/${tip.person_id}`}>{tip.username}</Link>
                </td>
                <td className="num tokens">{formatNumber(tip.tokens)}</td>
                <td>
                  {tip.explained ? (
                    <>
                      explained: gap <Time iso={tip.gap_start} /> – <Time iso={tip.gap_end} />
                    </>
                  ) : (
                    <strong className="bad-text">not explained by any recorded gap</strong>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </>
  );
}

/** The Health page's capture-completeness card (its own request: the audit reads every tip). */
export function CaptureAuditCard() {
  const state = useApi((signal) => api.captureAudit(signal), []);
  return (
    <section className="card" aria-labelledby="capture-audit-title">
      <h2 id="capture-audit-title">Capture completeness (token-history audit)</h2>
      <Async state={state} label="Auditing live capture…">
        {(audit) => <Audit audit={audit} />}
      </Async>
    </section>
  );
}
