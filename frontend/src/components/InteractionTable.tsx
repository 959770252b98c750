import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Interaction } from "../api/types";
import { formatNumber, interactionProvider, typeLabel } from "../format";
import { PersonLink, ProviderBadge, Time, tipTokens } from "./bits";

// Interactions carry only a person id; names are looked up once per id and cached.
const names = new Map<number, Promise<string>>();

function nameOf(id: number): Promise<string> {
  let name = names.get(id);
  if (!name) {
    name = api.person(id).then(
      (detail) => detail.person.username,
      () => {
        names.delete(id);
        return `person #${id}`;
      },
    );
    names.set(id, name);
  }
  return name;
}

export function usePersonNames(ids: number[]): Record<number, string> {
  const [known, setKnown] = useState<Record<number, string>>({});
  const key = [...new Set(ids)].sort((a, b) => a - b).join(",");
  useEffect(() => {
    let live = true;
    const wanted = key ? key.split(",").map(Number) : [];
    Promise.all(wanted.map(async (id) => [id, await nameOf(id)] as const)).then((pairs) => {
      if (live) setKnown(Object.fromEntries(pairs));
    });
    return () => {
      live = false;
    };
  }, [key]);
  return known;
}

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
  const personNames = usePersonNames(showPerson ? items.map((i) => i.person_id) : []);
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
                  <PersonLink
                    id={interaction.person_id}
                    username={personNames[interaction.person_id] ?? `person #${interaction.person_id}`}
                  />
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
