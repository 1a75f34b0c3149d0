import type { Knex } from 'knex';
import type { Logger } from '../logger';
import type { Resources } from '../resources';
import { EventBus } from './bus';
import { EventNotifier } from './notifier';

export interface EventMachineryOptions {
  /** The bus's own small pool (see createServer): event delivery never waits behind requests. */
  eventsDb: Knex;
  /**
   * The bus's LISTEN connection: a session-capable URL of the same database, or, where there is
   * none (behind a transaction pooler), how often to poll the log instead.
   */
  listen: { url: string } | { pollIntervalMs: number };
  /** LIVE_EVENTS: off, no wake-ups are sent or heard and subscribers get events from the poll. */
  liveEvents: boolean;
  logger: Logger;
  onDelivered?(lagSeconds: number): void;
  /** See EventBusOptions.beforeFanOut. */
  beforeFanOut?(): Promise<void>;
}

export interface EventMachinery {
  bus: EventBus;
  /** Call after a write with events committed: sequences them (awaitable), then wakes the buses. */
  onEventsCommitted(): Promise<void>;
}

/** Starts the bus (LISTEN, log reader, fan-out) and the notifier; both are released by `resources`. */
export async function startEvents(options: EventMachineryOptions, resources: Resources): Promise<EventMachinery> {
  const bus = new EventBus({
    db: options.eventsDb,
    connectionString: 'url' in options.listen ? options.listen.url : '',
    logger: options.logger,
    listen: options.liveEvents && 'url' in options.listen,
    pollIntervalMs: 'pollIntervalMs' in options.listen ? options.listen.pollIntervalMs : undefined,
    onDelivered: options.onDelivered,
    beforeFanOut: options.beforeFanOut,
  });
  await bus.start();
  resources.add(bus, (b) => b.stop());
  // The writer's events get their positions before it answers, so its own reads of the log
  // (Run.events, lifecycleEvents) already see them.
  if (!options.liveEvents)
    return {
      bus,
      onEventsCommitted: async () => {
        await bus.sequence();
      },
    };
  const notifier = resources.add(
    new EventNotifier({
      db: options.eventsDb,
      instanceId: bus.instanceId,
      wakeLocal: () => bus.wake(),
      ownListenerPid: () => bus.listenerBackendPid,
      logger: options.logger,
    }),
    (n) => n.stop(),
  );
  // The sequencing statement carries the wake-up to other processes when it may (one round trip
  // less from a commit to their subscribers); otherwise the notifier sends it on its own.
  bus.carryNotifications(notifier);
  return {
    bus,
    onEventsCommitted: async () => {
      notifier.committed(await bus.sequence());
    },
  };
}
