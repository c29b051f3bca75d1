/**
 * Loaded once per test process (bunfig.toml). Test files ask for PostgreSQL lazily
 * through useTestDatabase(); this only makes sure a throwaway cluster, if one was
 * started, is stopped when the run ends.
 */
import { afterAll } from "bun:test";
import { stopTestServer } from "./database.ts";

afterAll(async () => {
  await stopTestServer();
});
