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
