/** A two-column table of counts (a name, a number), largest first as given; "none" when empty. */
export function CountTable(props: {
  caption: string;
  unit: string;
  rows: Array<[string, number]>;
  countLabel?: string;
  testId?: string;
}) {
  return (
    <table data-testid={props.testId}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{props.unit}</th>
          <th scope="col">{props.countLabel ?? "count"}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colSpan={2}>none</td>
          </tr>
        ) : (
          props.rows.map(([key, n]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{n}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
