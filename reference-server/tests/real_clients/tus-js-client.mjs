// Uploads a file with tus-js-client in 64 KiB chunks, aborts past half way,
// resumes from the upload URL (tus-js-client asks HEAD for the offset) and
// finishes. Prints {"url", "abortedAt", "resumedFrom"} as JSON.
import fs from 'node:fs';
import * as tus from 'tus-js-client';

const [endpoint, path] = process.argv.slice(2);
const data = fs.readFileSync(path);
const chunkSize = 64 * 1024;

function run(options) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint,
      chunkSize,
      retryDelays: [50, 100, 200, 400],
      metadata: { filename: 'payload.bin', filetype: 'application/octet-stream' },
      ...options(() => upload, resolve),
      onError: reject,
    });
    upload.start();
  });
}

const first = await run((self, resolve) => ({
  onChunkComplete: (_chunk, accepted, total) => {
    if (accepted >= total / 2) {
      self().abort().then(() => resolve({ url: self().url, abortedAt: accepted }));
    }
  },
}));

let resumedFrom = null;
await run((self, resolve) => ({
  uploadUrl: first.url,
  onChunkComplete: (chunk, accepted) => {
    if (resumedFrom === null) resumedFrom = accepted - chunk;
  },
  onSuccess: () => resolve(),
}));

console.log(JSON.stringify({ url: first.url, abortedAt: first.abortedAt, resumedFrom }));
