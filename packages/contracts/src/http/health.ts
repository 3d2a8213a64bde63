import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../messages/common';

/** `GET /healthz`: the process is up (no dependency is checked). */
export const HealthResponseSchema = Type.Object(
  { status: Type.Literal('ok') },
  { title: 'HealthResponse', additionalProperties: false },
);
export type HealthResponse = Static<typeof HealthResponseSchema>;

export const CHECK_STATES = ['ok', 'down'] as const;

/** `GET /readyz`: 200 `ready` while every dependency answers, else 503 `not_ready`. */
export const ReadinessResponseSchema = Type.Object(
  {
    status: StringEnum(['ready', 'not_ready'] as const),
    checks: Type.Record(Type.String(), StringEnum(CHECK_STATES), {
      description: 'One entry per dependency (database, broker, …).',
    }),
  },
  { title: 'ReadinessResponse', additionalProperties: false },
);
export type ReadinessResponse = Static<typeof ReadinessResponseSchema>;
