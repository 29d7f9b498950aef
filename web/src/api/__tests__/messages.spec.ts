import { ERROR_CATALOGUE } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';
import { CLIENT_MESSAGES, describeError, keyFieldText, SERVER_MESSAGES } from '../messages.ts';

describe('describeError', () => {
  it('has a plain sentence for every code of the server catalogue', () => {
    const missing = Object.keys(ERROR_CATALOGUE).filter((code) => !SERVER_MESSAGES[code]);
    expect(missing, `add these codes to web/src/api/messages.ts`).toEqual([]);
  });

  it('never tells a person to wait for a refusal that cannot change, nor to retake on a busy server', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      const { action } = describeError(code);
      if (spec.retryable) expect(action, code).toBe('wait');
      else expect(action, code).not.toBe('wait');
    }
  });

  it('falls back to the server message for an unknown code, with an action from the status', () => {
    expect(describeError('IMAGE_TOO_WEIRD', 'Too weird.', 422)).toEqual({
      code: 'IMAGE_TOO_WEIRD',
      text: 'Too weird.',
      action: 'retake',
    });
    expect(describeError('SOMETHING_NEW', '', 503).action).toBe('wait');
  });

  it('next to the key field, never sends the person to Settings (they are there)', () => {
    const codes = Object.keys({ ...SERVER_MESSAGES, ...CLIENT_MESSAGES });
    for (const code of codes) expect(keyFieldText(describeError(code)), code).not.toMatch(/Settings/);
    expect(keyFieldText(describeError('UNAUTHORIZED'))).toBe(
      'The API key was not accepted. Check it with your manager and enter it again.',
    );
  });
});
