import type { ImageRecord } from '../store/images.js';
import { type OpsContext, withStore } from './context.js';

export function listImages(ctx: OpsContext): ImageRecord[] {
  return withStore(ctx, (store) => store.images.list());
}
