import { MESSAGE_STATUSES } from '@flowgate/contracts';
import {
  CLAIMABLE_STATUSES,
  MESSAGE_TRANSITIONS,
  UNFINISHED_STATUSES,
  canMove,
  isFinal,
} from '@flowgate/core';

describe('message state table (message-status.ts)', () => {
  it('when every published status is looked up, then each has exactly one row and only READ and FAILED are final', () => {
    expect(Object.keys(MESSAGE_TRANSITIONS).sort()).toEqual([...MESSAGE_STATUSES].sort());
    expect(MESSAGE_STATUSES.filter(isFinal).sort()).toEqual(['FAILED', 'READ']);
  });

  it('when a status moves, then it only moves forward in the published order (a released claim stays SENDING)', () => {
    for (const from of MESSAGE_STATUSES)
      for (const to of MESSAGE_TRANSITIONS[from]) {
        const forward = MESSAGE_STATUSES.indexOf(to) > MESSAGE_STATUSES.indexOf(from);
        expect({ from, to, ok: forward || (from === 'SENDING' && to === 'SENDING') }).toEqual({
          from,
          to,
          ok: true,
        });
      }
    expect(canMove('SENT', 'QUEUED')).toBe(false);
    expect(canMove('ACCEPTED', 'SENDING')).toBe(true);
  });

  it('when the relay and the dispatcher pick work, then they pick unfinished statuses that can reach SENDING', () => {
    for (const s of UNFINISHED_STATUSES) expect(isFinal(s)).toBe(false);
    for (const s of CLAIMABLE_STATUSES) expect(canMove(s, 'SENDING')).toBe(true);
    expect([...UNFINISHED_STATUSES].sort()).toEqual(['ACCEPTED', 'QUEUED', 'SENDING']);
  });
});
