export function SessionsPage() {
  return <h1>Sessions</h1>;
}
export function SessionDetailPage(_props: { id: number }) {
  return <h1>Session</h1>;
}
