/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of the hot queries, summarised: plan shape,
 * indexes used, sequential scans (flagged), rows, time, buffers. plpgsql functions
 * (evaluate_task, claim_step, ...) show as one Result node to EXPLAIN, so their
 * statements are captured with auto_explain (log_nested_statements, raised to NOTICE
 * so they reach this client) inside a transaction that is rolled back.
 */
import postgres, { type Sql } from "postgres";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Actual Total Time"?: number;
  "Rows Removed by Filter"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

export interface SeqScan {
  relation: string;
  rows: number;
  removedByFilter: number;
  loops: number;
}

export interface PlanSummary {
  shape: string;
  indexes: string[];
  seqScans: SeqScan[];
  rows: number;
  executionMs: number;
  planningMs?: number;
  sharedHit: number;
  sharedRead: number;
}

export interface StatementSummary extends PlanSummary {
  statement: string;
}

export interface ExplainEntry {
  name: string;
  query: string;
  /** Plain EXPLAIN of the top-level query. */
  plan?: PlanSummary;
  /** For plpgsql functions: every nested statement auto_explain saw, slowest first. */
  statements?: StatementSummary[];
  error?: string;
}

function shapeOf(node: PlanNode, depth = 0): string {
  const what = node["Index Name"]
    ? `${node["Node Type"]} ${node["Index Name"]}`
    : node["Relation Name"] ? `${node["Node Type"]} ${node["Relation Name"]}` : node["Node Type"];
  const children = (node.Plans ?? []).map((c) => shapeOf(c, depth + 1));
  return children.length ? `${what}(${children.join(", ")})` : what;
}

function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const c of node.Plans ?? []) walk(c, visit);
}

export function summarisePlan(root: PlanNode, executionMs: number, planningMs?: number): PlanSummary {
  const indexes = new Set<string>();
  const seqScans: SeqScan[] = [];
  walk(root, (n) => {
    if (n["Index Name"]) indexes.add(n["Index Name"]);
    if (n["Node Type"] === "Seq Scan" && n["Relation Name"] && !n["Relation Name"].startsWith("gen_")) {
      seqScans.push({
        relation: n["Relation Name"],
        rows: n["Actual Rows"] ?? 0,
        removedByFilter: n["Rows Removed by Filter"] ?? 0,
        loops: n["Actual Loops"] ?? 1,
      });
    }
  });
  const shape = shapeOf(root);
  return {
    shape: shape.length > 400 ? `${shape.slice(0, 400)}…` : shape,
    indexes: [...indexes],
    seqScans,
    rows: root["Actual Rows"] ?? 0,
    executionMs,
    ...(planningMs === undefined ? {} : { planningMs }),
    sharedHit: root["Shared Hit Blocks"] ?? 0,
    sharedRead: root["Shared Read Blocks"] ?? 0,
  };
}

/** EXPLAIN ANALYZE of a read-only query (run inside a rolled-back transaction anyway). */
export async function explainQuery(sql: Sql, name: string, query: string): Promise<ExplainEntry> {
  try {
    let out: ExplainEntry | undefined;
    await sql
      .begin(async (tx) => {
        const [row] = await tx.unsafe<{ "QUERY PLAN": Array<{ Plan: PlanNode; "Execution Time": number; "Planning Time": number }> }[]>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`,
        );
        const doc = row!["QUERY PLAN"][0]!;
        out = { name, query, plan: summarisePlan(doc.Plan, doc["Execution Time"], doc["Planning Time"]) };
        throw new RollBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RollBack)) throw error;
      });
    return out!;
  } catch (error) {
    return { name, query, error: error instanceof Error ? error.message : String(error) };
  }
}

class RollBack extends Error {}

/**
 * Runs `steps` in one transaction with auto_explain on; each step's nested statements
 * become one entry. The transaction is rolled back, so the data is unchanged.
 */
export async function explainNested(
  url: string,
  steps: ReadonlyArray<{ name: string; query: string }>,
): Promise<ExplainEntry[]> {
  const notices: string[] = [];
  const sql = postgres(url, { max: 1, onnotice: (n) => notices.push(String(n.message ?? "")) });
  const entries: ExplainEntry[] = [];
  try {
    await sql.unsafe("LOAD 'auto_explain'");
    await sql
      .begin(async (tx) => {
        await tx.unsafe(`SET LOCAL auto_explain.log_min_duration = 0;
          SET LOCAL auto_explain.log_analyze = on; SET LOCAL auto_explain.log_buffers = on;
          SET LOCAL auto_explain.log_timing = on; SET LOCAL auto_explain.log_nested_statements = on;
          SET LOCAL auto_explain.log_format = json; SET LOCAL auto_explain.log_level = notice;
          SET LOCAL client_min_messages = notice`);
        for (const step of steps) {
          notices.length = 0;
          try {
            // A warm-up pass (rolled back) first, so plpgsql compilation and plan caching
            // do not count; then the measured pass, whose effects later steps see.
            await tx.unsafe(`SAVEPOINT s`);
            await tx.unsafe(step.query);
            await tx.unsafe(`ROLLBACK TO SAVEPOINT s`);
            notices.length = 0;
            await tx.unsafe(step.query);
            await tx.unsafe(`RELEASE SAVEPOINT s`);
          } catch (error) {
            await tx.unsafe(`ROLLBACK TO SAVEPOINT s`);
            entries.push({ name: step.name, query: step.query, error: error instanceof Error ? error.message : String(error) });
            continue;
          }
          const statements: StatementSummary[] = [];
          for (const notice of notices) {
            const at = notice.indexOf("{");
            if (at < 0) continue;
            try {
              const doc = JSON.parse(notice.slice(at)) as { "Query Text": string; Plan: PlanNode };
              const text = doc["Query Text"].replace(/\s+/g, " ").trim();
              if (/^(SAVEPOINT|RELEASE|ROLLBACK)/i.test(text)) continue;
              statements.push({ statement: text.length > 160 ? `${text.slice(0, 160)}…` : text, ...summarisePlan(doc.Plan, doc.Plan["Actual Total Time"] ?? 0) });
            } catch {
              // not a plan
            }
          }
          // The outermost statement (the call itself) comes last; keep it first.
          const outer = statements.pop();
          statements.sort((a, b) => b.executionMs - a.executionMs);
          entries.push({ name: step.name, query: step.query, ...(outer ? { plan: outer } : {}), statements });
        }
        throw new RollBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RollBack)) throw error;
      });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return entries;
}

/** Every sequential scan of an entry, its nested statements included, on tables that have rows. */
export function flaggedSeqScans(entry: ExplainEntry): Array<SeqScan & { statement?: string }> {
  const out: Array<SeqScan & { statement?: string }> = [];
  for (const s of entry.plan?.seqScans ?? []) out.push(s);
  for (const st of entry.statements ?? []) for (const s of st.seqScans) out.push({ ...s, statement: st.statement });
  return out.filter((s) => s.rows + s.removedByFilter > 0);
}
