import { compatLogger, type CompatLogger } from "./compatLogger.ts";

/**
 * tasker-core's custom domain event publishers and subscribers (`BasePublisher`,
 * `BaseSubscriber`, their registries). A publisher named by a declaration's `publisher:` shapes
 * the event (payload, extra metadata, whether to publish); the engine validates and delivers
 * it. Subscribers receive `fast` and `broadcast` events in the worker process, in tasker-core's
 * camelCase shape. Classes exported from a namespace folder's modules serve that namespace
 * (found like handler classes); `PublisherRegistry.instance.register(...)` /
 * `SubscriberRegistry.instance.register(...)` at a module's top level serve the whole process.
 */

const log = compatLogger("domain-events");

/** The step an event comes from, as a publisher sees it. */
export interface StepEventContext {
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly correlationId: string;
  readonly result?: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** A `publishes_events` entry of the template. */
export interface EventDeclaration {
  readonly name: string;
  readonly condition?: "success" | "failure" | "retryable_failure" | "permanent_failure" | "always";
  readonly deliveryMode?: "durable" | "fast" | "broadcast";
  readonly publisher?: string;
  readonly schema?: Record<string, unknown>;
}

/** The step's ending: its result on success, `{ error }` details on failure. */
export interface StepResult {
  readonly success: boolean;
  readonly result?: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

export interface DomainEventMetadata {
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly stepName?: string;
  readonly namespace: string;
  readonly correlationId: string;
  readonly firedAt: string;
  readonly publisher?: string;
  readonly [key: string]: unknown;
}

/** An event as a `BaseSubscriber` receives it. */
export interface DomainEvent {
  readonly eventId: string;
  readonly eventName: string;
  readonly payload: Record<string, unknown>;
  readonly metadata: DomainEventMetadata;
  readonly executionResult: StepResult;
}

export interface PublishContext {
  readonly eventName: string;
  readonly stepResult: StepResult;
  readonly eventDeclaration?: EventDeclaration;
  readonly stepContext?: StepEventContext;
}

export abstract class BasePublisher {
  protected readonly logger: CompatLogger = log;
  /** The name a declaration's `publisher:` uses. */
  abstract readonly publisherName: string;

  /** The event's payload; by default the step's result. */
  transformPayload(stepResult: StepResult, _eventDeclaration?: EventDeclaration, _stepContext?: StepEventContext): Record<string, unknown> {
    return stepResult.result ?? {};
  }

  /** A further condition beyond the declaration's `condition`. */
  shouldPublish(_stepResult: StepResult, _eventDeclaration?: EventDeclaration, _stepContext?: StepEventContext): boolean {
    return true;
  }

  /** Extra fields for the event's metadata. */
  additionalMetadata(_stepResult: StepResult, _eventDeclaration?: EventDeclaration, _stepContext?: StepEventContext): Record<string, unknown> {
    return {};
  }

  /** Called just before delivery; `false` skips the event. */
  beforePublish(eventName: string, _payload: Record<string, unknown>, _metadata: Record<string, unknown>): boolean {
    this.logger.debug({ eventName }, "Publishing event");
    return true;
  }

  afterPublish(eventName: string, _payload: Record<string, unknown>, _metadata: Record<string, unknown>): void {
    this.logger.debug({ eventName }, "Event published");
  }

  onPublishError(eventName: string, error: Error, _payload: Record<string, unknown>): void {
    this.logger.error({ eventName, error: error.message }, "Failed to publish event");
  }

  /**
   * tasker-core's one-call form: runs `shouldPublish`, `transformPayload`, `additionalMetadata`
   * and the hooks, and says whether the event would be published. Delivery is the engine's.
   */
  publish(ctx: PublishContext): boolean {
    const { eventName, stepResult, eventDeclaration, stepContext } = ctx;
    if (!this.shouldPublish(stepResult, eventDeclaration, stepContext)) return false;
    const payload = this.transformPayload(stepResult, eventDeclaration, stepContext);
    const metadata = { ...this.baseMetadata(stepContext), ...this.additionalMetadata(stepResult, eventDeclaration, stepContext) };
    try {
      if (!this.beforePublish(eventName, payload, metadata)) return false;
      this.afterPublish(eventName, payload, metadata);
      return true;
    } catch (error) {
      this.onPublishError(eventName, error instanceof Error ? error : new Error(String(error)), payload);
      return false;
    }
  }

  /** `publisher`, `publishedAt` and the step's identity. */
  baseMetadata(stepContext?: StepEventContext): Record<string, unknown> {
    return {
      publisher: this.publisherName,
      publishedAt: new Date().toISOString(),
      ...(stepContext
        ? { taskUuid: stepContext.taskUuid, stepUuid: stepContext.stepUuid, stepName: stepContext.stepName, namespace: stepContext.namespace }
        : {}),
    };
  }
}

/** Passes the step's result through unchanged; what `publisher: default` (or none) means. */
export class DefaultPublisher extends BasePublisher {
  readonly publisherName = "default";
}

export class PublisherNotFoundError extends Error {
  constructor(
    readonly publisherName: string,
    readonly registeredPublishers: string[],
  ) {
    super(`Publisher '${publisherName}' not found. Registered: ${registeredPublishers.join(", ")}`);
    this.name = "PublisherNotFoundError";
  }
}

export class PublisherValidationError extends Error {
  constructor(
    readonly missingPublishers: string[],
    readonly registeredPublishers: string[],
  ) {
    super(`Missing publishers: ${missingPublishers.join(", ")}. Registered: ${registeredPublishers.join(", ")}`);
    this.name = "PublisherValidationError";
  }
}

export class RegistryFrozenError extends Error {
  constructor() {
    super("Registry is frozen after validation");
    this.name = "RegistryFrozenError";
  }
}

export class DuplicatePublisherError extends Error {
  constructor(readonly publisherName: string) {
    super(`Publisher '${publisherName}' is already registered`);
    this.name = "DuplicatePublisherError";
  }
}

/** The process's custom publishers by name. */
export class PublisherRegistry {
  static #instance: PublisherRegistry | null = null;
  static get instance(): PublisherRegistry {
    return (PublisherRegistry.#instance ??= new PublisherRegistry());
  }

  readonly #publishers = new Map<string, BasePublisher>();
  readonly #fallback = new DefaultPublisher();
  #frozen = false;

  private constructor() {}

  register(publisher: BasePublisher): void {
    if (this.#frozen) throw new RegistryFrozenError();
    if (this.#publishers.has(publisher.publisherName)) throw new DuplicatePublisherError(publisher.publisherName);
    this.#publishers.set(publisher.publisherName, publisher);
  }

  get(name: string): BasePublisher | undefined {
    return this.#publishers.get(name);
  }

  getOrDefault(name?: string): BasePublisher {
    if (!name || name === "default") return this.#fallback;
    const found = this.#publishers.get(name);
    if (!found) log.warn({ publisherName: name }, "Publisher not found, using default");
    return found ?? this.#fallback;
  }

  getStrict(name: string): BasePublisher {
    if (name === "default") return this.#fallback;
    const found = this.#publishers.get(name);
    if (!found) throw new PublisherNotFoundError(name, this.registeredNames);
    return found;
  }

  isRegistered(name: string): boolean {
    return name === "default" || this.#publishers.has(name);
  }

  get registeredNames(): string[] {
    return [...this.#publishers.keys()];
  }

  get count(): number {
    return this.#publishers.size;
  }

  get isEmpty(): boolean {
    return this.#publishers.size === 0;
  }

  get isFrozen(): boolean {
    return this.#frozen;
  }

  unregister(name: string): boolean {
    if (this.#frozen) throw new RegistryFrozenError();
    return this.#publishers.delete(name);
  }

  clear(): void {
    if (this.#frozen) throw new RegistryFrozenError();
    this.#publishers.clear();
  }

  /** Throws when a name is not registered; freezes the registry otherwise. */
  validateRequired(required: string[]): void {
    const missing = required.filter((name) => !this.isRegistered(name));
    if (missing.length > 0) throw new PublisherValidationError(missing, this.registeredNames);
    this.#frozen = true;
  }

  freeze(): void {
    this.#frozen = true;
  }

  reset(): void {
    this.#publishers.clear();
    this.#frozen = false;
  }
}

/** Where subscribers register their patterns: the engine's in-process event bus. */
export interface DomainEventBus {
  subscribe(pattern: string, callback: (event: DomainEvent) => void | Promise<void>): void;
}

/** tasker-core's pattern rule: `*` alone matches everything, otherwise `*` matches any characters. */
export function subscriberPatternMatches(pattern: string, eventName: string): boolean {
  if (pattern === "*") return true;
  const source = pattern
    .split("*")
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(eventName);
}

export interface SubscriberClass {
  subscribesTo(): string[];
  new (): BaseSubscriber;
}

export abstract class BaseSubscriber {
  protected readonly logger: CompatLogger = log;
  #active = false;
  #subscriptions: string[] = [];

  /** The event name patterns this subscriber receives (`payment.*`; `*` for all). */
  static subscribesTo(): string[] {
    return ["*"];
  }

  get active(): boolean {
    return this.#active;
  }

  get subscriptions(): readonly string[] {
    return this.#subscriptions;
  }

  abstract handle(event: DomainEvent): void | Promise<void>;

  /** `false` skips the event. */
  beforeHandle(_event: DomainEvent): boolean {
    return true;
  }

  afterHandle(_event: DomainEvent): void {}

  onHandleError(event: DomainEvent, error: Error): void {
    this.logger.error({ eventName: event.eventName, error: error.message }, `${this.constructor.name}: Failed to handle event`);
  }

  matches(eventName: string): boolean {
    return (this.constructor as typeof BaseSubscriber).subscribesTo().some((pattern) => subscriberPatternMatches(pattern, eventName));
  }

  start(bus: DomainEventBus): void {
    if (this.#active) return;
    this.#active = true;
    for (const pattern of (this.constructor as typeof BaseSubscriber).subscribesTo()) {
      bus.subscribe(pattern, (event) => this.handleSafely(event));
      this.#subscriptions.push(pattern);
    }
  }

  stop(): void {
    this.#active = false;
    this.#subscriptions = [];
  }

  /**
   * Runs the hooks around `handle`. A failure goes to `onHandleError` and is re-thrown so the
   * engine counts it (`tasker_domain_events_failed_total`); it never reaches the step.
   */
  async handleSafely(event: DomainEvent): Promise<void> {
    if (!this.#active || !this.beforeHandle(event)) return;
    try {
      await this.handle(event);
      this.afterHandle(event);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.onHandleError(event, failure);
      throw failure;
    }
  }
}

export interface SubscriberStats {
  readonly started: boolean;
  readonly subscriberCount: number;
  readonly activeCount: number;
  readonly subscribers: ReadonlyArray<{ readonly className: string; readonly active: boolean; readonly patterns: readonly string[] }>;
}

/** The process's subscribers; the worker starts them on its event bus when it starts. */
export class SubscriberRegistry {
  static #instance: SubscriberRegistry | null = null;
  static get instance(): SubscriberRegistry {
    return (SubscriberRegistry.#instance ??= new SubscriberRegistry());
  }

  readonly #classes: SubscriberClass[] = [];
  /** Registered instances, and one instance per registered class once started. */
  readonly #subscribers: BaseSubscriber[] = [];
  readonly #ofClass = new Map<SubscriberClass, BaseSubscriber>();
  #bus: DomainEventBus | null = null;

  private constructor() {}

  /** Registers a class, instantiated when the subscribers start (at once if they already have). */
  register(subscriberClass: SubscriberClass): void {
    if (this.#classes.includes(subscriberClass)) return;
    this.#classes.push(subscriberClass);
    if (this.#bus) this.#startClass(subscriberClass, this.#bus);
  }

  registerInstance(subscriber: BaseSubscriber): void {
    if (this.#subscribers.includes(subscriber)) return;
    this.#subscribers.push(subscriber);
    if (this.#bus) this.#startOne(subscriber, this.#bus);
  }

  #startClass(subscriberClass: SubscriberClass, bus: DomainEventBus): void {
    let instance = this.#ofClass.get(subscriberClass);
    if (!instance) {
      try {
        instance = new subscriberClass();
      } catch (error) {
        log.error({ subscriberClass: subscriberClass.name, error: String(error) }, "Failed to instantiate subscriber");
        return;
      }
      this.#ofClass.set(subscriberClass, instance);
      this.#subscribers.push(instance);
    }
    this.#startOne(instance, bus);
  }

  #startOne(subscriber: BaseSubscriber, bus: DomainEventBus): void {
    try {
      subscriber.start(bus);
    } catch (error) {
      log.error({ subscriberClass: subscriber.constructor.name, error: String(error) }, "Failed to start subscriber");
    }
  }

  /** Starts every subscriber on `bus` (idempotent; later registrations start at once). */
  startAll(bus: DomainEventBus): void {
    if (this.#bus === bus) return;
    this.stopAll();
    this.#bus = bus;
    for (const subscriber of [...this.#subscribers]) this.#startOne(subscriber, bus);
    for (const subscriberClass of this.#classes) this.#startClass(subscriberClass, bus);
  }

  stopAll(): void {
    if (!this.#bus) return;
    for (const subscriber of this.#subscribers) subscriber.stop();
    this.#bus = null;
  }

  get isStarted(): boolean {
    return this.#bus !== null;
  }

  get count(): number {
    return this.#classes.length + this.#subscribers.filter((s) => ![...this.#ofClass.values()].includes(s)).length;
  }

  get stats(): SubscriberStats {
    return {
      started: this.isStarted,
      subscriberCount: this.#subscribers.length,
      activeCount: this.#subscribers.filter((s) => s.active).length,
      subscribers: this.#subscribers.map((s) => ({
        className: s.constructor.name,
        active: s.active,
        patterns: (s.constructor as typeof BaseSubscriber).subscribesTo(),
      })),
    };
  }

  reset(): void {
    this.stopAll();
    this.#subscribers.length = 0;
    this.#classes.length = 0;
    this.#ofClass.clear();
  }
}
