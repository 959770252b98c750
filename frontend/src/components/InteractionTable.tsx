import type { Interaction } from "../api/types";
import { formatNumber, interactionProvider, typeLabel } from "../format";
import { PersonLink, ProviderBadge, Time, tipTokens } from "./bits";

function Content({ interaction }: { interaction: Interaction }) {
  const tokens = tipTokens(interaction);
  return (
    <>
      {tokens !== null ? <strong className="tokens">{formatNumber(tokens)} tk </strong> : null}
      {interaction.content ? (
        <span className="content">{interaction.content}</span>
      ) : tokens === null ? (
        <span className="muted">—</span>
      ) : null}
    </>
  );
}

export function InteractionTable({
  items,
  showPerson = false,
  caption,
}: {
  items: Interaction[];
  showPerson?: boolean;
  caption: string;
}) {
  if (items.length === 0) return <p className="muted">No interactions.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            {showPerson ? <th scope="col">Person</th> : null}
            <th scope="col">Type</th>
            <th scope="col">Source</th>
            <th scope="col">Content</th>
          </tr>
        </thead>
        <tbody>
          {items.map((interaction) => (
            <tr key={interaction.id}>
              <td className="nowrap">
                <Time iso={interaction.occurred_at} />
              </td>
              {showPerson ? (
                <td>
                  <PersonLink id={interaction.person_id} username={interaction.person_username} />
                </td>
              ) : null}
              <td className="nowrap">{typeLabel(interaction.type)}</td>
              <td>
                <ProviderBadge provider={interactionProvider(interaction.source)} />
              </td>
              <td>
                <Content interaction={interaction} />
                {interaction.broadcaster ? (
                  <span className="muted small"> in {interaction.broadcaster}'s room</span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
