import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CRD_DIRECTORIES } from './crd-directories.js';
import { renderCrdFiles } from './crd-manifests.js';

const root = resolve(import.meta.dirname, '../..');
const files = renderCrdFiles();

// On a failure: run `npm run gen:crds` and commit what it wrote.
describe.each(CRD_DIRECTORIES)('%s', (dir) => {
  test('holds exactly the generated CRD files, so no CRD of an old schema is left behind', () => {
    expect(readdirSync(resolve(root, dir)).sort()).toEqual(Object.keys(files).sort());
  });

  test.each(Object.keys(files))('%s is what `npm run gen:crds` generates from the zod schemas', (file) => {
    expect(readFileSync(resolve(root, dir, file), 'utf8')).toBe(files[file]);
  });
});
