// N3: the run-group page (a group of 100 runs: documents, URIs, steps, workers, LLM calls and
// their files) against PostGraphile v5's equivalent query, at 1, 10 and 50 connections.
// Opt-in: `npm run bench -- --peer`.
import { PAGE, type Scenario } from '../harness';
import { compareWithPeer } from './peerCompare';

const PEER_PAGE = `query Page($id: UUID!) {
  runGroupByRowId(rowId: $id) {
    progress: runsByRunGroupId { totalCount }
    runs: runsByRunGroupId(first: 100, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
      totalCount
      nodes {
        documentByDocumentId { hash documentUrisByDocumentId(orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { uri } } }
        stepsByRunId(orderBy: NUMBER_ASC) {
          nodes {
            name status workerId
            llmCallsByStepId(orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
              nodes { model totalTokens storedFilesByLlmCallId { nodes { kind sizeBytes } } }
            }
          }
        }
      }
    }
  }
}`;

interface File {
  sizeBytes: number;
}
interface OurPage {
  runGroup: {
    progress: { total: number };
    runs: {
      totalCount: number;
      nodes: {
        document: { hash: string; uris: { uri: string }[] };
        steps: {
          name: string;
          status: string;
          worker: { id: string } | null;
          llmCalls: { model: string; totalTokens: number | null; promptFile: File | null; responseFile: File | null }[];
        }[];
      }[];
    };
  };
}
interface PeerPage {
  runGroupByRowId: {
    progress: { totalCount: number };
    runs: {
      totalCount: number;
      nodes: {
        documentByDocumentId: { hash: string; documentUrisByDocumentId: { nodes: { uri: string }[] } };
        stepsByRunId: {
          nodes: {
            name: string;
            status: string;
            workerId: string | null;
            llmCallsByStepId: {
              nodes: {
                model: string;
                totalTokens: number | null;
                storedFilesByLlmCallId: { nodes: { kind: string; sizeBytes: string }[] };
              }[];
            };
          }[];
        };
      }[];
    };
  };
}

export const n3: Scenario = {
  ids: ['N3'],
  groupSizes: [1],
  optIn: 'peer',
  async run(b) {
    const id = b.groups[b.S.sizes[1]]!;
    const c = await compareWithPeer(
      b,
      'N3',
      {
        query: PAGE,
        variables: { id },
        normalise: (data) => {
          const g = (data as OurPage).runGroup;
          return {
            total: g.progress.total,
            totalCount: g.runs.totalCount,
            runs: g.runs.nodes.map((r) => ({
              hash: r.document.hash,
              uris: r.document.uris.map((u) => u.uri),
              steps: r.steps.map((s) => ({
                name: s.name,
                status: s.status,
                worker: s.worker?.id ?? null,
                calls: s.llmCalls.map((l) => [
                  l.model,
                  l.totalTokens,
                  l.promptFile?.sizeBytes ?? null,
                  l.responseFile?.sizeBytes ?? null,
                ]),
              })),
            })),
          };
        },
      },
      {
        query: PEER_PAGE,
        variables: { id },
        normalise: (data) => {
          const g = (data as PeerPage).runGroupByRowId;
          return {
            total: g.progress.totalCount,
            totalCount: g.runs.totalCount,
            runs: g.runs.nodes.map((r) => ({
              hash: r.documentByDocumentId.hash,
              uris: r.documentByDocumentId.documentUrisByDocumentId.nodes.map((u) => u.uri),
              steps: r.stepsByRunId.nodes.map((s) => ({
                name: s.name,
                status: s.status,
                worker: s.workerId,
                calls: s.llmCallsByStepId.nodes.map((l) => {
                  const size = (kind: string) => {
                    const f = l.storedFilesByLlmCallId.nodes.find((x) => x.kind === kind);
                    return f ? Number(f.sizeBytes) : null;
                  };
                  return [l.model, l.totalTokens, size('PROMPT'), size('RESPONSE')];
                }),
              })),
            })),
          };
        },
      },
      b.S.concurrency,
    );
    const met = c.ratios.every((r) => r >= 1) && c.p99Ok;
    b.rows.push({
      id: 'N3',
      scenario: `run-group page (group of ${b.S.sizes[1]} runs) vs PostGraphile v5's equivalent query`,
      figures: `${c.figures.join('; ')}; SQL statements per request (pg_stat_statements): ${c.statements.ours.toFixed(0)} vs ${c.statements.peer.toFixed(0)}`,
      ratio: c.ratios.map((r) => r.toFixed(2)).join(' / '),
      target: '>= 1.0x at each connection count, p99 no worse',
      met,
    });
  },
};
