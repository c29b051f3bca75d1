/**
 * Start-up of the compiled binary: spawn until /health/ready answers 200, per role, on a
 * database that is already migrated (so `--migrate` finds nothing to do), plus the RSS of
 * each role idle one second after it became ready.
 */
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { distribution, median, type Distribution } from "./support/stats.ts";
import { BENCH_HANDLERS, rssMiB, startRole, stopRoles, type Role } from "./support/taskerRoles.ts";

export interface StartupResult {
  role: Role;
  toReady: Distribution;
  idleRssMiB: number;
}

export async function benchStartup(options: { repeats: number; log: (l: string) => void }): Promise<StartupResult[]> {
  return withBenchDatabase("startup", { migrate: true }, async ({ url }) => {
    const out: StartupResult[] = [];
    for (const role of ["combined", "orchestration", "worker"] as const) {
      const times: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < options.repeats; i += 1) {
        const r = await startRole(role, url, { handlersDir: BENCH_HANDLERS, ...(role === "orchestration" ? {} : { args: ["--namespace", "bench_noop"] }) });
        try {
          times.push(r.startupMs);
          await Bun.sleep(1000);
          rss.push(rssMiB(r.proc.pid));
        } finally {
          await stopRoles([r]);
        }
      }
      const result = { role, toReady: distribution(times), idleRssMiB: median(rss) };
      out.push(result);
      options.log(`  ${role}: start to ready p50 ${result.toReady.p50.toFixed(0)} ms (max ${result.toReady.max.toFixed(0)} ms, n=${times.length}); idle RSS ${result.idleRssMiB.toFixed(1)} MiB`);
    }
    return out;
  });
}
