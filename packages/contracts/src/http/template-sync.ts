import { Type, type Static } from '@sinclair/typebox';
import { Id, Success } from './common';

const Ref = {
  id: Id(),
  name: Type.String(),
  language: Type.String(),
};

const InUse = Type.Object(
  {
    ...Ref,
    status: Type.String({ description: 'The stored status (left as it was when kept).' }),
    broadcastIds: Type.Array(Id(), {
      description: 'The SCHEDULED or SENDING broadcasts that still use the template.',
    }),
  },
  { additionalProperties: false },
);

/**
 * `POST /api/v1/workspaces/:workspaceId/templates/sync` (owners and admins; no body): the
 * workspace's templates brought in line with Meta's list (docs/meta-cloud-api.md §7, ADR 0044).
 * `pnpm cli template:sync --json` prints the same object.
 */
export const TemplateSyncReportSchema = Type.Object(
  {
    wabaIds: Type.Array(Type.String(), {
      description:
        "The WhatsApp Business Accounts read: the distinct WABA ids of the workspace's numbers. None: nothing was read or changed.",
    }),
    created: Type.Integer({ minimum: 0, description: 'Templates Meta lists that were not stored.' }),
    updated: Type.Integer({
      minimum: 0,
      description: 'Stored templates whose status, category or components Meta changed.',
    }),
    unchanged: Type.Integer({ minimum: 0 }),
    missingFromMeta: Type.Array(
      Type.Object({ ...Ref, previousStatus: Type.String() }, { additionalProperties: false }),
      {
        description:
          'Stored templates Meta no longer lists: now DELETED, so sends refuse them (TEMPLATE_NOT_APPROVED).',
      },
    ),
    kept: Type.Array(InUse, {
      description:
        'Stored templates Meta no longer lists that a SCHEDULED or SENDING broadcast still uses: left unchanged.',
    }),
    inUseNoLongerApproved: Type.Array(InUse, {
      description:
        'Templates Meta moved away from APPROVED (e.g. PAUSED) that a SCHEDULED or SENDING broadcast uses: updated, so those sends will fail.',
    }),
    invalid: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          language: Type.String(),
          errors: Type.Array(
            Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
      { description: "Meta's templates that break the rules of `template:add`: skipped." },
    ),
  },
  { title: 'TemplateSyncReport', additionalProperties: false },
);
export type TemplateSyncReportBody = Static<typeof TemplateSyncReportSchema>;

export const TemplateSyncResponseSchema = Success(TemplateSyncReportSchema, 'TemplateSyncResponse');
export type TemplateSyncResponse = Static<typeof TemplateSyncResponseSchema>;
