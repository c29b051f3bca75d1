import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadTemplates, TemplateError, type TemplateCatalog } from "../../../src/templates/index.ts";
import { errorOf, writeTree, type TempTree } from "./writeTree.ts";

const yaml = (name: string, extra = ""): string =>
  `name: ${name}\nversion: 1.0.0\n${extra}steps:\n  - name: only_step\n    handler: { callable: only_step }\n`;

let tree: TempTree;
afterEach(() => tree.remove());

const names = (catalog: TemplateCatalog): string[] => catalog.templates.map((t) => `${t.template.namespace}/${t.template.name}`);

async function templateErrorOf(fn: () => unknown): Promise<TemplateError> {
  const error = await errorOf(fn);
  if (!(error instanceof TemplateError)) throw error;
  return error;
}

describe("loadTemplates", () => {
  test("finds_yaml_and_yml_files_at_any_depth_below_each_namespace_folder", async () => {
    tree = writeTree({
      "handlers/payments/process_order.yaml": yaml("process_order"),
      "handlers/payments/refunds/v1/refund.yml": yaml("refund"),
      "handlers/email/send_welcome.yaml": yaml("send_welcome"),
      "handlers/email/notes.txt": "not a template",
    });
    const catalog = await loadTemplates(tree.path("handlers"));
    expect(names(catalog)).toEqual(["email/send_welcome", "payments/process_order", "payments/refund"]);
    expect(catalog.namespaces.map((n) => n.namespace)).toEqual(["email", "payments"]);
    expect(catalog.templates[2]?.file).toBe(join(tree.path("handlers"), "payments/refunds/v1/refund.yml"));
  });

  test("skips_node_modules_and_names_starting_with_underscore_or_dot", async () => {
    tree = writeTree({
      "handlers/payments/process_order.yaml": yaml("process_order"),
      "handlers/payments/node_modules/pkg/t.yaml": "broken: [",
      "handlers/payments/_drafts/t.yaml": "broken: [",
      "handlers/payments/.hidden.yaml": "broken: [",
      "handlers/payments/_draft.yaml": "broken: [",
      "handlers/_shared/t.yaml": "broken: [",
      "handlers/.git/t.yaml": "broken: [",
      "handlers/node_modules/t.yaml": "broken: [",
    });
    expect(names(await loadTemplates(tree.path("handlers")))).toEqual(["payments/process_order"]);
  });

  test("skips_folders_whose_names_are_not_namespaces_by_default", async () => {
    tree = writeTree({
      "handlers/payments/process_order.yaml": yaml("process_order"),
      "handlers/Not-A-Namespace/t.yaml": "broken: [",
    });
    expect(names(await loadTemplates(tree.path("handlers")))).toEqual(["payments/process_order"]);
  });

  test("loads_only_the_requested_namespaces", async () => {
    tree = writeTree({
      "handlers/payments/process_order.yaml": yaml("process_order"),
      "handlers/email/send_welcome.yaml": yaml("send_welcome"),
    });
    expect(names(await loadTemplates(tree.path("handlers"), ["email"]))).toEqual(["email/send_welcome"]);
  });

  test("rejects_a_requested_namespace_without_a_folder", async () => {
    tree = writeTree({ "handlers/payments/process_order.yaml": yaml("process_order") });
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers"), ["payments", "billing"]));
    expect(error.message).toBe(`${join(tree.path("handlers"), "billing")}: namespace "billing" has no folder`);
  });

  test("rejects_a_requested_namespace_that_is_a_path", async () => {
    tree = writeTree({ "handlers/payments/process_order.yaml": yaml("process_order"), "secret/t.yaml": yaml("secret") });
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers"), ["../secret"]));
    expect(error.issues[0]?.message).toStartWith(`"../secret" is not a valid namespace`);
  });

  test("reports_a_missing_handlers_directory", async () => {
    tree = writeTree();
    const error = await templateErrorOf(() => loadTemplates(tree.path("nope")));
    expect(error.message).toBe(`${tree.path("nope")}: handlers directory does not exist`);
  });

  test("collects_the_problems_of_every_file_into_one_error", async () => {
    tree = writeTree({
      "handlers/payments/a.yaml": yaml("a").replace("callable: only_step }", "callable: only_step }\n    dependencies: [ghost]"),
      "handlers/payments/b.yaml": "name: b\nversion: [\n",
      "handlers/email/c.yaml": yaml("c", "namespace_name: payments\n"),
      "handlers/email/d.yaml": yaml("d"),
    });
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers")));
    const h = tree.path("handlers");
    expect(error.issues.map((i) => [i.file, i.step, i.message.split(":")[0]])).toEqual([
      [`${h}/email/c.yaml`, undefined, `namespace_name "payments" does not match its folder "email"`],
      [`${h}/payments/a.yaml`, "only_step", `depends on unknown step "ghost"`],
      [`${h}/payments/b.yaml`, undefined, "is not valid YAML"],
    ]);
    expect(error.message).toStartWith("3 template problems:\n");
  });

  test("rejects_two_files_defining_the_same_template_version", async () => {
    tree = writeTree({ "handlers/payments/a.yaml": yaml("same"), "handlers/payments/nested/b.yaml": yaml("same") });
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers")));
    const h = tree.path("handlers");
    expect(error.message).toBe(
      `${h}/payments/nested/b.yaml: template "same" version 1.0.0 is also defined in ${h}/payments/a.yaml`,
    );
  });

  test("rejects_a_template_symlink_that_escapes_the_handlers_directory", async () => {
    tree = writeTree({ "handlers/payments/ok.yaml": yaml("ok"), "outside/evil.yaml": yaml("evil") });
    tree.symlink("handlers/payments/evil.yaml", tree.path("outside/evil.yaml"));
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers")));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.file).toBe(tree.path("handlers/payments/evil.yaml"));
    expect(error.issues[0]?.message).toContain("outside the handlers directory");
  });

  test("rejects_a_folder_symlink_that_escapes_through_dotdot", async () => {
    tree = writeTree({ "handlers/payments/ok.yaml": yaml("ok"), "outside/evil.yaml": yaml("evil") });
    tree.symlink("handlers/payments/linked", "../../outside");
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers")));
    expect(error.issues.map((i) => i.file)).toEqual([tree.path("handlers/payments/linked")]);
    expect(error.issues[0]?.message).toContain("outside the handlers directory");
  });

  test("rejects_a_namespace_folder_that_is_a_symlink_to_outside", async () => {
    tree = writeTree({ "outside/evil.yaml": yaml("evil") });
    mkdirSync(tree.path("handlers"));
    tree.symlink("handlers/payments", tree.path("outside"));
    const error = await templateErrorOf(() => loadTemplates(tree.path("handlers")));
    expect(error.message).toContain("outside the handlers directory");
  });

  test("follows_symlinks_that_stay_inside_and_survives_a_symlink_loop", async () => {
    tree = writeTree({ "handlers/payments/shared/t.yaml": yaml("shared_template") });
    tree.symlink("handlers/payments/shared/again", "..");
    tree.symlink("handlers/email", "payments/shared");
    const catalog = await loadTemplates(tree.path("handlers"));
    expect(names(catalog).sort()).toEqual(["email/shared_template", "payments/shared_template"]);
  });
});
