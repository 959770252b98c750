export function PersonPage(_props: { id?: number }) {
  return <h1>Person</h1>;
}
