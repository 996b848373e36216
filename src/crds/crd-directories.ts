// Where `npm run gen:crds` writes the CRDs: deploy/crds for `kubectl apply -f`, and the Helm
// chart's crds/ (Helm installs those before its templates, and never upgrades or deletes them).
export const CRD_DIRECTORIES = ['deploy/crds', 'deploy/helm/coderun/crds'] as const;
