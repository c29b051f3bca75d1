/** PostgreSQL SQLSTATE codes the code branches on. Never branch on message text. */
export const SqlState = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  checkViolation: "23514",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
  undefinedTable: "42P01",
  duplicateTable: "42P07",
  duplicateObject: "42710",
  undefinedFunction: "42883",
  invalidCatalogName: "3D000",
  duplicateDatabase: "42P04",
  adminShutdown: "57P01",
  crashShutdown: "57P02",
  cannotConnectNow: "57P03",
  queryCanceled: "57014",
  raiseException: "P0001",
} as const;

export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = error.code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A failure of the connection itself (no SQLSTATE, or class 08 / 57P shutdowns), not of the statement. */
export function isConnectionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith("08") || state.startsWith("57P");
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("CONNECTION_") || code.startsWith("ECONN") || code === "ETIMEDOUT");
}
