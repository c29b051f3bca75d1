/**
 * The short burst of `npm test` (the full 10,000-task burst is `npm run test:load`):
 * tasks created as fast as the client sends them against the compiled binary all
 * complete, once each, with bounded memory. Figures are printed, never timed.
 */
import { useTestDatabase } from "../support/database.ts";
import { describe, expect, test } from "../support/test.ts";
import { formatReport, runBurst } from "./burst.ts";

const TASKS = Number(process.env["TASKER_LOAD_SHORT_TASKS"] ?? 400);
/** Far above what a combined process needs (about 150 MB); growth with the burst size would cross it at the full size. */
const MAX_RSS_MB = 600;

const db = useTestDatabase(import.meta.file);

describe("burst load", () => {
  test(`${TASKS}_tasks_sent_at_once_all_complete_once_with_bounded_memory`, async () => {
    const report = await runBurst({ databaseUrl: db.url, tasks: TASKS, concurrency: 32 });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(report.failedRequests).toBe(0);
    expect(report.tasksCreated).toBe(TASKS);
    expect(report.lost).toBe(0);
    expect(report.tasksCompleted).toBe(TASKS);
    expect(report.stepsCompleted).toBe(TASKS * 2);
    expect(report.duplicateResults).toBe(0);
    expect(report.errorLogLines).toEqual([]);
    for (const p of report.processes) expect(p.peakRssMb).toBeLessThan(MAX_RSS_MB);
  }, 120_000);
});
