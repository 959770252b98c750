import type { Interaction } from "../api/types";
import { formatNumber, interactionProvider, typeLabel } from "../format";
import { highlightSegments } from "../search";
import { DataTable, PersonLink, ProviderBadge, Time, tipTokens } from "./bits";

/** Text with the searched words marked (plain React text: nothing is parsed as HTML). */
function Highlighted({ text, terms }: { text: string; terms: readonly string[] }) {
  return (
    <>
      {highlightSegments(text, terms).map((segment, index) =>
        segment.match ? <mark key={index}>{segment.text}</mark> : segment.text,
      )}
    </>
  );
}

function Content({ interaction, highlight }: { interaction: Interaction; highlight: readonly string[] }) {
  const tokens = tipTokens(interaction);
  return (
    <>
      {tokens !== null ? <strong className="tokens">{formatNumber(tokens)} tk </strong> : null}
      {interaction.content ? (
        <span className="content">
          <Highlighted text={interaction.content} terms={highlight} />
        </span>
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
  highlight = [],
}: {
  items: Interaction[];
  showPerson?: boolean;
  caption: string;
  /** Words to mark in the content (a search's terms). */
  highlight?: readonly string[];
}) {
  if (items.length === 0) return <p className="muted">No interactions.</p>;
  return (
    <DataTable caption={caption} columns={["When", showPerson ? "Person" : null, "Type", "Source", "Content"]} reflow>
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
          <td className="cell-content">
            <Content interaction={interaction} highlight={highlight} />
            {interaction.broadcaster ? (
              <span className="muted small"> in {interaction.broadcaster}'s room</span>
            ) : null}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
