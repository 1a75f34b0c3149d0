// N4: a project dashboard (project -> batches -> run groups -> progress -> runs -> steps)
// against PostGraphile v5's equivalent query, at 10 connections. Opt-in: `--peer`.
// Progress is the run count: the peer's schema counts a connection, not runs by status.
import type { Scenario } from '../harness';
import { compareWithPeer } from './peerCompare';

const DASHBOARD = `query Dashboard($id: ID!) { project(id: $id) { name batches(first: 5) { totalCount nodes { name source runGroups(first: 5) { totalCount nodes { name status progress { total } runs(first: 20) { nodes { status steps(first: 20) { name status } } } } } } } } }`;

const PEER_DASHBOARD = `query Dashboard($id: UUID!) {
  projectByRowId(rowId: $id) {
    name
    batchesByProjectId(first: 5, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
      totalCount
      nodes {
        name source
        runGroupsByBatchId(first: 5, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
          totalCount
          nodes {
            name status
            progress: runsByRunGroupId { totalCount }
            runsByRunGroupId(first: 20, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
              nodes { status stepsByRunId(orderBy: NUMBER_ASC) { nodes { name status } } }
            }
          }
        }
      }
    }
  }
}`;

interface Steps {
  name: string;
  status: string;
}
interface Ours {
  project: {
    name: string;
    batches: {
      totalCount: number;
      nodes: {
        name: string;
        source: string;
        runGroups: {
          totalCount: number;
          nodes: {
            name: string | null;
            status: string;
            progress: { total: number };
            runs: { nodes: { status: string; steps: Steps[] }[] };
          }[];
        };
      }[];
    };
  };
}
interface Peer {
  projectByRowId: {
    name: string;
    batchesByProjectId: {
      totalCount: number;
      nodes: {
        name: string;
        source: string;
        runGroupsByBatchId: {
          totalCount: number;
          nodes: {
            name: string | null;
            status: string;
            progress: { totalCount: number };
            runsByRunGroupId: { nodes: { status: string; stepsByRunId: { nodes: Steps[] } }[] };
          }[];
        };
      }[];
    };
  };
}

export const n4: Scenario = {
  ids: ['N4'],
  groupSizes: [0, 1],
  optIn: 'peer',
  async run(b) {
    const c = await compareWithPeer(
      b,
      'N4',
      {
        query: DASHBOARD,
        variables: { id: b.projectId },
        normalise: (data) => {
          const p = (data as Ours).project;
          return [
            p.name,
            p.batches.totalCount,
            p.batches.nodes.map((bt) => [
              bt.name,
              bt.source,
              bt.runGroups.totalCount,
              bt.runGroups.nodes.map((g) => [
                g.name,
                g.status,
                g.progress.total,
                g.runs.nodes.map((r) => [r.status, r.steps.map((s) => [s.name, s.status])]),
              ]),
            ]),
          ];
        },
      },
      {
        query: PEER_DASHBOARD,
        variables: { id: b.projectId },
        normalise: (data) => {
          const p = (data as Peer).projectByRowId;
          return [
            p.name,
            p.batchesByProjectId.totalCount,
            p.batchesByProjectId.nodes.map((bt) => [
              bt.name,
              bt.source,
              bt.runGroupsByBatchId.totalCount,
              bt.runGroupsByBatchId.nodes.map((g) => [
                g.name,
                g.status,
                g.progress.totalCount,
                g.runsByRunGroupId.nodes.map((r) => [r.status, r.stepsByRunId.nodes.map((s) => [s.name, s.status])]),
              ]),
            ]),
          ];
        },
      },
      [10],
    );
    const met = c.ratios.every((r) => r >= 1);
    b.rows.push({
      id: 'N4',
      scenario:
        "project dashboard (project -> batches -> run groups -> progress -> runs -> steps) vs PostGraphile v5's equivalent, 10 connections",
      figures: `${c.figures.join('; ')}; SQL statements per request (pg_stat_statements): ${c.statements.ours.toFixed(0)} vs ${c.statements.peer.toFixed(0)}`,
      ratio: c.ratios.map((r) => r.toFixed(2)).join(' / '),
      target: '>= 1.0x',
      met,
    });
  },
};
