import { useEffect, useRef } from "react";
import { api } from "./api/client";
import { AuthProvider, useAuth } from "./auth";
import { PlusSessionFlag } from "./components/PlusSessionFlag";
import { pillText } from "./health";
import { AlertSettingsPage } from "./pages/AlertSettings";
import { AudiencePage } from "./pages/Audience";
import { ChatImportPage } from "./pages/ChatImport";
import { HealthPage } from "./pages/Health";
import { LivePage } from "./pages/Live";
import { LookupPage } from "./pages/Lookup";
import { OwnerPage } from "./pages/Owner";
import { PersonPage } from "./pages/Person";
import { SearchPage } from "./pages/Search";
import { SessionDetailPage, SessionsPage } from "./pages/Sessions";
import { SignIn } from "./pages/SignIn";
import { TokenHistoryPage } from "./pages/TokenHistory";
import { WatchlistsPage } from "./pages/Watchlists";
import { Link, matchPath, useLocation } from "./router";
import { useApi } from "./useApi";

const NAV = [
  { to: "/", label: "Lookup" },
  { to: "/live", label: "Live" },
  { to: "/owner", label: "Dashboard" },
  { to: "/audience", label: "Audience" },
  { to: "/sessions", label: "Sessions" },
  { to: "/watchlists", label: "Watchlists" },
  { to: "/search", label: "Search" },
  { to: "/chat-import", label: "Chat import" },
  { to: "/health", label: "Jobs & health" },
];

const HEALTH_POLL_MS = 60_000;

/** Shown on every page: a failing collector must be impossible to miss, and "OK" is said only
 * when the API judged every collector OK (nothing failing, nothing unconfigured or never run). */
export function CollectorFlag() {
  const status = useApi((signal) => api.collectorStatus(signal), [], { pollMs: HEALTH_POLL_MS });
  if (status.error && !status.data) {
    return (
      <div role="alert">
        <Link to="/health" className="flag flag-bad">
          Health unknown: {status.error.message}
        </Link>
      </div>
    );
  }
  if (!status.data) return null;
  const text = pillText(status.data);
  if (status.data.verdict === "ok") {
    return (
      <Link to="/health" className="flag flag-ok" aria-label="Collectors healthy; open Jobs and health">
        {text}
      </Link>
    );
  }
  if (status.data.verdict === "attention") {
    return (
      <Link to="/health" className="flag flag-warn" title={status.data.reasons.map((reason) => reason.text).join("\n")}>
        {text}
      </Link>
    );
  }
  return (
    <div role="alert">
      <Link to="/health" className="flag flag-bad">
        {text}
      </Link>
    </div>
  );
}

function isActive(to: string, pathname: string): boolean {
  if (to === "/") return pathname === "/" || pathname.startsWith("/persons");
  return pathname === to || pathname.startsWith(`${to}/`);
}

function Header() {
  const { signOut } = useAuth();
  const { pathname } = useLocation();
  return (
    <header className="topbar">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Link to="/" className="brand">
        MHC
      </Link>
      <nav aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <Link to={item.to} aria-current={isActive(item.to, pathname) ? "page" : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="topbar-end">
        <CollectorFlag />
        <PlusSessionFlag />
        <button type="button" className="ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Routes() {
  const { pathname } = useLocation();
  const person = matchPath("/persons/:id", pathname);
  const session = matchPath("/sessions/:id", pathname);
  if (pathname === "/") return <LookupPage />;
  if (person) return <PersonPage id={Number(person.id)} />;
  if (pathname === "/owner") return <OwnerPage />;
  if (pathname === "/live") return <LivePage />;
  if (pathname === "/live/alerts") return <AlertSettingsPage />;
  if (pathname === "/token-history") return <TokenHistoryPage />;
  if (pathname === "/audience") return <AudiencePage />;
  if (pathname === "/sessions") return <SessionsPage />;
  if (session) return <SessionDetailPage id={Number(session.id)} />;
  if (pathname === "/watchlists") return <WatchlistsPage />;
  if (pathname === "/search") return <SearchPage />;
  if (pathname === "/health") return <HealthPage />;
  if (pathname === "/chat-import") return <ChatImportPage />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{pathname}</code>. <Link to="/">Back to lookup</Link>
      </p>
    </>
  );
}

function Shell() {
  const { token } = useAuth();
  const { pathname } = useLocation();
  const firstRender = useRef(true);
  useEffect(() => {
    const item = NAV.find((entry) => isActive(entry.to, pathname));
    document.title = `${item?.label ?? "MHC"} · MHC Control Panel`;
    // After a client-side navigation, keyboard and screen-reader users start at the content.
    if (firstRender.current) firstRender.current = false;
    else {
      const main = document.getElementById("main");
      if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
    }
  }, [pathname]);
  if (!token) return <SignIn />;
  return (
    <>
      <Header />
      <main id="main" className="page" tabIndex={-1}>
        <Routes />
      </main>
    </>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}
