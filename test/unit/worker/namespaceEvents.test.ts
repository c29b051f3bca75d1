import { describe, expect, test } from "bun:test";
import { BasePublisher, BaseSubscriber, type DomainEvent } from "../../../src/sdk/compat/index.ts";
import { onDomainEvent, subscriberMatches, type DomainEvent as Envelope } from "../../../src/sdk/domainEvents.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import type { TemplateIssue } from "../../../src/templates/index.ts";
import { createEventExportCollector, emptyNamespaceEvents } from "../../../src/worker/namespaceEvents.ts";

const seen: string[] = [];
class OrderSubscriber extends BaseSubscriber {
  static override subscribesTo() {
    return ["order.*"];
  }
  handle(event: DomainEvent) {
    seen.push(`${event.eventName}:${String(event.payload["id"])}`);
  }
}
class OrderPublisher extends BasePublisher {
  readonly publisherName = "OrderPublisher";
}
class OtherOrderPublisher extends BasePublisher {
  readonly publisherName = "OrderPublisher";
}
class NeedsArguments extends BaseSubscriber {
  constructor(required: string) {
    super();
    if (!required) throw new Error("needs a name");
  }
  handle() {}
}

const envelope = (name: string): Envelope => ({
  event_id: "e1",
  event_name: name,
  event_version: "1.0",
  payload: { payload: { id: 7 }, execution_result: { success: true, result: { id: 7 } }, task_sequence_step: {} },
  metadata: { task_uuid: "t", step_uuid: "s", step_name: "n", namespace: "ns", correlation_id: "c", fired_at: "now", fired_by: "w" },
});

describe("a namespace's event exports", () => {
  test("each_class_counts_once_per_namespace_and_serves_that_namespace", async () => {
    const issues: TemplateIssue[] = [];
    const events = emptyNamespaceEvents();
    const collect = createEventExportCollector(events, issues);
    const native = onDomainEvent("order.**", () => undefined);
    // The file and an index re-exporting it: one subscriber, one publisher.
    collect(OrderSubscriber, "ns/subscribers.ts");
    collect([OrderSubscriber, OrderPublisher, native], "ns/index.ts");
    collect(OrderPublisher, "ns/publishers.ts");
    expect(issues).toEqual([]);
    expect(events.subscribers).toHaveLength(2);
    expect([...events.publishers.keys()]).toEqual(["OrderPublisher"]);

    const compat = events.subscribers.find((s) => s !== native)!;
    expect(subscriberMatches(compat, "order.created")).toBe(true);
    expect(subscriberMatches(compat, "payment.created")).toBe(false);
    await compat.handle(envelope("order.created"), { log: silentLogger });
    expect(seen).toEqual(["order.created:7"]);

    // A second namespace folder with a copy of the same module gets its own instance.
    const other = emptyNamespaceEvents();
    createEventExportCollector(other, issues)(OrderSubscriber, "other/subscribers.ts");
    expect(other.subscribers).toHaveLength(1);
    expect(other.subscribers[0]).not.toBe(compat);
  });

  test("a_publisher_name_used_by_two_classes_or_a_class_that_needs_arguments_is_an_issue", () => {
    const issues: TemplateIssue[] = [];
    const collect = createEventExportCollector(emptyNamespaceEvents(), issues);
    collect(OrderPublisher, "ns/a.ts");
    collect(OtherOrderPublisher, "ns/b.ts");
    collect(NeedsArguments, "ns/c.ts");
    expect(issues.map((i) => i.message)).toEqual([
      'publisher name "OrderPublisher" is used by two publisher classes: ns/a.ts and ns/b.ts',
      "NeedsArguments could not be created with no arguments: needs a name",
    ]);
  });
});
