const WIDTH = 600;
const HEIGHT = 160;
const AXIS = 28;

/** Steps completed per minute as an SVG bar chart drawn on the server; each bar has a title with its numbers. */
export function CompletionsChart(props: { perMinute: ReadonlyArray<{ minute: string; count: number }> }) {
  const max = Math.max(1, ...props.perMinute.map((m) => m.count));
  const slot = (WIDTH - AXIS) / Math.max(1, props.perMinute.length);
  const total = props.perMinute.reduce((sum, m) => sum + m.count, 0);
  const first = props.perMinute[0]?.minute.slice(11, 16) ?? "";
  const last = props.perMinute.at(-1)?.minute.slice(11, 16) ?? "";
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + 20}`} width={WIDTH} height={HEIGHT + 20} role="img" aria-label={`Steps completed per minute, ${total} in the last ${props.perMinute.length} minutes, at most ${max} in a minute`}>
        <text x="0" y="12" class="axis">{max}</text>
        <text x="0" y={HEIGHT} class="axis">0</text>
        <line x1={AXIS} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} class="axis-line" />
        {props.perMinute.map((m, i) => {
          const h = (m.count / max) * (HEIGHT - 8);
          return (
            <rect x={(AXIS + i * slot + 1).toFixed(1)} y={(HEIGHT - h).toFixed(1)} width={Math.max(1, slot - 2).toFixed(1)} height={h.toFixed(1)} class="bar" data-minute={m.minute} data-count={m.count}>
              <title>{`${m.minute.slice(11, 16)} UTC: ${m.count}`}</title>
            </rect>
          );
        })}
        <text x={AXIS} y={HEIGHT + 16} class="axis">{first} UTC</text>
        <text x={WIDTH} y={HEIGHT + 16} class="axis" text-anchor="end">{last} UTC</text>
      </svg>
      <figcaption>Steps completed per minute (last {props.perMinute.length} minutes; {total} in all)</figcaption>
    </figure>
  );
}
