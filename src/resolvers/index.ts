import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import type { MutationResolvers, Resolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { checkInputSizes, inputLimits } from '../services/inputLimits';
import { Batch, BatchStats } from './Batch';
import { Document, DocumentUri, DocumentUriVersion } from './Document';
import { connectionResolvers } from './helpers';
import { LifecycleEvent } from './LifecycleEvent';
import { LlmCall } from './LlmCall';
import { Project } from './Project';
import { ApiKey, Mutation } from './Mutation';
import { Query } from './Query';
import { Run, RunGroup, RunProgress, Step } from './Run';
import { StoredFile } from './StoredFile';
import { StepStatusEvent, Subscription } from './Subscription';
import { Worker } from './Worker';

/**
 * Every mutation checks the size of its string and JSON arguments first (services/inputLimits.ts),
 * in one place, so a new mutation cannot forget to.
 */
function withInputLimits(map: MutationResolvers): MutationResolvers {
  const wrapped: Record<string, unknown> = {};
  for (const [name, resolver] of Object.entries(map)) {
    // Resolvers of the map are plain functions (see Mutation.ts).
    const call = resolver as (parent: unknown, args: Record<string, unknown>, ctx: Context, info: unknown) => unknown;
    wrapped[name] = (parent: unknown, args: Record<string, unknown>, ctx: Context, info: unknown) => {
      checkInputSizes(args, inputLimits(ctx.config));
      return call(parent, args, ctx, info);
    };
  }
  return wrapped as MutationResolvers;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  SafeInt: SafeIntResolver,
  Query,
  Mutation: withInputLimits(Mutation),
  Subscription,
  StepStatusEvent,
  ApiKey,
  Project,
  Batch,
  BatchStats,
  Document,
  DocumentUri,
  DocumentUriVersion,
  RunGroup,
  RunProgress,
  Run,
  Step,
  LifecycleEvent,
  LlmCall,
  StoredFile,
  Worker,
  ProjectConnection: connectionResolvers(),
  BatchConnection: connectionResolvers(),
  DocumentUriConnection: connectionResolvers(),
  RunGroupConnection: connectionResolvers(),
  RunConnection: connectionResolvers(),
  LlmCallConnection: connectionResolvers(),
  LifecycleEventConnection: connectionResolvers(),
};
