import type { Knex } from 'knex';
import type { Logger } from '../logger';
import type { Resources } from '../resources';
import { EventBus } from './bus';
import { EventNotifier } from './notifier';

export interface EventMachineryOptions {
  /** The bus's own small pool (see createServer): event delivery never waits behind requests. */
  eventsDb: Knex;
  /** The same database: the bus holds its own LISTEN connection to it. */
  databaseUrl: string;
  /** LIVE_EVENTS: off, no wake-ups are sent or heard and subscribers get events from the poll. */
  liveEvents: boolean;
  logger: Logger;
  onDelivered?(lagSeconds: number): void;
}

export interface EventMachinery {
  bus: EventBus;
  /** Call after a write with events committed (absent when live events are off). */
  onEventsCommitted?(): void;
}

/** Starts the bus (LISTEN, log reader, fan-out) and the notifier; both are released by `resources`. */
export async function startEvents(options: EventMachineryOptions, resources: Resources): Promise<EventMachinery> {
  const bus = new EventBus({
    db: options.eventsDb,
    connectionString: options.databaseUrl,
    logger: options.logger,
    listen: options.liveEvents,
    onDelivered: options.onDelivered,
  });
  await bus.start();
  resources.add(bus, (b) => b.stop());
  if (!options.liveEvents) return { bus };
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
  return { bus, onEventsCommitted: notifier.committed };
}
