import type * as G from '../graphql/mappers';
import { progressOf, type StatusCounts } from '../loaders/aggregates';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import { eventStream, type Delivery, type SubscriptionSource } from './subscriptions';
import { PushQueue } from './queue';
import { createLoaders } from '../loaders';
import { isFinal } from '../services/statusMachine';

/**
 * The group's progress at once, then after every event of the group that changed it; ends
 * after the group's GROUP_END (or at once for a group already final), or when the group is
 * deleted (deleteRunGroup writes no event: the bus's GroupWatch hears of it).
 */
export async function runGroupProgressStream(
  source: SubscriptionSource,
  runGroupId: string,
): Promise<PushQueue<G.RunProgress>> {
  const id = assertUuid(runGroupId, 'runGroupId');
  let deleted = false;
  let events: PushQueue<Delivery> | null = null;
  // Watch before reading the group: a delete committing after the read is heard either way.
  const watch = source.bus.watchRunGroup(id, () => {
    deleted = true;
    void events?.return();
  });
  let group: G.RunGroup | null;
  let counts: StatusCounts;
  try {
    // Fresh: the loaders of an earlier event batch may hold older counts.
    const now = createLoaders(source.db, source.scope);
    group = await now.runGroupById.load(id);
    if (!group) throw notFound('RunGroup', runGroupId);
    watch.confirm();
    events = await eventStream(source, { filter: { runGroupId: id }, after: null, stepsOnly: false });
    counts = await now.runStatusCountsByRunGroupId.load(id);
  } catch (e) {
    watch.stop();
    void events?.return();
    throw e;
  }
  const stream = events;
  const out = new PushQueue<G.RunProgress>(
    () => {
      watch.stop();
      void stream.return();
    },
    source.maxQueuedEvents,
    () => source.behind?.(),
  );
  let lastSent = '';
  const send = (p: G.RunProgress) => {
    const key = JSON.stringify(p);
    if (key !== lastSent) out.push(p);
    lastSent = key;
  };
  send(progressOf(counts));
  if (isFinal(group.status) || deleted) {
    out.end();
    return out;
  }
  void (async () => {
    for await (const { event, batch } of stream) {
      if (deleted) break;
      send(progressOf(await batch.loadersFor(source.scope).runStatusCountsByRunGroupId.load(id)));
      if (event.type === 'GROUP_END') break;
    }
    out.end();
  })().catch((e: unknown) => out.fail(e));
  return out;
}
