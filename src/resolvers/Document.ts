import type {
  DocumentResolvers,
  DocumentUriResolvers,
  DocumentUriVersionResolvers,
} from '../__generated__/resolvers-types';
import { childConnection } from '../loaders/rows';
import { children, firstItems, optional, pageArgs, related } from './helpers';

export const Document: DocumentResolvers = {
  project: (doc, _, { loaders }) => related(loaders.projectById, 'Project', doc.projectId),
  uris: (doc, { first }, { loaders }) => firstItems(children(loaders.urisByDocumentId, doc.id), first),
  runs: (doc, args, { loaders }) =>
    childConnection(loaders.runPagesByDocumentId, loaders.runCountsByDocumentId, doc.id, pageArgs(args, 'time')),
  files: (doc, { first }, { loaders }) => firstItems(loaders.filesByDocumentId.load(doc.id), first),
};

export const DocumentUri: DocumentUriResolvers = {
  document: (uri, _, { loaders }) => related(loaders.documentById, 'Document', uri.documentId),
  batch: (uri, _, { loaders }) => optional(loaders.batchById, uri.batchId),
  history: (uri, { first }, { loaders }) => firstItems(loaders.historyByDocumentUriId.load(uri.id), first),
};

export const DocumentUriVersion: DocumentUriVersionResolvers = {
  batch: (version, _, { loaders }) => optional(loaders.batchById, version.batchId),
};
