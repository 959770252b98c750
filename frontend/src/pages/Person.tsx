import { type KeyboardEvent, useRef } from "react";
import { api } from "../api/client";
import type { PersonDetail, PersonInsights } from "../api/types";
import { Async } from "../components/status";
import { navigate, useLocation } from "../router";
import { type ApiState, useApi } from "../useApi";
import { AttributesTab } from "./person/Attributes";
import { InsightsTab, PersonHeadline } from "./person/Insights";
import { InteractionsTab } from "./person/Interactions";
import { NotesTab } from "./person/Notes";
import { OverviewTab } from "./person/Overview";
import { ProfileTab } from "./person/Profile";
import { TimelineTab } from "./person/Timeline";

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "timeline", label: "Stats timeline" },
  { id: "insights", label: "Insights" },
  { id: "interactions", label: "Interactions" },
  { id: "notes", label: "Notes" },
  { id: "attributes", label: "Attributes" },
  { id: "profile", label: "Profile" },
] as const;
type TabId = (typeof TABS)[number]["id"];

function Tabs({ id, current }: { id: number; current: TabId }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const select = (tab: TabId) => navigate(`/persons/${id}${tab === "overview" ? "" : `?tab=${tab}`}`, { replace: true });
  // WAI-ARIA tabs: arrow keys, Home and End move between tabs.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = TABS.findIndex((tab) => tab.id === current);
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const wrapped = (next + TABS.length) % TABS.length;
    const tab = TABS[wrapped];
    if (!tab) return;
    select(tab.id);
    refs.current[wrapped]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Person sections" onKeyDown={onKeyDown}>
      {TABS.map((tab, i) => (
        <button
          key={tab.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === current}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === current ? 0 : -1}
          onClick={() => select(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

function Panel({
  tab,
  detail,
  reload,
  insights,
}: {
  tab: TabId;
  detail: PersonDetail;
  reload: () => void;
  insights: ApiState<PersonInsights>;
}) {
  switch (tab) {
    case "insights":
      return <InsightsTab state={insights} onChange={reload} />;
    case "timeline":
      return <TimelineTab detail={detail} />;
    case "interactions":
      return <InteractionsTab personId={detail.person.id} />;
    case "notes":
      return <NotesTab personId={detail.person.id} />;
    case "attributes":
      return <AttributesTab detail={detail} onChange={reload} />;
    case "profile":
      return <ProfileTab detail={detail} />;
    default:
      return <OverviewTab detail={detail} onChange={reload} />;
  }
}

export function PersonPage({ id }: { id?: number }) {
  const personId = id ?? 0;
  const { search } = useLocation();
  const asked = search.get("tab");
  const tab: TabId = TABS.some((t) => t.id === asked) ? (asked as TabId) : "overview";
  const state = useApi((signal) => api.person(personId, signal), [personId]);
  const insights = useApi((signal) => api.insights(personId, signal), [personId]);
  return (
    <Async state={state} label="Loading person…">
      {(detail) => (
        <>
          <h1>
            {detail.person.username}{" "}
            <span className="muted small">
              {detail.person.role} · #{detail.person.id}
            </span>
          </h1>
          <PersonHeadline state={insights} />
          {detail.person.is_excluded ? (
            <p className="excluded" role="note">
              <strong>Excluded:</strong> left out of every aggregate, list and search by default.
            </p>
          ) : null}
          <Tabs id={personId} current={tab} />
          <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
            <Panel tab={tab} detail={detail} reload={state.reload} insights={insights} />
          </section>
        </>
      )}
    </Async>
  );
}
