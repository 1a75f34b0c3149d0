import { armFailpoint, disarmFailpoints } from '../../src/services/failpoints';
import { b64, createProject, must, tableCounts } from '../helpers/api';
import { sha256 } from '../helpers/factories';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { graphql } from '../__generated__';

const CREATE = graphql(`
  mutation CreateBatchWithDocuments($i: CreateBatchInput!) {
    createBatch(input: $i) {
      id
      name
      source
      params
      completedAt
      project {
        id
      }
      documents(first: 10) {
        totalCount
        nodes {
          uri
          source
          version
          document {
            id
            hash
            fileSize
            mimeType
            files(first: 2) {
              kind
              path
              sizeBytes
              checksum
              content(maxBytes: 1024)
            }
          }
          history(first: 10) {
            version
            action
            hash
          }
        }
      }
    }
  }
`);
const ADD = graphql(`
  mutation AddDocumentsToBatch($i: AddDocumentsInput!) {
    addDocuments(input: $i) {
      created
      updated
      unchanged
      batch {
        id
      }
      uris {
        uri
        version
        document {
          hash
        }
        history {
          version
          action
          hash
        }
      }
    }
  }
`);

describe('batches and documents (pool of one connection)', () => {
  let s: TestServer;
  let project: { id: string };
  beforeAll(async () => {
    // One connection: a statement outside its transaction would wait forever and time the test out.
    s = await startTestServer({ poolMax: 1 });
    project = await createProject(s);
  });
  afterAll(() => s.stop());
  afterEach(() => disarmFailpoints());

  it('createProject refuses a bad slug and a taken one', async () => {
    expect(
      errorCodes(await s.gql(`mutation { createProject(input: { slug: "Bad Slug", name: "x" }) { id } }`)),
    ).toEqual(['BAD_USER_INPUT']);
    const slug = (await s.db('project').first()).slug;
    const taken = await s.gql(`mutation ($s: String!) { createProject(input: { slug: $s, name: "x" }) { id } }`, {
      s: slug,
    });
    expect(errorCodes(taken)).toEqual(['CONFLICT']);
    expect(taken.errors![0]!.message).toMatch(/slug/);
    expect(JSON.stringify(taken.errors)).not.toMatch(/project_slug_key|duplicate key|insert into/);
  });

  it('createBatch writes the batch, documents, URIs, versions and content files in one go', async () => {
    const hash = sha256('elsewhere');
    const res = await must(s, CREATE, {
      i: {
        projectId: project.id,
        name: 'first',
        source: 'sharepoint',
        params: { dept: 'legal' },
        documents: [
          { uri: '/a.txt', content: b64('alpha'), mimeType: 'text/plain', meta: { lang: 'en' } },
          { uri: '/b.pdf', hash, mimeType: 'application/pdf', fileSize: 1234 },
          // The same bytes at a second URI are the same document.
          { uri: '/copy-of-a.txt', source: 'mirror', content: b64('alpha'), mimeType: 'text/plain' },
        ],
      },
    });
    const b = res.createBatch;
    expect(b).toMatchObject({
      name: 'first',
      source: 'sharepoint',
      params: { dept: 'legal' },
      completedAt: null,
      project: { id: project.id },
    });
    const byUri = Object.fromEntries(b.documents.nodes.map((n: any) => [n.uri, n]));
    expect(b.documents.totalCount).toBe(3);
    expect(byUri['/a.txt'].document.id).toBe(byUri['/copy-of-a.txt'].document.id);
    expect(byUri['/copy-of-a.txt'].source).toBe('mirror');
    expect(byUri['/a.txt'].document).toMatchObject({ hash: sha256('alpha'), fileSize: 5, mimeType: 'text/plain' });
    expect(byUri['/a.txt'].document.files).toEqual([
      {
        kind: 'DOCUMENT',
        path: `documents/${byUri['/a.txt'].document.id}/original`,
        sizeBytes: 5,
        checksum: sha256('alpha'),
        content: 'alpha',
      },
    ]);
    expect(byUri['/b.pdf'].document).toMatchObject({ hash, fileSize: 1234, files: [] });
    expect(byUri['/a.txt'].history).toEqual([{ version: 1, action: 'CREATED', hash: sha256('alpha') }]);
  });

  it('addDocuments bumps the version of a URI whose bytes changed and counts created, updated and unchanged', async () => {
    const batch = (
      await must(s, CREATE, {
        i: {
          projectId: project.id,
          name: 'v',
          source: 'fs',
          documents: [
            { uri: '/doc', content: b64('v1'), mimeType: 'text/plain' },
            { uri: '/same', content: b64('same'), mimeType: 'text/plain' },
          ],
        },
      })
    ).createBatch;
    const second = (
      await must(s, ADD, {
        i: {
          batchId: batch.id,
          documents: [
            { uri: '/doc', content: b64('v2'), mimeType: 'text/plain' },
            { uri: '/same', content: b64('same'), mimeType: 'text/plain' },
            { uri: '/new', content: b64('new'), mimeType: 'text/plain' },
          ],
        },
      })
    ).addDocuments;
    expect(second).toMatchObject({ created: 1, updated: 1, unchanged: 1, batch: { id: batch.id } });
    expect(second.uris.map((u) => [u.uri, u.version])).toEqual([
      ['/doc', 2],
      ['/same', 1],
      ['/new', 1],
    ]);
    const third = (
      await must(s, ADD, {
        i: { batchId: batch.id, documents: [{ uri: '/doc', content: b64('v3'), mimeType: 'text/plain' }] },
      })
    ).addDocuments;
    expect(third.uris[0]!.history).toEqual([
      { version: 1, action: 'CREATED', hash: sha256('v1') },
      { version: 2, action: 'UPDATED', hash: sha256('v2') },
      { version: 3, action: 'UPDATED', hash: sha256('v3') },
    ]);
    expect(third.uris[0]!.document.hash).toBe(sha256('v3'));
  });

  it.each([
    ['a malformed hash', [{ uri: '/x', hash: 'sha256-XYZ', mimeType: 'a' }], /hash/],
    [
      'both hash and content',
      [{ uri: '/x', hash: sha256('x'), content: b64('x'), mimeType: 'a' }],
      /exactly one of hash or content/,
    ],
    ['neither hash nor content', [{ uri: '/x', mimeType: 'a' }], /exactly one of hash or content/],
    [
      'a URI twice',
      [
        { uri: '/x', content: b64('1'), mimeType: 'a' },
        { uri: '/x', content: b64('2'), mimeType: 'a' },
      ],
      /appears twice/,
    ],
    ['content that is not base64', [{ uri: '/x', content: '***', mimeType: 'a' }], /base64/],
    [
      'a negative file size (refused by the database)',
      [
        { uri: '/x', content: b64('1'), mimeType: 'a' },
        { uri: '/y', hash: sha256('y'), mimeType: 'a', fileSize: -1 },
      ],
      /fileSize must be >= 0/,
    ],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, documents, message) => {
    const before = await tableCounts(s);
    const res = await s.gql(CREATE, { i: { projectId: project.id, name: 'bad', source: 'fs', documents } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toMatch(message);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('refuses an unknown project with NOT_FOUND and a malformed one with BAD_USER_INPUT', async () => {
    const before = await tableCounts(s);
    expect(
      errorCodes(
        await s.gql(CREATE, { i: { projectId: '00000000-0000-4000-8000-000000000000', name: 'x', source: 'fs' } }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(errorCodes(await s.gql(CREATE, { i: { projectId: 'nope', name: 'x', source: 'fs' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('leaves not one row behind when the last child insert fails', async () => {
    const before = await tableCounts(s);
    armFailpoint('writeDocuments.beforeVersions');
    const res = await s.gql(CREATE, {
      i: {
        projectId: project.id,
        name: 'doomed',
        source: 'fs',
        documents: [{ uri: '/d', content: b64('doomed'), mimeType: 'a' }],
      },
    });
    expect(errorCodes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('addDocuments leaves not one URI or version behind when its last insert fails', async () => {
    const batch = (
      await must(s, CREATE, {
        i: {
          projectId: project.id,
          name: 'add-fail',
          source: 'fs',
          documents: [{ uri: '/keep', content: b64('keep v1'), mimeType: 'a' }],
        },
      })
    ).createBatch;
    const before = await tableCounts(s);
    armFailpoint('writeDocuments.beforeVersions');
    const res = await s.gql(ADD, {
      i: {
        batchId: batch.id,
        documents: [
          { uri: '/keep', content: b64('keep v2'), mimeType: 'a' },
          { uri: '/more', content: b64('more'), mimeType: 'a' },
        ],
      },
    });
    expect(errorCodes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await tableCounts(s)).toEqual(before);
    expect((await s.db('document_uri').where({ uri: '/keep', projectId: project.id }).first()).version).toBe(1);
  });

  it('replays a repeated createBatch with the same idempotency key and refuses the key with another input', async () => {
    const input = {
      projectId: project.id,
      name: 'once',
      source: 'fs',
      idempotencyKey: 'batch-once',
      documents: [{ uri: '/once', content: b64('once'), mimeType: 'a' }],
    };
    const first = (await must(s, CREATE, { i: input })).createBatch;
    const before = await tableCounts(s);
    const again = (await must(s, CREATE, { i: input })).createBatch;
    expect(again.id).toBe(first.id);
    expect(await tableCounts(s)).toEqual(before);
    const other = await s.gql(CREATE, { i: { ...input, name: 'twice' } });
    expect(errorCodes(other)).toEqual(['CONFLICT']);
    expect(other.errors![0]!.message).toMatch(/idempotencyKey/);
  });

  it('completeBatch sets completedAt once, and a completed batch takes no more documents', async () => {
    const batch = (await must(s, CREATE, { i: { projectId: project.id, name: 'c', source: 'fs' } })).createBatch;
    const done = (
      await must(s, `mutation ($id: ID!) { completeBatch(id: $id) { completedAt duration } }`, { id: batch.id })
    ).completeBatch;
    expect(done.completedAt).toEqual(expect.any(String));
    expect(done.duration).toBeGreaterThanOrEqual(0);
    const again = (await must(s, `mutation ($id: ID!) { completeBatch(id: $id) { completedAt } }`, { id: batch.id }))
      .completeBatch;
    expect(again.completedAt).toBe(done.completedAt);
    const add = await s.gql(ADD, {
      i: { batchId: batch.id, documents: [{ uri: '/late', content: b64('late'), mimeType: 'a' }] },
    });
    expect(errorCodes(add)).toEqual(['CONFLICT']);
    expect(
      errorCodes(await s.gql(`mutation { completeBatch(id: "00000000-0000-4000-8000-000000000000") { id } }`)),
    ).toEqual(['NOT_FOUND']);
  });
});
