import { bringUp } from './bring-up.js';

// Integration tests need only etcd and kube-apiserver; a full cluster that is already up serves too.
export default function setup(): void {
  bringUp(['--api-only']);
}
