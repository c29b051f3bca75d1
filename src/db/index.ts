export { createPool, closePool, type Database, type PoolOptions } from "./pool.ts";
export { migrate, schemaStatus, type MigrationReport, type SchemaStatus } from "./migrator.ts";
export { waitForDatabase } from "./waitForDatabase.ts";
export { SqlState, sqlStateOf } from "./sqlState.ts";
export { ensureDatabase } from "./ensureDatabase.ts";
