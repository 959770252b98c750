export function WatchlistsPage(_props: { id?: number }) {
  return <h1>Watchlists</h1>;
}
