export function HealthPage(_props: { id?: number }) {
  return <h1>Health</h1>;
}
