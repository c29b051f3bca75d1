import { configView, type ResolvedConfig } from "../config/index.ts";
import {
  closePool,
  createPool,
  ensureDatabase,
  migrate,
  schemaStatus,
  waitForDatabase,
  type Database,
} from "../db/index.ts";
import { createAuthenticator } from "../http/auth/createAuthenticator.ts";
import { createHttpApp } from "../http/createHttpApp.ts";
import { createRoleRoutes } from "../http/createRoleRoutes.ts";
import { timedCheck, type HealthCheck } from "../http/healthCheck.ts";
import { runChecks, type HealthRoutesDeps } from "../http/healthRoutes.ts";
import { MigrationError, toError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { serveHttp } from "../runtime/index.ts";
import { createTelemetry } from "../telemetry/createTelemetry.ts";
import type { Logger } from "../telemetry/logger.ts";
import { VERSION } from "../version.ts";
import type { Role } from "./parseCommandLine.ts";
import { createProcessLifecycle, type ProcessLifecycle } from "./processLifecycle.ts";
import { startEngine, type Engine } from "./startEngine.ts";

export interface RoleProcess {
  lifecycle: ProcessLifecycle;
  /** Resolves with the exit code once the process has stopped. */
  done: Promise<number>;
}

async function prepareSchema(sql: Database, migrateOnStart: boolean, logger: Logger): Promise<void> {
  if (migrateOnStart) {
    const report = await migrate(sql, { logger });
    logger.info("database schema ready", {
      operation: "migrate",
      applied: report.applied.length,
      skipped: report.skipped.length,
      schema_version: report.databaseVersion,
    });
    return;
  }
  const status = await schemaStatus(sql);
  if (status.pending.length > 0) {
    throw new MigrationError(
      "MIGRATION_FAILED",
      `the database lacks ${status.pending.length} migration(s) (${status.pending.join(", ")}); ` +
        "run `tasker migrate` or start with --migrate",
    );
  }
}

/**
 * Boots one role: pool, HTTP (health first, so probes answer while starting),
 * database wait, schema check or migration, then the role's loops. SIGTERM and
 * SIGINT drain it (see startEngine for the order).
 */
function baseUrlFor(port: number, host: string): string {
  return `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;
}

/** On a terminal, shows how to create a task from a template this process can run. */
function printCreateTaskHint(baseUrl: string, engine: Engine | undefined): void {
  if (!process.stdout.isTTY) return;
  const example = engine?.examples[0];
  const body = example
    ? JSON.stringify({ namespace: example.namespace, name: example.name, version: example.version, context: example.context })
    : '{"namespace":"<namespace>","name":"<template>","version":"1.0.0","context":{}}';
  process.stdout.write(
    `\ntasker is ready at ${baseUrl}\nCreate a task:\n  curl -s -X POST ${baseUrl}/v1/tasks -H 'content-type: application/json' \\\n    -d '${body}'\n` +
      `Follow it:\n  curl -s ${baseUrl}/v1/tasks/<task_uuid>\n\n`,
  );
}

export function startRole(role: Role, resolved: ResolvedConfig, baseLogger: Logger): RoleProcess {
  const { config } = resolved;
  const processId = newId();
  const logger = baseLogger.child({ role, process_id: processId });
  const shutdownTimeoutMs =
    role === "orchestration"
      ? config.orchestration.shutdown_timeout_ms
      : role === "worker"
        ? config.worker.shutdown_timeout_ms
        : Math.max(config.orchestration.shutdown_timeout_ms, config.worker.shutdown_timeout_ms);
  const lifecycle = createProcessLifecycle({ logger, shutdownTimeoutMs });
  // Registered first, so it runs last: spans of the drain are still exported.
  const telemetry = createTelemetry(config.telemetry, {
    attributes: { "tasker.role": role, "service.instance.id": processId },
  });
  lifecycle.onShutdown("telemetry", () => telemetry.shutdown());

  const onSignal = (signal: NodeJS.Signals): void => {
    void lifecycle.shutdown(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  lifecycle.onShutdown("signal handlers", () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  });

  const done = (async (): Promise<number> => {
    lifecycle.markStarting();
    const sql = createPool({
      url: config.database.url,
      maxConnections: config.database.pool.max_connections,
      idleTimeoutSeconds: config.database.pool.idle_timeout_seconds,
      connectTimeoutSeconds: config.database.pool.connect_timeout_seconds,
      applicationName: `tasker-${role}`,
      logger,
    });
    lifecycle.onShutdown("database pool", () => closePool(sql));

    let engine: Engine | undefined;
    const checks: HealthCheck[] = [
      { name: "database", run: () => timedCheck(async () => void (await sql`SELECT 1`), 2000) },
    ];
    const healthDeps: HealthRoutesDeps = {
      lifecycleState: () => lifecycle.state,
      checks,
      info: () => ({
        role,
        version: VERSION,
        environment: resolved.environment,
        process_id: processId,
        ...(engine && role !== "orchestration" ? { namespaces: engine.namespaces } : {}),
      }),
      details: async () => ({
        database_pool_size: config.database.pool.max_connections,
        ...(engine ? { queues: await engine.queueHealth.detail() } : {}),
      }),
    };
    const app = createHttpApp({
      logger,
      telemetry,
      web: config.web,
      authenticator: createAuthenticator(config.web.auth),
      openApi: {
        title: `tasker (${role})`,
        version: VERSION,
        description: "Workflow orchestration: tasks, steps, templates, DLQ and analytics (tasker-core's REST contract).",
        apiKeyHeader: config.web.auth.api_key_header,
      },
      routes: createRoleRoutes({
        role,
        sql,
        createTask: () => engine?.orchestration?.createTask,
        backpressure: () => engine?.backpressure,
        operator: () => engine?.orchestration?.operator,
        namespaces: () => engine?.namespaces,
        renderPrometheus: () => telemetry.renderPrometheus(),
        ...(config.web.config_endpoint_enabled
          ? { configView: () => configView(config, { role, environment: resolved.environment, version: VERSION, process_id: processId }) }
          : {}),
        health: healthDeps,
      }),
      ...(role !== "worker" && config.web.dashboard.enabled
        ? {
            dashboard: {
              sql,
              apiKeyHeader: config.web.auth.api_key_header,
              queueHealth: async () => (engine ? await engine.queueHealth.detail() : undefined),
              health: () => runChecks(healthDeps),
              shutdown: lifecycle.signal,
              traceUrl: config.web.dashboard.trace_url,
              backpressureMaxDepth: config.queues.backpressure.max_depth,
            },
          }
        : {}),
    });
    const port = role === "worker" ? config.web.worker_port : config.web.port;
    const server = serveHttp({
      hostname: config.web.host,
      port,
      fetch: (request) => app.fetch(request),
      // Above the app's own limit, so an oversized body gets the 413 error envelope from the app.
      maxRequestBodySize: config.web.body_limit_bytes * 2 + 65_536,
    });
    lifecycle.onShutdown("http server", () => server.stop());
    logger.info("http server listening", { host: server.hostname, port: server.port });

    try {
      if (config.database.migrate_on_start) await ensureDatabase(config.database.url, logger);
      await waitForDatabase(sql, lifecycle.signal, logger);
      await prepareSchema(sql, config.database.migrate_on_start, logger);
      engine = await startEngine(role, config, sql, processId, lifecycle, logger, telemetry, resolved.environment);
      lifecycle.markRunning();
      logger.info("ready", { port: server.port, version: VERSION, environment: resolved.environment });
      if (role !== "worker") printCreateTaskHint(baseUrlFor(server.port, config.web.host), engine);
    } catch (error) {
      if (lifecycle.signal.aborted) {
        await lifecycle.stopped;
        return 0;
      }
      logger.fatal("start-up failed", { error: toError(error) });
      await lifecycle.shutdown("start-up failed");
      return 1;
    }
    await lifecycle.stopped;
    logger.info("stopped");
    return 0;
  })();

  return { lifecycle, done };
}
