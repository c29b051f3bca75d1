import { describe, expect, test } from "bun:test";
import {
  BasePublisher,
  BaseSubscriber,
  DuplicatePublisherError,
  PublisherRegistry,
  PublisherValidationError,
  RegistryFrozenError,
  SubscriberRegistry,
  type DomainEvent,
  type DomainEventBus,
} from "../../../src/sdk/compat/index.ts";
import { subscriberPatternMatches } from "../../../src/sdk/compat/domainEvents.ts";

/** A registry of its own: the process-wide `instance` belongs to the handlers other tests load. */
const fresh = <T>(registry: { instance: T }): T => new (registry as unknown as new () => T)();

class OrderPublisher extends BasePublisher {
  readonly publisherName = "UnitOrderPublisher";
}

describe("tasker-core's publisher registry", () => {
  test("registers_once_validates_required_names_and_freezes", () => {
    const registry = fresh(PublisherRegistry);
    registry.register(new OrderPublisher());
    expect(() => registry.register(new OrderPublisher())).toThrow(DuplicatePublisherError);
    expect(registry.getOrDefault("UnitOrderPublisher").publisherName).toBe("UnitOrderPublisher");
    expect(registry.getOrDefault("Nope").publisherName).toBe("default");
    expect(() => registry.validateRequired(["UnitOrderPublisher", "Missing"])).toThrow(PublisherValidationError);
    registry.validateRequired(["UnitOrderPublisher", "default"]);
    expect(registry.isFrozen).toBe(true);
    expect(() => registry.register(new (class extends BasePublisher { readonly publisherName = "Late"; })())).toThrow(RegistryFrozenError);
  });

  test("publish_runs_the_hooks_and_says_whether_the_event_goes_out", () => {
    const seen: string[] = [];
    class Hooked extends BasePublisher {
      readonly publisherName = "Hooked";
      override shouldPublish(r: { result?: Record<string, unknown> }) {
        return r.result?.["ok"] === true;
      }
      override beforePublish(name: string) {
        seen.push(`before:${name}`);
        return true;
      }
      override afterPublish(name: string, payload: Record<string, unknown>, metadata: Record<string, unknown>) {
        seen.push(`after:${name}:${JSON.stringify(payload)}:${String(metadata["publisher"])}`);
      }
    }
    const p = new Hooked();
    expect(p.publish({ eventName: "a.b", stepResult: { success: true, result: { ok: false } } })).toBe(false);
    expect(p.publish({ eventName: "a.b", stepResult: { success: true, result: { ok: true } } })).toBe(true);
    expect(seen).toEqual(["before:a.b", 'after:a.b:{"ok":true}:Hooked']);
  });
});

describe("tasker-core's subscribers", () => {
  test("patterns_follow_tasker_core_star_matches_any_characters", () => {
    expect(subscriberPatternMatches("*", "anything.at.all")).toBe(true);
    expect(subscriberPatternMatches("payment.*", "payment.processed")).toBe(true);
    expect(subscriberPatternMatches("payment.*", "payment.refund.issued")).toBe(true);
    expect(subscriberPatternMatches("payment.*", "payments.processed")).toBe(false);
    expect(subscriberPatternMatches("order.created", "order.created")).toBe(true);
    expect(subscriberPatternMatches("order.created", "orderXcreated")).toBe(false);
  });

  test("the_registry_starts_classes_and_instances_once_and_later_registrations_at_once", async () => {
    const handled: string[] = [];
    class A extends BaseSubscriber {
      static override subscribesTo() {
        return ["a.*"];
      }
      handle(event: DomainEvent) {
        handled.push(`A:${event.eventName}`);
      }
    }
    class B extends BaseSubscriber {
      static override subscribesTo() {
        return ["b.one", "b.two"];
      }
      handle() {
        throw new Error("boom");
      }
      override onHandleError(event: DomainEvent, error: Error) {
        handled.push(`B failed ${event.eventName}: ${error.message}`);
      }
    }
    const subscriptions: Array<[string, (e: DomainEvent) => unknown]> = [];
    const bus: DomainEventBus = { subscribe: (pattern, callback) => void subscriptions.push([pattern, callback]) };
    const registry = fresh(SubscriberRegistry);
    registry.register(A);
    registry.startAll(bus);
    registry.startAll(bus);
    registry.register(B);
    registry.register(B);
    expect(subscriptions.map(([p]) => p)).toEqual(["a.*", "b.one", "b.two"]);
    expect(registry.stats).toMatchObject({ started: true, subscriberCount: 2, activeCount: 2 });
    const event = (name: string) => ({ eventId: "e", eventName: name, payload: {}, metadata: {}, executionResult: { success: true } }) as unknown as DomainEvent;
    await Promise.resolve(subscriptions[0]![1](event("a.x")));
    const failed = await Promise.resolve(subscriptions[1]![1](event("b.one"))).then(() => "handled", (error: unknown) => String(error));
    expect(failed).toBe("Error: boom");
    expect(handled).toEqual(["A:a.x", "B failed b.one: boom"]);
    registry.reset();
    expect(registry.stats.subscriberCount).toBe(0);
  });
});
