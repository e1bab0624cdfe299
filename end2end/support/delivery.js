// Find and check helpers for how the server delivers the built UI: raw HTTP (Node's fetch would
// decompress the body), the files the build wrote, and the UI's files a page links to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import { settings } from './server.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export const find = {
  /** The response to GET `url`, body as received on the wire (still compressed). */
  raw(url, encoding) {
    return new Promise((resolve, reject) => {
      const headers = encoding ? { 'accept-encoding': encoding } : {};
      request(url, { headers }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
  },
  /** The UI's files a server-rendered page links to (scripts, WASM, stylesheet, preloads). */
  assetPaths(html) {
    return [...new Set(html.match(/\/pkg\/[\w.-]+\.(?:js|wasm|css)/g) ?? [])];
  },
  /** A file as the build wrote it under the site root. */
  builtFile(path) {
    return readFileSync(join(settings.siteRoot, path));
  },
};

export const check = {
  /** The file at `path` is cached for a year and sent as the build compressed it. */
  async servedAsBuilt(baseUrl, path) {
    for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz'], [null, '']]) {
      const response = await find.raw(`${baseUrl}${path}`, encoding);
      assert.equal(response.status, 200, `${path} (${encoding ?? 'identity'})`);
      assert.equal(response.headers['cache-control'], IMMUTABLE, `${path} is cached for a year`);
      for (const unused of ['last-modified', 'etag', 'accept-ranges']) {
        assert.equal(response.headers[unused], undefined, `${path}: a file kept for a year is sent without ${unused}`);
      }
      assert.equal(response.headers['content-encoding'], encoding ?? undefined, `${path} is sent ${encoding ?? 'uncompressed'}`);
      assert.ok(find.builtFile(path + suffix).equals(response.body), `${path} (${encoding ?? 'identity'}) is the file the build wrote`);
    }
  },
};
