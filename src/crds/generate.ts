import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CRD_DIRECTORIES } from './crd-directories.js';
import { renderCrdFiles } from './crd-manifests.js';

// `npm run gen:crds`: write the CRDs generated from the zod schemas to each of CRD_DIRECTORIES.
const root = resolve(import.meta.dirname, '../..');
const files = renderCrdFiles();
for (const dir of CRD_DIRECTORIES) {
  mkdirSync(resolve(root, dir), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(resolve(root, dir, file), text);
    console.log(`wrote ${dir}/${file}`);
  }
}
