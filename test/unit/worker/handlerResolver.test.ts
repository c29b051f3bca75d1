import { afterEach, describe, expect, test } from "bun:test";
import type { StepHandlerClass } from "../../../src/sdk/compat/stepHandler.ts";
import { asNativeHandler } from "../../../src/sdk/compat/toNativeHandler.ts";
import { PermanentError, RetryableError, type StepContext } from "../../../src/sdk/index.ts";
import { TemplateError } from "../../../src/templates/index.ts";
import { HandlerModuleError } from "../../../src/worker/handlerModuleLoader.ts";
import { resolveHandlers } from "../../../src/worker/handlerResolver.ts";
import { loadNamespaces } from "../../../src/worker/loadNamespaces.ts";
import { errorOf, writeTree, type TempTree } from "../templates/writeTree.ts";

let tree: TempTree;
afterEach(() => tree.remove());

const fakeContext = {} as StepContext;
const call = async (handler: ((ctx: StepContext) => unknown) | StepHandlerClass | undefined): Promise<unknown> => {
  if (!handler) throw new Error("handler not resolved");
  return await asNativeHandler(handler)(fakeContext);
};

const template = (callables: string[]): string =>
  `name: flow\nversion: 1.0.0\nsteps:\n${callables
    .map((c, i) => `  - name: step_${i + 1}\n    handler: { callable: ${c} }\n`)
    .join("")}`;

describe("resolveHandlers", () => {
  test("resolves_a_callable_to_the_default_export_of_its_file", async () => {
    tree = writeTree({
      "ns/charge_card.ts": `export default function () { return "ts"; }`,
      "ns/send_email.js": `export default async function () { return "js"; }`,
    });
    const { handlers, missing } = await resolveHandlers(tree.path("ns"), ["charge_card", "send_email"]);
    expect(missing).toEqual([]);
    expect(await call(handlers.get("charge_card"))).toBe("ts");
    expect(await call(handlers.get("send_email"))).toBe("js");
  });

  test("prefers_the_namespace_root_then_the_shallowest_subfolder", async () => {
    tree = writeTree({
      "ns/charge_card.ts": `export default () => "root";`,
      "ns/deep/charge_card.ts": `export default () => "deep";`,
      "ns/a/b/refund.ts": `export default () => "deeper";`,
      "ns/c/refund.ts": `export default () => "shallow";`,
    });
    const { handlers } = await resolveHandlers(tree.path("ns"), ["charge_card", "refund"]);
    expect(await call(handlers.get("charge_card"))).toBe("root");
    expect(await call(handlers.get("refund"))).toBe("shallow");
  });

  test("prefers_ts_over_js_for_the_same_name", async () => {
    tree = writeTree({ "ns/pay.js": `export default () => "js";`, "ns/pay.ts": `export default () => "ts";` });
    const { handlers } = await resolveHandlers(tree.path("ns"), ["pay"]);
    expect(await call(handlers.get("pay"))).toBe("ts");
  });

  test("falls_back_to_a_named_export_in_any_module_of_the_folder", async () => {
    tree = writeTree({
      "ns/lib/payments.ts": `export function charge_card() { return "named"; }\nexport const not_a_function = 1;`,
    });
    const { handlers, missing } = await resolveHandlers(tree.path("ns"), ["charge_card", "not_a_function"]);
    expect(await call(handlers.get("charge_card"))).toBe("named");
    expect(missing).toEqual(["not_a_function"]);
  });

  test("uses_a_named_export_when_the_file_of_that_name_has_no_default_function", async () => {
    tree = writeTree({ "ns/charge_card.ts": `export function charge_card() { return "named in own file"; }` });
    const { handlers } = await resolveHandlers(tree.path("ns"), ["charge_card"]);
    expect(await call(handlers.get("charge_card"))).toBe("named in own file");
  });

  test("reports_callables_without_a_handler_as_missing", async () => {
    tree = writeTree({ "ns/other.ts": `export default () => 1;`, "ns/helper.test.ts": `export function ghost() {}` });
    const { handlers, missing } = await resolveHandlers(tree.path("ns"), ["ghost", "other"]);
    expect(missing).toEqual(["ghost"]);
    expect([...handlers.keys()]).toEqual(["other"]);
  });

  test("reports_a_module_that_fails_to_import_with_its_file_and_cause", async () => {
    tree = writeTree({
      "ns/ok.ts": `export default () => 1;`,
      "ns/broken.ts": `throw new Error("boom at import");\nexport default () => 1;`,
      "ns/bad_syntax.ts": `export default function ( {`,
    });
    const error = await errorOf(() => resolveHandlers(tree.path("ns"), ["ok"]));
    expect(error).toBeInstanceOf(HandlerModuleError);
    const issues = (error as HandlerModuleError).issues;
    expect(issues.map((i) => i.file).sort()).toEqual([tree.path("ns/bad_syntax.ts"), tree.path("ns/broken.ts")]);
    expect(issues.find((i) => i.file.endsWith("broken.ts"))?.message).toBe("failed to import: boom at import");
    expect((error as HandlerModuleError).code).toBe("HANDLER_MODULE_INVALID");
  });

  test("reports_a_callable_exported_by_two_modules_as_ambiguous", async () => {
    tree = writeTree({ "ns/a.ts": `export function pay() {}`, "ns/b.ts": `export function pay() {}` });
    const error = await errorOf(() => resolveHandlers(tree.path("ns"), ["pay"]));
    expect(error.message).toContain(`handler "pay" is exported by more than one module`);
  });

  test("rejects_a_handler_file_symlinked_from_outside_the_handlers_directory", async () => {
    tree = writeTree({ "outside/pay.ts": `export default () => "evil";` });
    tree.symlink("handlers/ns/pay.ts", tree.path("outside/pay.ts"));
    const error = await errorOf(() => resolveHandlers(tree.path("handlers/ns"), ["pay"], { handlersDir: tree.path("handlers") }));
    expect(error.message).toContain(`${tree.path("handlers/ns/pay.ts")}: resolves to`);
    expect(error.message).toContain("outside the handlers directory");
  });

  test("gives_a_handler_importing_tasker_the_same_error_classes", async () => {
    tree = writeTree({
      "ns/reject.ts": `import { PermanentError } from "tasker";\nexport default () => { throw new PermanentError("no", { errorType: "declined" }); };`,
      "ns/later.ts": `import { RetryableError, type StepContext } from "tasker";\nexport default (_ctx: StepContext) => { throw new RetryableError("later", { retryAfterSeconds: 5 }); };`,
    });
    const { handlers } = await resolveHandlers(tree.path("ns"), ["reject", "later"]);
    const permanent = await errorOf(() => call(handlers.get("reject")));
    expect(permanent).toBeInstanceOf(PermanentError);
    expect((permanent as PermanentError).retryable).toBe(false);
    expect((permanent as PermanentError).errorType).toBe("declined");
    const retryable = await errorOf(() => call(handlers.get("later")));
    expect(retryable).toBeInstanceOf(RetryableError);
    expect((retryable as RetryableError).retryAfterSeconds).toBe(5);
  });
});

describe("loadNamespaces", () => {
  test("returns_templates_and_a_handler_for_every_callable", async () => {
    tree = writeTree({
      "handlers/payments/flow.yaml": template(["charge_card", "refund"]),
      "handlers/payments/charge_card.ts": `export default () => "charged";`,
      "handlers/payments/more.ts": `export const refund = () => "refunded";`,
    });
    const [loaded] = await loadNamespaces(tree.path("handlers"));
    expect(loaded?.namespace).toBe("payments");
    expect(loaded?.templates.map((t) => t.template.name)).toEqual(["flow"]);
    expect(await call(loaded?.handlers.get("refund"))).toBe("refunded");
  });

  test("names_the_template_file_step_and_callable_of_a_missing_handler", async () => {
    tree = writeTree({
      "handlers/payments/flow.yaml": template(["charge_card", "ghost"]),
      "handlers/payments/charge_card.ts": `export default () => 1;`,
    });
    const error = await errorOf(() => loadNamespaces(tree.path("handlers")));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toStartWith(
      `${tree.path("handlers/payments/flow.yaml")}: step "step_2": handler "ghost" not found: no ghost.ts or ghost.js in ${tree.path("handlers/payments")}`,
    );
  });

  test("class_lookup_paths_stay_in_the_handlers_folder_and_say_why_they_fail", async () => {
    const handlerClass = (name: string) =>
      `import { StepHandler } from "@tasker-systems/tasker";\nexport class H extends StepHandler { static handlerName = "${name}"; call() { return this.success({}); } }`;
    tree = writeTree({
      "handlers/payments/flow.yaml": template(["./impl/ok.js", "../shared/common.ts", "./impl/ghost.js", "../../outside.ts", "./impl/plain.ts", '"@acme/pkg/handler"']),
      "handlers/payments/impl/ok.ts": handlerClass("Ok"),
      "handlers/shared/common.ts": handlerClass("Common"),
      "handlers/payments/impl/plain.ts": `export const value = 1;`,
      "outside.ts": handlerClass("Outside"),
    });
    const error = await errorOf(() => loadNamespaces(tree.path("handlers")));
    const lines = error.message.split("\n");
    const about = (step: string) => lines.find((l) => l.includes(`step "${step}"`)) ?? "";
    // ./impl/ok.js is ok.ts (TypeScript's import convention); ../shared is in the handlers folder.
    expect(about("step_1")).toBe("");
    expect(about("step_2")).toBe("");
    expect(about("step_3")).toContain("class_lookup: no module at ./impl/ghost.js");
    expect(about("step_4")).toContain("outside the handlers directory");
    expect(about("step_5")).toContain("exports no handler class");
    expect(about("step_6")).toContain("names a package");
  });

  test("lists_template_and_handler_problems_of_every_namespace_in_one_error", async () => {
    tree = writeTree({
      "handlers/payments/flow.yaml": template(["ghost"]),
      "handlers/email/flow.yaml": "name: flow\nversion: 1.0.0\nsteps: []\n",
      "handlers/email/broken.ts": `import "no-such-package-anywhere";`,
    });
    const error = await errorOf(() => loadNamespaces(tree.path("handlers")));
    expect(error).toBeInstanceOf(TemplateError);
    const issues = (error as TemplateError).issues;
    expect(issues.map((i) => [i.file.slice(tree.root.length + 1), i.step])).toEqual([
      ["handlers/email/flow.yaml", undefined],
      ["handlers/email/broken.ts", undefined],
      ["handlers/payments/flow.yaml", "step_1"],
    ]);
  });
});
