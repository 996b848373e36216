import { bringUp } from './bring-up.js';

export default function setup(): void {
  bringUp([]);
}
