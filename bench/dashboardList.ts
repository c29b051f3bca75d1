/**
 * The dashboard's task list with 100k tasks in the database: the generated dataset (the seed's
 * state mix, bench/generateDataset.ts) plus a compiled `--role orchestration` process, and the
 * list fragment the page loads (`/dashboard/fragments/tasks?...`) timed over HTTP on loopback
 * for the first page, filters, a deep page and a search. Written to bench/README.md's
 * "Dashboard list" block, which `npm run bench` keeps.
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/dashboardList.ts [--tasks 100000] [--iterations 30]
 *
 * Measures only; asserts nothing.
 */
import { join } from "node:path";
import postgres from "postgres";
import { generateTasks, prepareCatalog } from "./generateDataset.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { positiveIntFlag } from "./support/flags.ts";
import { writeBlock } from "./support/readmeBlock.ts";
import { distribution, type Distribution } from "./support/stats.ts";
import { startRole, stopRoles } from "./support/taskerRoles.ts";

const tasks = positiveIntFlag("--tasks", 100_000);
const iterations = positiveIntFlag("--iterations", 30);

await withBenchDatabase("dashboard_list", { migrate: true }, async ({ url }) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  try {
    await prepareCatalog(sql);
    for (let done = 0; done < tasks; done += 50_000) await generateTasks(sql, Math.min(50_000, tasks - done), 700 + done / 50_000);
    await sql`VACUUM ANALYZE`;
    const [counts] = await sql<{ tasks: number; steps: number }[]>`
      SELECT (SELECT count(*) FROM tasker.tasks)::int AS tasks, (SELECT count(*) FROM tasker.workflow_steps)::int AS steps`;
    const [sample] = await sql<{ task_uuid: string; correlation_id: string }[]>`
      SELECT task_uuid::text, correlation_id::text FROM tasker.tasks ORDER BY task_uuid OFFSET ${Math.floor(tasks / 2)} LIMIT 1`;
    console.error(`generated ${counts!.tasks} tasks, ${counts!.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const orchestration = await startRole("orchestration", url);
    try {
      const cases: Array<[string, string]> = [
        ["first page, no filter", ""],
        ["namespace", "namespace=bench_ns_1"],
        ["state error", "state=error"],
        ["namespace + state + template", "namespace=bench_ns_2&state=complete&name=diamond"],
        ["created in a time range", `created_after=2000-01-01T00:00:00&created_before=2100-01-01T00:00:00`],
        ["page 200 (deep)", "page=200"],
        ["search by correlation id", `uuid=${sample!.correlation_id}`],
      ];
      const rows: Array<[string, Distribution]> = [];
      for (const [label, query] of cases) {
        const target = `${orchestration.baseUrl}/dashboard/fragments/tasks?${query}`;
        const first = await fetch(target);
        if (first.status !== 200) throw new Error(`${label}: HTTP ${first.status} ${(await first.text()).slice(0, 200)}`);
        await first.text();
        const samples: number[] = [];
        for (let i = 0; i < iterations; i += 1) {
          const t = performance.now();
          await (await fetch(target)).text();
          samples.push(performance.now() - t);
        }
        const d = distribution(samples);
        rows.push([label, d]);
        console.error(`  ${label}: p50 ${d.p50.toFixed(1)} ms, p95 ${d.p95.toFixed(1)} ms, max ${d.max.toFixed(1)} ms`);
      }
      const date = new Date().toISOString().slice(0, 10);
      const section = `## Dashboard list

\`bun bench/dashboardList.ts\`, one run on ${date}: ${counts!.tasks.toLocaleString("en")} tasks (${counts!.steps.toLocaleString("en")} steps, the seed's state
mix) and a compiled \`--role orchestration\`; the list fragment the page loads
(\`/dashboard/fragments/tasks\`, 25 rows, rendered HTML) fetched ${iterations} times per case over loopback.

| case | p50 | p95 | max |
|---|---|---|---|
${rows.map(([label, d]) => `| ${label} | ${d.p50.toFixed(1)} ms | ${d.p95.toFixed(1)} ms | ${d.max.toFixed(1)} ms |`).join("\n")}
`;
      console.log(section);
      writeBlock(join(import.meta.dirname, "README.md"), "dashboard-list", section);
    } finally {
      await stopRoles([orchestration]);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
});
