import type {
  DocumentResolvers,
  DocumentUriResolvers,
  DocumentUriVersionResolvers,
} from '../__generated__/resolvers-types';
import { childConnection } from '../loaders/rows';
import { optional, pageArgs, related } from './helpers';

export const Document: DocumentResolvers = {
  project: (doc, _, { loaders }) => related(loaders.projectById, 'Project', doc.projectId),
  uris: (doc, _, { loaders }) => loaders.urisByDocumentId.load(doc.id),
  runs: (doc, args, { loaders }) =>
    childConnection(loaders.runPagesByDocumentId, loaders.runCountsByDocumentId, doc.id, pageArgs(args, 'time')),
  files: (doc, _, { loaders }) => loaders.filesByDocumentId.load(doc.id),
};

export const DocumentUri: DocumentUriResolvers = {
  document: (uri, _, { loaders }) => related(loaders.documentById, 'Document', uri.documentId),
  batch: (uri, _, { loaders }) => optional(loaders.batchById, uri.batchId),
  history: (uri, _, { loaders }) => loaders.historyByDocumentUriId.load(uri.id),
};

export const DocumentUriVersion: DocumentUriVersionResolvers = {
  batch: (version, _, { loaders }) => optional(loaders.batchById, version.batchId),
};
