/**
 * The entry of a handler thread on Deno: the shared entry (worker/isolation/handlerThread.ts),
 * with process.exit() and Deno.exit() reporting the exit to the parent first. Handler modules
 * are imported later, on their first call, so they see the wrapped functions.
 */
import "../../worker/isolation/handlerThread.ts";
import { reportThreadExits, type ThreadExitNotice } from "./threadExitNotice.ts";

declare const self: { postMessage(message: ThreadExitNotice): void };

reportThreadExits((notice) => self.postMessage(notice));
