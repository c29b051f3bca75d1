/**
 * The short fuzz run of `npm test` (the full run is `npm run test:fuzz`): generated requests at
 * every route of the compiled binary. Replay a failure with TASKER_FUZZ_SEED=<the printed seed>.
 */
import { useTestDatabase } from "../support/database.ts";
import { describe, expect, test } from "../support/test.ts";
import { formatFuzzReport, runFuzz } from "./httpFuzz.ts";

const REQUESTS = Number(process.env["TASKER_FUZZ_REQUESTS"] ?? 10_000);
const SEED = Number(process.env["TASKER_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
/** RSS may end this far above its post-warm-up baseline; a leak per request would pass it well before 10,000. */
const RSS_TOLERANCE_MB = 64;

const db = useTestDatabase(import.meta.file);

describe("http fuzz", () => {
  test(`${REQUESTS}_generated_requests_get_no_5xx_and_the_process_stays_up_with_its_memory`, async () => {
    process.stdout.write(`fuzz seed ${SEED} (replay: TASKER_FUZZ_SEED=${SEED})\n`);
    const report = await runFuzz({ databaseUrl: db.url, requests: REQUESTS, seed: SEED, rssToleranceMb: RSS_TOLERANCE_MB });
    process.stdout.write(`${formatFuzzReport(report)}\n`);
    expect(report.serverErrors).toEqual([]);
    expect(report.nonEnvelopeErrors).toEqual([]);
    expect(report.transportErrors).toEqual([]);
    expect(report.errorLogLines).toEqual([]);
    expect(report.processAlive).toBe(true);
    expect(report.rss.finalMb).toBeLessThan(report.rss.baselineMb + RSS_TOLERANCE_MB);
  }, 120_000);
});
