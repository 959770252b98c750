import type { ReactNode } from "react";
import type { Interaction, Provider } from "../api/types";
import { formatAgo, formatTime, PROVIDER_NAME } from "../format";
import { Link } from "../router";

export function ProviderBadge({ provider, detail }: { provider: Provider; detail?: string }) {
  const name = PROVIDER_NAME[provider];
  return (
    <span className={`badge badge-${provider}`} title={detail ? `${name}: ${detail}` : name}>
      {name}
      {detail ? <span className="badge-detail"> · {detail}</span> : null}
    </span>
  );
}

export function Time({ iso, relative = false }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {relative ? formatAgo(iso) : formatTime(iso)}
    </time>
  );
}

export function PersonLink({ id, username }: { id: number; username: string }) {
  return <Link to={`/persons/${id}`}>{username}</Link>;
}

export function tipTokens(interaction: Interaction): number | null {
  const tokens = interaction.metadata?.tokens;
  return typeof tokens === "number" ? tokens : null;
}

/** A table column: its header text; numbers right-aligned; `hidden` = for screen readers only. */
export type Column = string | { label: string; numeric?: boolean; hidden?: boolean };

/** The one table layout: a caption for screen readers, one header row, inside a box that scrolls
 * sideways on a narrow screen (focusable, so the keyboard can scroll it too). `reflow`: on a
 * narrow screen each row becomes a small card instead (for long text, like interactions). */
export function DataTable({
  caption,
  columns,
  children,
  reflow = false,
}: {
  caption: string;
  columns: (Column | null)[];
  children: ReactNode;
  reflow?: boolean;
}) {
  return (
    <div className="table-wrap" role="group" aria-label={caption} tabIndex={0}>
      <table className={reflow ? "table table-reflow" : "table"}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column, index) => {
              if (column === null) return null;
              const { label, numeric = false, hidden = false } = typeof column === "string" ? { label: column } : column;
              return (
                <th key={index} scope="col" className={numeric ? "num" : undefined}>
                  {hidden ? <span className="sr-only">{label}</span> : label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
