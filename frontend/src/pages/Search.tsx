export function SearchPage(_props: { id?: number }) {
  return <h1>Search</h1>;
}
