/** Meta's failures of a template sync as the caller's errors (ADR 0044), by the dispatcher's error policy. */
import { ProviderError } from '@flowgate/whatsapp-cloud';
import { RateLimitedError, UnavailableError, UnprocessableError } from '@flowgate/errors';
import { templateSyncError } from '../../src/templates/sync-templates';

describe('templateSyncError', () => {
  it.each([
    [
      { code: 4, httpStatus: 400, title: 'Application request limit reached' },
      RateLimitedError,
      'RATE_LIMITED',
    ],
    [{ code: 80007, httpStatus: 400, title: 'Rate limit issues' }, RateLimitedError, 'RATE_LIMITED'],
    [
      { code: 2, httpStatus: 503, title: 'Service temporarily unavailable' },
      UnavailableError,
      'SERVICE_UNAVAILABLE',
    ],
    [{ httpStatus: 502, title: 'Bad gateway' }, UnavailableError, 'SERVICE_UNAVAILABLE'],
    [
      { code: 190, httpStatus: 401, title: 'Invalid OAuth access token' },
      UnprocessableError,
      'PROVIDER_REQUEST_FAILED',
    ],
    [
      { code: 100, httpStatus: 400, title: 'Unsupported get request' },
      UnprocessableError,
      'PROVIDER_REQUEST_FAILED',
    ],
  ] as const)('%j → %p', (init, type, code) => {
    const err = templateSyncError(new ProviderError(init), '102290129340398');
    expect(err).toBeInstanceOf(type);
    expect(err?.code).toBe(code);
    expect(err?.message).toContain('102290129340398');
    if (err instanceof RateLimitedError) expect(err.retryAfterSeconds).toBe(60);
  });

  it("tells an access-token problem apart, and leaves errors that are not Meta's alone", () => {
    expect(templateSyncError(new ProviderError({ code: 190, title: 'x' }), '1')?.message).toContain(
      'reconnect the number',
    );
    expect(templateSyncError(new Error('boom'), '1')).toBeUndefined();
  });
});
