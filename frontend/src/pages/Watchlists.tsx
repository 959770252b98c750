import { api } from "../api/client";
import type { MemberView } from "../api/types";
import { DataTable, PersonLink, ProviderBadge, Time } from "../components/bits";
import { Async, ErrorMessage } from "../components/status";
import { formatDelta, snapshotLabel, snapshotProvider } from "../format";
import { Link, useLocation } from "../router";
import { useAction, useApi } from "../useApi";

function Online({ online }: { online: boolean | null }) {
  if (online === null) return <span className="muted">unknown</span>;
  return online ? <strong className="status-succeeded">● online</strong> : <span className="muted">offline</span>;
}

/** The non-zero changes of the member's last snapshot, e.g. "tokens total +250". */
function LastDelta({ member }: { member: MemberView }) {
  const entry = member.last_snapshot;
  if (!entry) return <span className="muted">no snapshot</span>;
  const changes = Object.entries(entry.delta ?? {}).filter(([, v]) => typeof v === "number" && v !== 0);
  return (
    <>
      <ProviderBadge provider={snapshotProvider(entry.snapshot.source)} detail={snapshotLabel(entry.snapshot.source).split(" · ")[1]} />{" "}
      {changes.length === 0 ? (
        <span className="muted small">no change</span>
      ) : (
        <span className="small">{changes.map(([k, v]) => `${k.replace(/_/g, " ")} ${formatDelta(v)}`).join(", ")}</span>
      )}
      <div className="muted small">
        <Time iso={entry.snapshot.captured_at} relative />
      </div>
    </>
  );
}

function Members({ watchlistId, name, onChange }: { watchlistId: number; name: string; onChange: () => void }) {
  const members = useApi((signal) => api.members(watchlistId, signal), [watchlistId]);
  const remove = useAction(async (personId: number) => {
    await api.removeMember(watchlistId, personId);
    members.reload();
    onChange();
  });
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">{name}</h2>
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
      <Async state={members} label="Loading members…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">Nobody on this list yet. Add people from their person page.</p>
          ) : (
            <DataTable caption={`Members of ${name}`} columns={["Person", "Online", "Last delta", "Last interaction", "Added", { label: "Actions", hidden: true }]}>
              {list.map((member) => (
                <tr key={member.person.id}>
                  <td>
                    <PersonLink id={member.person.id} username={member.person.username} />{" "}
                    <span className="muted small">{member.person.role}</span>
                  </td>
                  <td>
                    <Online online={member.online} />
                    {member.last_seen_online_at ? (
                      <div className="muted small">
                        seen <Time iso={member.last_seen_online_at} relative />
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <LastDelta member={member} />
                  </td>
                  <td>
                    <Time iso={member.last_interaction_at} relative />
                  </td>
                  <td>
                    <Time iso={member.added_at} />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      disabled={remove.running}
                      onClick={() => void remove.run(member.person.id)}
                      aria-label={`Remove ${member.person.username} from ${name}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Async>
    </section>
  );
}

export function WatchlistsPage() {
  const { search } = useLocation();
  const lists = useApi((signal) => api.watchlists(signal), []);
  const selected = Number(search.get("list")) || undefined;
  return (
    <>
      <h1>Watchlists</h1>
      <Async state={lists} label="Loading watchlists…">
        {(all) => {
          const current = all.find((list) => list.id === selected) ?? all[0];
          return (
            <>
              <nav aria-label="Watchlists">
                <ul className="chips">
                  {all.map((list) => (
                    <li key={list.id}>
                      <Link to={`/watchlists?list=${list.id}`} aria-current={list.id === current?.id ? "page" : undefined}>
                        {list.name} ({list.member_count})
                      </Link>
                    </li>
                  ))}
                </ul>
              </nav>
              {current ? (
                <Members key={current.id} watchlistId={current.id} name={current.name} onChange={lists.reload} />
              ) : (
                <p className="muted">No watchlists.</p>
              )}
            </>
          );
        }}
      </Async>
    </>
  );
}
