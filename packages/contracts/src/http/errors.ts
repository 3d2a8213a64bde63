import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from '../error-codes';
import { StringEnum } from '../messages/common';

/** One problem with the input: where (a JSON pointer into the body) and what to do about it. */
export const FieldErrorSchema = Type.Object(
  {
    path: Type.String({
      description:
        "JSON pointer to the offending field ('' for the body itself), e.g. '/content' or '/carousel/cards/0/index'.",
    }),
    message: Type.String({ description: 'What is wrong, as a sentence a person can act on.' }),
  },
  { title: 'FieldError', additionalProperties: false },
);
export type FieldError = Static<typeof FieldErrorSchema>;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

/** Every error response, from every route. */
export const ErrorEnvelopeSchema = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.Object(
      {
        code: StringEnum(ERROR_CODE_NAMES, { description: 'Stable UPPER_SNAKE error code.' }),
        message: Type.String({ description: 'Human-readable summary.' }),
        details: Type.Optional(
          Type.Array(
            Type.Object(
              { path: Type.String(), message: Type.String() },
              { additionalProperties: true, description: 'A FieldError, possibly with more context.' },
            ),
            { description: 'One entry per offending field (validation and template errors).' },
          ),
        ),
        requestId: Type.String({
          description: 'Also in the X-Request-Id header; quote it when reporting a problem.',
        }),
      },
      { additionalProperties: false },
    ),
  },
  {
    title: 'ErrorEnvelope',
    additionalProperties: false,
    examples: [
      {
        success: false,
        error: {
          code: 'VALIDATION_FAILED',
          message: 'The request body is invalid.',
          details: [{ path: '/content', message: 'must be at most 4096 characters' }],
          requestId: '5f0c6a3e-8d9b-4b1e-9a57-3f1f2d0c9b11',
        },
      },
    ],
  },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelopeSchema>;
