import type { Interaction } from "../api/types";
import { formatNumber, interactionProvider, typeLabel } from "../format";
import { DataTable, PersonLink, ProviderBadge, Time, tipTokens } from "./bits";

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
    <DataTable caption={caption} columns={["When", showPerson ? "Person" : null, "Type", "Source", "Content"]}>
      {items.map((interaction) => (
        <tr key={interaction.id}>
          <td className="nowrap">
            <Time iso={interaction.occurred_at} />
          </td>
          {showPerson ? (
            <td>
              {interaction.person_id !== null && interaction.person_username !== null ? (
                <PersonLink id={interaction.person_id} username={interaction.person_username} />
              ) : (
                <span className="muted">anonymous</span>
              )}
            </td>
          ) : null}
          <td className="nowrap">{typeLabel(interaction.type)}</td>
          <td>
            <ProviderBadge
              provider={interactionProvider(interaction.source)}
              detail={interaction.source === "statbate_plus" ? "Plus, imported" : undefined}
            />
          </td>
          <td>
            <Content interaction={interaction} />
            {interaction.broadcaster ? (
              <span className="muted small"> in {interaction.broadcaster}'s room</span>
            ) : null}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
