import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderCrdFiles } from './crd-manifests.js';

// `npm run gen:crds`: write the CRDs generated from the zod schemas to deploy/crds.
const dir = resolve(import.meta.dirname, '../../deploy/crds');
mkdirSync(dir, { recursive: true });
for (const [file, text] of Object.entries(renderCrdFiles())) {
  writeFileSync(resolve(dir, file), text);
  console.log(`wrote deploy/crds/${file}`);
}
