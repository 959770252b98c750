import { useId, useState } from "react";
import { api } from "../../api/client";
import type { PersonDetail, Role } from "../../api/types";
import { IdentityActions } from "../../components/IdentityActions";
import { InteractionTable } from "../../components/InteractionTable";
import { IdentityPanel } from "../../components/PersonSummary";
import { StatsPanel } from "../../components/StatsPanel";
import { Async, ErrorMessage } from "../../components/status";
import { formatNumber, typeLabel } from "../../format";
import { useAction, useApi } from "../../useApi";

const ROLES: Role[] = ["MODEL", "VIEWER", "BOTH", "UNKNOWN"];

function RoleAndExclusion({ detail, onChange }: { detail: PersonDetail; onChange: () => void }) {
  const { person } = detail;
  const roleId = useId();
  const action = useAction(async (patch: { role?: Role | null; is_excluded?: boolean }) => {
    await api.updatePerson(person.id, patch);
    onChange();
  });
  return (
    <section className="card" aria-labelledby="controls-title">
      <h2 id="controls-title">Role and exclusion</h2>
      <div className="row">
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select
            id={roleId}
            value={person.role_is_manual ? person.role : ""}
            disabled={action.running}
            onChange={(e) => void action.run({ role: e.target.value ? (e.target.value as Role) : null })}
          >
            <option value="">automatic ({person.role_is_manual ? "rules decide" : person.role})</option>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role} (by hand)
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <span className="label-text">{person.is_excluded ? "Excluded from aggregates" : "Included in aggregates"}</span>
          <button
            type="button"
            className={person.is_excluded ? "" : "danger"}
            disabled={action.running}
            onClick={() => void action.run({ is_excluded: !person.is_excluded })}
          >
            {person.is_excluded ? "Include again" : "Exclude"}
          </button>
        </div>
      </div>
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </section>
  );
}

function WatchlistMembership({ detail, onChange }: { detail: PersonDetail; onChange: () => void }) {
  const lists = useApi((signal) => api.watchlists(signal), []);
  const memberOf = new Set(detail.watchlists.map((w) => w.id));
  const [busy, setBusy] = useState<number | null>(null);
  const action = useAction(async (watchlistId: number, add: boolean) => {
    setBusy(watchlistId);
    try {
      if (add) await api.addMember(watchlistId, detail.person.id);
      else await api.removeMember(watchlistId, detail.person.id);
      onChange();
    } finally {
      setBusy(null);
    }
  });
  return (
    <section className="card" aria-labelledby="lists-title">
      <h2 id="lists-title">Watchlists</h2>
      <Async state={lists} label="Loading watchlists…">
        {(all) => (
          <ul className="plain-list">
            {all.map((list) => {
              const member = memberOf.has(list.id);
              return (
                <li key={list.id} className="row-between">
                  <span>
                    {list.name} {member ? <span className="badge badge-mhc">member</span> : null}
                  </span>
                  <button
                    type="button"
                    className="small"
                    disabled={busy !== null}
                    onClick={() => void action.run(list.id, !member)}
                    aria-label={`${member ? "Remove from" : "Add to"} ${list.name}`}
                  >
                    {busy === list.id ? "…" : member ? "Remove" : "Add"}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </Async>
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </section>
  );
}

export function OverviewTab({ detail, onChange }: { detail: PersonDetail; onChange: () => void }) {
  const counts = Object.entries(detail.interaction_counts).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <div className="grid-2">
        <IdentityPanel person={detail.person} aliases={detail.aliases} />
        <div>
          <RoleAndExclusion detail={detail} onChange={onChange} />
          <WatchlistMembership detail={detail} onChange={onChange} />
          <IdentityActions detail={detail} onChange={onChange} />
        </div>
      </div>
      <h2>Latest stats</h2>
      <StatsPanel snapshots={detail.latest_snapshots} />
      <h2>Interaction counts</h2>
      {counts.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <dl className="facts facts-inline">
          {counts.map(([type, count]) => (
            <div key={type} className="fact-row">
              <dt>{typeLabel(type)}</dt>
              <dd>{formatNumber(count)}</dd>
            </div>
          ))}
        </dl>
      )}
      <h2>Recent interactions</h2>
      <InteractionTable items={detail.recent_interactions} caption="Recent interactions" />
      {detail.pastes.length > 0 ? (
        <>
          <h2>Pastes that name them</h2>
          <InteractionTable items={detail.pastes} caption="Pastes that name them" />
        </>
      ) : null}
    </>
  );
}
