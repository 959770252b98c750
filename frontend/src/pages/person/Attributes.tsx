import { type FormEvent, useId, useState } from "react";
import { api } from "../../api/client";
import type { Attribute, Confidence, PersonDetail } from "../../api/types";
import { DataTable, Time } from "../../components/bits";
import { ErrorMessage } from "../../components/status";
import { useAction } from "../../useApi";

const CONFIDENCES: Confidence[] = ["low", "medium", "high"];

function AttributeForm({
  personId,
  initial,
  onSaved,
  onCancel,
}: {
  personId: number;
  initial?: Attribute;
  onSaved: () => void;
  onCancel?: () => void;
}) {
  const [key, setKey] = useState(initial?.key ?? "");
  const [value, setValue] = useState(initial?.value ?? "");
  const [confidence, setConfidence] = useState<Confidence>(initial?.confidence ?? "medium");
  const [note, setNote] = useState(initial?.evidence_note ?? "");
  const ids = { key: useId(), value: useId(), confidence: useId(), note: useId() };
  const save = useAction(async () => {
    await api.setAttribute(personId, key.trim(), {
      value: value.trim(),
      confidence,
      evidence_note: note.trim() || null,
    });
    if (!initial) {
      setKey("");
      setValue("");
      setNote("");
    }
    onSaved();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim() && value.trim()) void save.run();
  };
  const label = initial ? `Edit ${initial.key}` : "Add an attribute";
  return (
    <form className="card" onSubmit={submit} aria-label={label}>
      {initial ? <h3>Edit “{initial.key}”</h3> : <h3>Add an attribute</h3>}
      <div className="row">
        {initial ? null : (
          <div className="field">
            <label htmlFor={ids.key}>Key</label>
            <input id={ids.key} value={key} onChange={(e) => setKey(e.target.value)} maxLength={64} required />
          </div>
        )}
        <div className="field grow">
          <label htmlFor={ids.value}>Value</label>
          <input id={ids.value} value={value} onChange={(e) => setValue(e.target.value)} maxLength={2000} required />
        </div>
        <div className="field">
          <label htmlFor={ids.confidence}>Confidence</label>
          <select id={ids.confidence} value={confidence} onChange={(e) => setConfidence(e.target.value as Confidence)}>
            {CONFIDENCES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor={ids.note}>Evidence (optional)</label>
          <input id={ids.note} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
        </div>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={save.running || !key.trim() || !value.trim()}>
          {save.running ? "Saving…" : "Save attribute"}
        </button>
        {onCancel ? (
          <button type="button" className="ghost" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {save.error ? <ErrorMessage error={save.error} /> : null}
    </form>
  );
}

export function AttributesTab({ detail, onChange }: { detail: PersonDetail; onChange: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const personId = detail.person.id;
  return (
    <>
      {detail.attributes.length === 0 ? (
        <p className="muted">No attributes yet.</p>
      ) : (
        <DataTable caption="Attributes" columns={["Key", "Value", "Confidence", "Evidence", "Updated", { label: "Actions", hidden: true }]}>
          {detail.attributes.map((attribute) => (
            <tr key={attribute.key}>
              <th scope="row">{attribute.key}</th>
              <td>{attribute.value}</td>
              <td>
                <span className={`confidence confidence-${attribute.confidence}`}>{attribute.confidence}</span>
              </td>
              <td className="small">
                {attribute.evidence_kind}
                {attribute.evidence_note ? `: ${attribute.evidence_note}` : ""}
              </td>
              <td className="nowrap">
                <Time iso={attribute.updated_at} />
              </td>
              <td>
                <button type="button" className="small" onClick={() => setEditing(attribute.key)} aria-label={`Edit ${attribute.key}`}>
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {editing ? (
        <AttributeForm
          key={editing}
          personId={personId}
          initial={detail.attributes.find((a) => a.key === editing)}
          onSaved={() => {
            setEditing(null);
            onChange();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <AttributeForm personId={personId} onSaved={onChange} />
    </>
  );
}
