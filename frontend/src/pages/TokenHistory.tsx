// Import the token-history CSV Chaturbate lets a broadcaster download: every token since the
// first broadcast, private and spy shows included. Upload progress, then the report.
import { useState } from "react";
import { ApiError, api, type UploadProgress, uploadTokenHistory } from "../api/client";
import type { ImportProblem, ImportReport } from "../api/types";
import { DataTable, Time } from "../components/bits";
import { Async, ErrorMessage } from "../components/status";
import { formatNumber, typeLabel } from "../format";
import { Link } from "../router";
import { useApi } from "../useApi";

function Progress({ progress }: { progress: UploadProgress }) {
  if (progress.phase === "uploading") {
    const percent = progress.total ? Math.round((progress.sent / progress.total) * 100) : 0;
    return (
      <div role="status">
        <label htmlFor="upload-progress">
          Uploading… {percent}% ({formatNumber(Math.round(progress.sent / 1024))} of{" "}
          {formatNumber(Math.round(progress.total / 1024))} KB)
        </label>
        <progress id="upload-progress" className="upload-progress" max={progress.total} value={progress.sent} />
      </div>
    );
  }
  const text = progress.phase === "compressing" ? "Compressing the file…" : "Importing: reading and linking the rows…";
  return (
    <div role="status">
      <label htmlFor="upload-progress">{text}</label>
      <progress id="upload-progress" className="upload-progress" />
    </div>
  );
}

function Problems({ problems, count }: { problems: ImportProblem[]; count: number }) {
  return (
    <>
      <ul className="problems small" aria-label="Bad lines">
        {problems.map((p) => (
          <li key={`${p.line}-${p.kind}`}>
            line {p.line}: {p.message}
          </li>
        ))}
      </ul>
      {count > problems.length ? <p className="muted small">… and {formatNumber(count - problems.length)} more.</p> : null}
    </>
  );
}

function Report({ report }: { report: ImportReport }) {
  return (
    <section className="card" aria-labelledby="report-title">
      <h2 id="report-title">Imported {report.file_name ?? "the export"}</h2>
      <p>
        {formatNumber(report.good_rows)} rows: <strong>{formatNumber(report.new_rows)} new</strong>,{" "}
        {formatNumber(report.already_stored)} already stored, {formatNumber(report.linked)} linked to tips captured live
        (counted once), {formatNumber(report.persons)} people.
      </p>
      {report.first_at ? (
        <p className="muted small">
          From <Time iso={report.first_at} /> to <Time iso={report.last_at} /> (times without an offset read as{" "}
          {report.timezone}).
        </p>
      ) : null}
      {Object.keys(report.by_type).length > 0 ? (
        <DataTable caption="New rows by type" columns={["Type", { label: "Rows", numeric: true }, { label: "Tokens", numeric: true }]}>
          {Object.entries(report.by_type).map(([type, total]) => (
            <tr key={type}>
              <td>{typeLabel(type)}</td>
              <td className="num">{formatNumber(total.rows)}</td>
              <td className="num tokens">{formatNumber(total.tokens)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {report.times_differ > 0 ? (
        <p className="notice">
          {formatNumber(report.times_differ)} rows were imported before with other times: the timezone setting
          (MHC_TOKEN_HISTORY_TIMEZONE) changed? Their first times were kept.
        </p>
      ) : null}
      {report.problem_count > 0 ? (
        <>
          <h3>Lines left out</h3>
          <Problems problems={report.problems} count={report.problem_count} />
        </>
      ) : null}
    </section>
  );
}

function Upload({ onDone }: { onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [accept, setAccept] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [refused, setRefused] = useState<ImportReport | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const run = async (acceptProblems: boolean) => {
    if (!file) return;
    setReport(null);
    setRefused(null);
    setError(null);
    try {
      setReport(await uploadTokenHistory(file, { acceptProblems, onProgress: setProgress }));
      onDone();
    } catch (exc) {
      if (exc instanceof ApiError && exc.code === "token_history_refused") setRefused(exc.details as ImportReport);
      else setError(exc instanceof Error ? exc : new Error(String(exc)));
    } finally {
      setProgress(null);
    }
  };
  return (
    <>
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          void run(accept);
        }}
      >
        <div className="field">
          <label htmlFor="export-file">Token-history export (.csv, or .csv.gz)</label>
          <input
            id="export-file"
            type="file"
            accept=".csv,.gz,text/csv"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </div>
        <label className="check">
          <input type="checkbox" checked={accept} onChange={(e) => setAccept(e.target.checked)} />
          Import the good rows even when some lines are bad (the bad ones are listed and left out)
        </label>
        <div>
          <button type="submit" className="primary" disabled={!file || progress !== null}>
            Import
          </button>
        </div>
        {progress ? <Progress progress={progress} /> : null}
      </form>
      {error ? <ErrorMessage error={error} /> : null}
      {refused ? (
        <section className="card card-failed" aria-labelledby="refused-title">
          <h2 id="refused-title">Not imported: {formatNumber(refused.problem_count)} bad line(s)</h2>
          <p>Nothing was written. Fix these lines in the file, or import the other {formatNumber(refused.good_rows)} rows.</p>
          <Problems problems={refused.problems} count={refused.problem_count} />
          <button type="button" onClick={() => void run(true)} disabled={progress !== null}>
            Import the other {formatNumber(refused.good_rows)} rows
          </button>
        </section>
      ) : null}
      {report ? <Report report={report} /> : null}
    </>
  );
}

export function TokenHistoryPage() {
  const imports = useApi((signal) => api.tokenHistoryImports(signal), []);
  return (
    <>
      <h1>Token history</h1>
      <p className="muted">
        Download your token history from Chaturbate and import it here: every token since your first broadcast,
        private and spy shows included. Importing the same or an overlapping export again adds nothing; tips MHC
        already captured live are linked, not counted twice. How much of it live capture also saw is on the{" "}
        <Link to="/health">health page</Link>. Large exports: <code>mhc import token-history FILE</code>.
      </p>
      <Upload onDone={imports.reload} />
      <section aria-labelledby="imports-title">
        <h2 id="imports-title">Past imports</h2>
        <Async state={imports} label="Loading imports…">
          {(rows) =>
            rows.length === 0 ? (
              <p className="muted">Nothing imported yet.</p>
            ) : (
              <DataTable
                caption="Past imports"
                columns={["When", "File", { label: "Rows", numeric: true }, { label: "New", numeric: true }, { label: "Linked", numeric: true }, { label: "Bad lines", numeric: true }]}
              >
                {rows.map((row) => (
                  <tr key={row.id}>
                    <td className="nowrap">
                      <Time iso={row.imported_at} />
                    </td>
                    <td>{row.file_name ?? "—"}</td>
                    <td className="num">{formatNumber(row.good_rows)}</td>
                    <td className="num">{formatNumber(row.new_rows)}</td>
                    <td className="num">{formatNumber(row.linked)}</td>
                    <td className="num">{formatNumber(row.problem_count)}</td>
                  </tr>
                ))}
              </DataTable>
            )
          }
        </Async>
      </section>
    </>
  );
}
