import type * as G from '../graphql/mappers';
import { progressOf } from '../loaders/aggregates';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import { eventStream, type SubscriptionSource } from './subscriptions';
import { PushQueue } from './queue';
import { createLoaders } from '../loaders';
import { isFinal } from '../services/statusMachine';

/**
 * The group's progress at once, then after every event of the group that changed it; ends
 * after the group's GROUP_END (or at once for a group already final).
 */
export async function runGroupProgressStream(
  source: SubscriptionSource,
  runGroupId: string,
): Promise<PushQueue<G.RunProgress>> {
  const id = assertUuid(runGroupId, 'runGroupId');
  // Fresh: the loaders of an earlier event batch may hold older counts.
  const now = createLoaders(source.db, source.scope);
  const group = await now.runGroupById.load(id);
  if (!group) throw notFound('RunGroup', runGroupId);

  const events = await eventStream(source, { filter: { runGroupId: id }, after: null, stepsOnly: false });
  const out = new PushQueue<G.RunProgress>(() => void events.return());
  let lastSent = '';
  const send = (p: G.RunProgress) => {
    const key = JSON.stringify(p);
    if (key !== lastSent) out.push(p);
    lastSent = key;
  };
  send(progressOf(await now.runStatusCountsByRunGroupId.load(id)));
  if (isFinal(group.status)) {
    out.end();
    return out;
  }
  void (async () => {
    for await (const { event, batch } of events) {
      send(progressOf(await batch.loadersFor(source.scope).runStatusCountsByRunGroupId.load(id)));
      if (event.type === 'GROUP_END') break;
    }
    out.end();
  })().catch((e: unknown) => out.fail(e));
  return out;
}
