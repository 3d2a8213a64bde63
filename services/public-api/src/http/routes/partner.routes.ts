import { Router } from 'express';
import { buildOpenApiDocument } from '@flowgate/contracts';
import type { ApiKeyVerifier, TemplateService } from '@flowgate/core';
import { authenticatePartner, principalOf } from '../middleware/authenticate-partner';
import { messagesRouter, type MessageRouteDeps } from './messages.routes';

export interface PartnerRouteDeps extends MessageRouteDeps {
  verifier: ApiKeyVerifier;
  templates: TemplateService;
}

/** Partner routes under /api/v1/public, authenticated with a workspace key pair. */
export function partnerRouter(deps: PartnerRouteDeps): Router {
  const router = Router();
  const openapi = JSON.stringify(buildOpenApiDocument());
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  router.use(authenticatePartner(deps.verifier));
  router.use(messagesRouter(deps));

  router.get('/templates', async (_req, res) => {
    const templates = await deps.templates.listApproved(principalOf(res).workspaceId);
    res.json({ success: true, data: { templates } });
  });

  return router;
}
