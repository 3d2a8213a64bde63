import { Router } from 'express';
import { TemplateSyncResponseSchema, WorkspaceParamsSchema } from '@flowgate/contracts';
import type { TemplateSyncService, WorkspaceService } from '@flowgate/core';
import { adminUserId, authenticateAdmin } from '../middleware/authenticate-admin';
import { routeBase } from '../middleware/access-log';
import { respond } from '../respond';
import { paramsValidator } from '../validate';

export interface TemplateSyncRouteDeps {
  jwtSecret: string;
  workspaces: WorkspaceService;
  templateSync: TemplateSyncService;
}

const SYNCERS = ['owner', 'admin'] as const;

/**
 * `POST /api/v1/workspaces/:workspaceId/templates/sync` (issue 14, ADR 0044): owners and admins
 * bring the workspace's templates in line with Meta's list; members get 403, and a workspace the
 * user is not a member of answers the same 403 as one that does not exist.
 */
export function templateSyncRouter(deps: TemplateSyncRouteDeps): Router {
  const router = Router();
  const readWorkspace = paramsValidator(WorkspaceParamsSchema, 'Workspace not found.');
  const workspace = Router({ mergeParams: true });
  workspace.post('/templates/sync', authenticateAdmin(deps.jwtSecret), async (req, res) => {
    const { workspaceId } = readWorkspace(req);
    await deps.workspaces.requireRole(workspaceId, adminUserId(res), SYNCERS);
    const report = await deps.templateSync.sync(workspaceId);
    respond(res, 200, TemplateSyncResponseSchema, { success: true, data: report });
  });
  router.use('/workspaces/:workspaceId', routeBase('/workspaces/:workspaceId'), workspace);
  return router;
}
