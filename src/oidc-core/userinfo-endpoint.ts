// PLACEHOLDER: replaced by its owner during the build-out.
import { Router } from 'express';
import type { Context } from '../server/context.js';

export function userinfoRouter(_ctx: Context): Router {
  return Router();
}
