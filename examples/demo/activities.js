// activities.js — the demo application's activities (the JavaScript side of
// its `call` steps). `uppercase` fails its first `failCount` attempts, so the
// activity-call demo shows retries; `refuse` fails for good (a
// NonRetriableError: no retry, whatever the step's policy).
import { NonRetriableError } from '../../shim/io.js';

export const activities = {
  async uppercase({ text, failCount = 0 }, { attempt }) {
    if (attempt <= failCount) throw new Error(`Activity failure #${attempt}`);
    return String(text).toUpperCase();
  },
  async refuse({ reason = 'refused' } = {}) {
    throw new NonRetriableError(reason);
  },
};
