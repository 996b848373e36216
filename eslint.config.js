import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which module of src/ may import which (docs/architecture.md): every arrow points down. A
// module not listed as allowed is refused, whatever the path depth of the import.
const MODULES = ['crds', 'observability', 'kube', 'client', 'machinery', 'sandbox', 'controllers', 'webhook', 'operator', 'main', 'config'];
const MAY_IMPORT = {
  'src/crds': [],
  'src/observability': ['crds'],
  'src/kube': ['crds'],
  'src/client': ['crds'],
  'src/machinery': ['kube', 'observability'],
  'src/sandbox': ['crds', 'kube', 'machinery'],
  'src/controllers/coderun': ['crds', 'kube', 'machinery', 'observability', 'sandbox'],
  'src/controllers/pool': ['crds', 'kube', 'machinery', 'observability', 'sandbox'],
  'src/controllers/runtime': ['crds', 'kube', 'machinery', 'sandbox'],
  // The admission webhook runs the CodeRun controller's own checks at creation.
  'src/webhook': ['crds', 'kube', 'machinery', 'observability', 'sandbox', 'controllers'],
};
const CONTROLLERS = ['coderun', 'pool', 'runtime'];

const layerRules = Object.entries(MAY_IMPORT).map(([dir, allowed]) => {
  const own = dir.split('/')[1];
  const refused = MODULES.filter((m) => m !== own && !allowed.includes(m));
  const patterns = [
    { regex: `^(\\.\\./)+(src/)?(${refused.join('|')})(/|\\.js$)`, message: `${dir} may import only ${allowed.join(', ') || 'nothing else in src'} (docs/architecture.md)` },
  ];
  for (const sibling of CONTROLLERS.filter((c) => dir.startsWith('src/controllers/') && `src/controllers/${c}` !== dir)) {
    patterns.push({ regex: `^(\\.\\./)+(controllers/)?${sibling}/`, message: `the controllers do not import each other: share through src/sandbox (docs/architecture.md)` });
  }
  return { files: [`${dir}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'runner/', 'hack/', 'coverage/', '.cluster/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
