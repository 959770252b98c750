// Alert rules: what rings on the Live page, with thresholds suggested from the owner's history.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { AlertKind, AlertRule, RulesView, ThresholdSuggestion, Watchlist } from "../api/types";
import { Async, ErrorMessage } from "../components/status";
import { formatNumber } from "../format";
import { Link } from "../router";
import { useAction, useApi } from "../useApi";

const KINDS: { kind: AlertKind; label: string }[] = [
  { kind: "lifetime_tokens", label: "Lifetime tokens at least" },
  { kind: "big_tip", label: "A single tip at least … in the last … days" },
  { kind: "watchlist", label: "On a watchlist" },
  { kind: "returning_regular", label: "A regular back after at least … days" },
  { kind: "new_follower_tipper", label: "A new follower who has tipped at least" },
];

function blank(kind: AlertKind, taken: string[]): AlertRule {
  let id = kind.replace(/_/g, "-");
  for (let n = 2; taken.includes(id); n += 1) id = `${kind.replace(/_/g, "-")}-${n}`;
  const base = { id, enabled: true, sound: false };
  switch (kind) {
    case "lifetime_tokens":
      return { ...base, kind, min_tokens: 1000 };
    case "big_tip":
      return { ...base, kind, min_tokens: 500, within_days: 30 };
    case "watchlist":
      return { ...base, kind, watchlist_id: 1 };
    case "returning_regular":
      return { ...base, kind, min_days_away: 14 };
    case "new_follower_tipper":
      return { ...base, kind, min_tokens: 1 };
  }
}

function NumberField({
  label,
  value,
  onChange,
  id,
}: {
  label: string;
  value: number;
  onChange: (value: number) => void;
  id: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" min={1} value={value} onChange={(e) => onChange(Number(e.target.value))} />
    </div>
  );
}

function RuleEditor({
  rule,
  index,
  watchlists,
  onChange,
  onRemove,
}: {
  rule: AlertRule;
  index: number;
  watchlists: Watchlist[];
  onChange: (rule: AlertRule) => void;
  onRemove: () => void;
}) {
  const key = `rule-${index}`;
  const title = KINDS.find((k) => k.kind === rule.kind)?.label ?? rule.kind;
  return (
    <fieldset className="rule">
      <legend>{title}</legend>
      <div className="row">
        <div className="field">
          <label htmlFor={`${key}-id`}>Name</label>
          <input id={`${key}-id`} value={rule.id} onChange={(e) => onChange({ ...rule, id: e.target.value })} />
        </div>
        {"min_tokens" in rule ? (
          <NumberField
            id={`${key}-tokens`}
            label="Tokens"
            value={rule.min_tokens}
            onChange={(min_tokens) => onChange({ ...rule, min_tokens })}
          />
        ) : null}
        {rule.kind === "big_tip" ? (
          <NumberField
            id={`${key}-days`}
            label="Within days"
            value={rule.within_days}
            onChange={(within_days) => onChange({ ...rule, within_days })}
          />
        ) : null}
        {rule.kind === "returning_regular" ? (
          <NumberField
            id={`${key}-away`}
            label="Days away"
            value={rule.min_days_away}
            onChange={(min_days_away) => onChange({ ...rule, min_days_away })}
          />
        ) : null}
        {rule.kind === "watchlist" ? (
          <div className="field">
            <label htmlFor={`${key}-list`}>Watchlist</label>
            <select
              id={`${key}-list`}
              value={rule.watchlist_id}
              onChange={(e) => onChange({ ...rule, watchlist_id: Number(e.target.value) })}
            >
              {watchlists.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <label className="check">
          <input type="checkbox" checked={rule.enabled} onChange={(e) => onChange({ ...rule, enabled: e.target.checked })} />
          On
        </label>
        <label className="check">
          <input type="checkbox" checked={rule.sound} onChange={(e) => onChange({ ...rule, sound: e.target.checked })} />
          Sound
        </label>
        <button type="button" className="small" onClick={onRemove} aria-label={`Remove rule ${rule.id}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}

function Suggestion({ suggestion, onUse }: { suggestion: ThresholdSuggestion; onUse: (value: number) => void }) {
  const label = suggestion.kind === "big_tip" ? "Big tip" : "Lifetime tokens";
  return (
    <li>
      <strong>{label}:</strong>{" "}
      {suggestion.threshold === null ? "no suggestion yet" : `${formatNumber(suggestion.threshold)} tokens`}{" "}
      <span className={`confidence confidence-${suggestion.uncertainty.confidence}`}>
        {suggestion.uncertainty.not_enough_data ? "not enough data" : suggestion.uncertainty.confidence}
      </span>
      <p className="muted small">{suggestion.reasoning}</p>
      {suggestion.threshold !== null ? (
        <button type="button" className="small" onClick={() => onUse(suggestion.threshold as number)}>
          Use {formatNumber(suggestion.threshold)}
        </button>
      ) : null}
    </li>
  );
}

function Editor({ view, watchlists, onSaved }: { view: RulesView; watchlists: Watchlist[]; onSaved: (v: RulesView) => void }) {
  const [rules, setRules] = useState<AlertRule[]>(view.rules);
  const [added, setAdded] = useState<AlertKind>("lifetime_tokens");
  const [saved, setSaved] = useState(false);
  useEffect(() => setRules(view.rules), [view]);
  const save = useAction(async () => {
    const result = await api.saveAlertRules(rules);
    setSaved(true);
    onSaved(result);
  });
  const change = (index: number, rule: AlertRule) => {
    setSaved(false);
    setRules(rules.map((old, i) => (i === index ? rule : old)));
  };
  const use = (kind: AlertKind, value: number) => {
    setSaved(false);
    const index = rules.findIndex((r) => r.kind === kind);
    const base = index >= 0 ? rules[index] : blank(kind, rules.map((r) => r.id));
    const rule = { ...base, min_tokens: value } as AlertRule;
    setRules(index >= 0 ? rules.map((old, i) => (i === index ? rule : old)) : [...rules, rule]);
  };
  return (
    <>
      <section className="card" aria-labelledby="suggest-title">
        <h2 id="suggest-title">Suggested from your history</h2>
        <ul className="plain-list">
          {view.suggestions.map((s) => (
            <Suggestion key={s.kind} suggestion={s} onUse={(value) => use(s.kind, value)} />
          ))}
        </ul>
      </section>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <h2>Your rules</h2>
        {rules.length === 0 ? <p className="muted">No rule yet: nothing rings.</p> : null}
        {rules.map((rule, index) => (
          <RuleEditor
            key={index}
            rule={rule}
            index={index}
            watchlists={watchlists}
            onChange={(r) => change(index, r)}
            onRemove={() => {
              setSaved(false);
              setRules(rules.filter((_, i) => i !== index));
            }}
          />
        ))}
        <div className="row">
          <div className="field">
            <label htmlFor="add-kind">New rule</label>
            <select id="add-kind" value={added} onChange={(e) => setAdded(e.target.value as AlertKind)}>
              {KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            onClick={() => {
              setSaved(false);
              setRules([...rules, blank(added, rules.map((r) => r.id))]);
            }}
          >
            Add rule
          </button>
        </div>
        <button type="submit" className="primary" disabled={save.running}>
          {save.running ? "Saving…" : "Save rules"}
        </button>
        {saved ? (
          <p className="ok-text" role="status">
            Saved.
          </p>
        ) : null}
        {save.error ? <ErrorMessage error={save.error} /> : null}
      </form>
    </>
  );
}

export function AlertSettingsPage() {
  const state = useApi((signal) => api.alertRules(signal), []);
  const lists = useApi((signal) => api.watchlists(signal), []);
  return (
    <>
      <h1>Alert rules</h1>
      <p className="muted">
        Rules ring on the <Link to="/live">Live page</Link> when someone arrives (or follows). Each rings once per
        arrival, never for excluded people, and every alert is kept.
      </p>
      <Async state={state} label="Loading rules…">
        {(view) => <Editor view={view} watchlists={lists.data ?? []} onSaved={state.setData} />}
      </Async>
    </>
  );
}
