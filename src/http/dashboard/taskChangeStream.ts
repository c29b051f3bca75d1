import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Sql } from "postgres";
import { taskChangeMark } from "../../orchestration/taskChangeQuery.ts";

/** How often an open task page's stream reads the task's change mark. */
export const LIVE_POLL_MS = 500;
/** A comment line this often keeps idle connections (and proxies) from closing the stream. */
const KEEP_ALIVE_MS = 10_000;

/**
 * Server-sent events for one task page: `ready` once, then `change` whenever the task's
 * change mark (task and step states, attempts, checkpoints, new steps) differs from the last
 * one read, and `gone` if the task disappears. A short server-side poll, not LISTEN/NOTIFY:
 * the engine does not notify step completions (a worker completes and continues a chain in
 * one transaction without any NOTIFY), so there is no notification to follow. The stream ends
 * when the client goes away or the process shuts down (`stop`).
 */
export function taskChangeStream(c: Context, sql: Sql, taskUuid: string, stop: AbortSignal): Response {
  return streamSSE(c, async (stream) => {
    let last: string | undefined;
    let sinceWrite = 0;
    let sequence = 0;
    while (!stream.aborted && !stream.closed && !stop.aborted) {
      const mark = await taskChangeMark(sql, taskUuid);
      if (mark === undefined) {
        await stream.writeSSE({ event: "gone", data: taskUuid });
        return;
      }
      if (last === undefined) {
        await stream.writeSSE({ event: "ready", data: String(sequence) });
        sinceWrite = 0;
      } else if (mark !== last) {
        sequence += 1;
        await stream.writeSSE({ event: "change", data: String(sequence), id: String(sequence) });
        sinceWrite = 0;
      } else if ((sinceWrite += LIVE_POLL_MS) >= KEEP_ALIVE_MS) {
        await stream.write(": keep-alive\n\n");
        sinceWrite = 0;
      }
      last = mark;
      await stream.sleep(LIVE_POLL_MS);
    }
  });
}
