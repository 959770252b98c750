export function OwnerPage(_props: { id?: number }) {
  return <h1>Owner</h1>;
}
