import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
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

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  SafeInt: SafeIntResolver,
  Query,
  Mutation,
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
