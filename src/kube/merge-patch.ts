// Custom resources accept no strategic merge patch: every patch here says it is a JSON merge patch.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
