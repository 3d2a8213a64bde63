import { classifyProviderFailure, isProviderError, ProviderError } from '../src/error-policy';

describe('classifyProviderFailure', () => {
  const account = [0, 3, 10, 33, 190, 200, 250, 299, 368, 131005, 131031, 131037, 131042, 131045, 133010];
  const retryable = [1, 2, 4, 17, 613, 80007, 130429, 131000, 131016, 131057, 133004];
  const permanent = [
    100, 470, 130472, 130497, 131008, 131009, 131021, 131026, 131030, 131047, 131048, 131049, 131050, 131051,
    131053, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 132018, 132068, 135000, 300, 199, 999999,
  ];

  it.each(account)('code %i is account-level', (code) => {
    expect(classifyProviderFailure({ code, httpStatus: 400 })).toEqual({ kind: 'account' });
  });

  it.each(retryable)('code %i is retryable', (code) => {
    expect(classifyProviderFailure({ code, httpStatus: 400 })).toEqual({ kind: 'retryable' });
  });

  it.each(permanent)('code %i is permanent', (code) => {
    expect(classifyProviderFailure({ code, httpStatus: 400 })).toEqual({ kind: 'permanent' });
  });

  it('131056 is retryable and pair-limited', () => {
    expect(classifyProviderFailure({ code: 131056, httpStatus: 400 })).toEqual({
      kind: 'retryable',
      pairLimited: true,
    });
  });

  it('keys on the code, not on the HTTP status', () => {
    // Throttling comes back as HTTP 400; an account code can come with a 500.
    expect(classifyProviderFailure({ code: 130429, httpStatus: 400 }).kind).toBe('retryable');
    expect(classifyProviderFailure({ code: 3, httpStatus: 500 }).kind).toBe('account');
    expect(classifyProviderFailure({ code: 131047, httpStatus: 500 }).kind).toBe('permanent');
    expect(classifyProviderFailure({ code: 190 }).kind).toBe('account');
  });

  it('treats an unknown code on a 5xx answer as transient', () => {
    expect(classifyProviderFailure({ code: 987654, httpStatus: 503 }).kind).toBe('retryable');
    expect(classifyProviderFailure({ code: 987654, httpStatus: 400 }).kind).toBe('permanent');
  });

  it.each([
    [{ timedOut: true }, 'retryable'],
    [{ networkError: true }, 'retryable'],
    [{ httpStatus: 500 }, 'retryable'],
    [{ httpStatus: 502 }, 'retryable'],
    [{ httpStatus: 503 }, 'retryable'],
    [{ httpStatus: 504 }, 'retryable'],
    [{ httpStatus: 429 }, 'retryable'],
    [{ httpStatus: 408 }, 'retryable'],
    [{ httpStatus: 401 }, 'account'],
    [{ httpStatus: 403 }, 'account'],
    [{ httpStatus: 400 }, 'permanent'],
    [{ httpStatus: 404 }, 'permanent'],
    [{}, 'permanent'],
  ] as const)('without a code, %j is %s', (input, kind) => {
    expect(classifyProviderFailure(input)).toEqual({ kind });
  });
});

describe('ProviderError', () => {
  it('derives its classification and carries Meta fields only', () => {
    const err = new ProviderError({
      code: 131056,
      httpStatus: 400,
      title: '(Business Account, Consumer Account) pair rate limit hit',
      details: 'too many messages to the same number',
      fbtraceId: 'Atrace',
    });
    expect(err).toBeInstanceOf(Error);
    expect(isProviderError(err)).toBe(true);
    expect(err.name).toBe('ProviderError');
    expect(err.message).toBe('(#131056) (Business Account, Consumer Account) pair rate limit hit');
    expect(err.classification).toEqual({ kind: 'retryable', pairLimited: true });
    expect(err.retryable).toBe(true);
    expect(err.code).toBe(131056);
    expect(err.httpStatus).toBe(400);
    expect(err.details).toBe('too many messages to the same number');
    expect(err.fbtraceId).toBe('Atrace');
    expect(err.outcomeUnknown).toBe(false);
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      code: 131056,
      title: err.title,
      classification: err.classification,
    });
  });

  it('accepts an explicit classification and a code-less failure', () => {
    const err = new ProviderError({ title: 'timed out', timedOut: true, outcomeUnknown: true });
    expect(err.code).toBeUndefined();
    expect(err.httpStatus).toBeUndefined();
    expect(err.classification).toEqual({ kind: 'retryable' });
    expect(err.outcomeUnknown).toBe(true);
    const forced = new ProviderError({ title: 'x', code: 131026, classification: { kind: 'account' } });
    expect(forced.classification.kind).toBe('account');
  });
});
