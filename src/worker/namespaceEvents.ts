import { BasePublisher, BaseSubscriber, DefaultPublisher, subscriberPatternMatches, type DomainEventBus } from "../sdk/compat/domainEvents.ts";
import { isDomainEventSubscriber, subscriberFor, type DomainEventSubscriber } from "../sdk/domainEvents.ts";
import type { TemplateIssue } from "../templates/index.ts";
import { toCompatEvent } from "./compatEventBus.ts";

/**
 * What a namespace folder's modules export for its domain events. They serve that namespace
 * only, so a module copied into two namespace folders serves each once; what is registered in
 * tasker-core's registries (`PublisherRegistry`, `SubscriberRegistry`) serves the whole process.
 */
export interface NamespaceEvents {
  /** In-process subscribers of the namespace's fast and broadcast events: `onDomainEvent` ones and `BaseSubscriber` classes. */
  subscribers: DomainEventSubscriber[];
  /** Custom publishers (`BasePublisher`) by `publisherName`. */
  publishers: Map<string, BasePublisher>;
}

export const emptyNamespaceEvents = (): NamespaceEvents => ({ subscribers: [], publishers: new Map() });

/** Whether an export is a concrete subclass of `base` (not `base` itself). */
const isSubclassOf = (value: unknown, base: abstract new (...args: never[]) => unknown): value is new () => unknown =>
  typeof value === "function" && value !== base && value.prototype instanceof base;

/** Collects one namespace's event exports, module by module; a class exported twice counts once. */
export function createEventExportCollector(events: NamespaceEvents, issues: TemplateIssue[]) {
  const publisherFiles = new Map<string, { cls: unknown; file: string }>();
  const seen = new Set<unknown>();

  const addPublisher = (publisher: BasePublisher, cls: unknown, file: string): void => {
    const name = publisher.publisherName;
    const known = publisherFiles.get(name);
    if (known) {
      if (known.cls !== cls) issues.push({ file, message: `publisher name "${name}" is used by two publisher classes: ${known.file} and ${file}` });
      return;
    }
    publisherFiles.set(name, { cls, file });
    events.publishers.set(name, publisher);
  };

  const addSubscriber = (subscriber: BaseSubscriber): void => {
    const bus: DomainEventBus = {
      subscribe: (pattern, callback) => {
        events.subscribers.push(
          subscriberFor(pattern, (name) => subscriberPatternMatches(pattern, name), (envelope) => callback(toCompatEvent(envelope))),
        );
      },
    };
    subscriber.start(bus);
  };

  const instantiate = <T>(cls: new () => unknown, file: string): T | undefined => {
    try {
      return new cls() as T;
    } catch (error) {
      issues.push({ file, message: `${cls.name} could not be created with no arguments: ${(error as Error).message}` });
      return undefined;
    }
  };

  /** Takes what one exported value offers (arrays of them too). */
  return (value: unknown, file: string): void => {
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (seen.has(item)) continue;
      if (isDomainEventSubscriber(item)) {
        seen.add(item);
        events.subscribers.push(item);
      } else if (item instanceof BasePublisher) {
        seen.add(item);
        addPublisher(item, item, file);
      } else if (isSubclassOf(item, BasePublisher) && item !== DefaultPublisher) {
        seen.add(item);
        const publisher = instantiate<BasePublisher>(item, file);
        if (publisher) addPublisher(publisher, item, file);
      } else if (item instanceof BaseSubscriber) {
        seen.add(item);
        addSubscriber(item);
      } else if (isSubclassOf(item, BaseSubscriber)) {
        seen.add(item);
        const subscriber = instantiate<BaseSubscriber>(item, file);
        if (subscriber) addSubscriber(subscriber);
      }
    }
  };
}
