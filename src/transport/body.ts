import type { IncomingMessage } from 'node:http';

/** Why a request body could not be read: 413 over the limit, 400 otherwise. */
export class BodyReadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body of `req` as UTF-8 text (a leading byte order mark dropped), at most `limit` bytes:
 * refused at once when Content-Length says more, and as soon as more arrives. What raw-body did
 * here, without its per-request decoder, listener bookkeeping and error objects (bench/PROFILE.md,
 * G2). On refusal the request is paused and left unread, as raw-body left it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = req.headers['content-length'];
  // Node's parser has checked the header: digits only.
  const length = declared === undefined ? null : Number(declared);
  if (length !== null && length > limit) return Promise.reject(new BodyReadError(413, 'request entity too large'));
  // Usually the body came in the packets of the headers: the parser has buffered all of it
  // already (`complete`), and it is taken at once, without listeners.
  if (req.complete && req.readableFlowing === null) {
    const whole = (req.read() as Buffer | null) ?? EMPTY;
    if (whole.length > limit) return Promise.reject(new BodyReadError(413, 'request entity too large'));
    if (length !== null && whole.length !== length)
      return Promise.reject(new BodyReadError(400, 'request size did not match content length'));
    return Promise.resolve(utf8(whole));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    // The error is made only when it is the outcome: 'close' follows every request's 'end', and
    // an Error (its stack) costs more than reading a small body.
    const fail = (status: 400 | 413, message: string) => {
      if (settled) return;
      settled = true;
      req.pause();
      reject(new BodyReadError(status, message));
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > limit) fail(413, 'request entity too large');
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      if (length !== null && received !== length) {
        fail(400, 'request size did not match content length');
        return;
      }
      settled = true;
      resolve(utf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
    });
    req.on('error', () => fail(400, 'request aborted'));
    // A client that goes away mid-body: 'close' without 'end'.
    req.on('close', () => fail(400, 'request aborted'));
  });
}

const EMPTY = Buffer.alloc(0);

/** UTF-8 text without a leading byte order mark (raw-body's decoder dropped it too). */
function utf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
