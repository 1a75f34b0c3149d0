import { StringDecoder } from 'node:string_decoder';
import type { StoredFileResolvers } from '../__generated__/resolvers-types';
import { badUserInput } from '../errors';

export const StoredFile: StoredFileResolvers = {
  content: async (file, { encoding, maxBytes }, { loaders }) => {
    if (maxBytes != null && maxBytes < 0) throw badUserInput('maxBytes must be >= 0', 'maxBytes');
    const bytes = await loaders.fileContent.load({ id: file.id, maxBytes: maxBytes ?? null });
    if (bytes === null) return null;
    if (encoding === 'BASE64') return bytes.toString('base64');
    // A decoder holds back a trailing, incomplete UTF-8 sequence instead of mangling it.
    return new StringDecoder('utf8').write(bytes);
  },
};
