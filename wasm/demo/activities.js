// activities.js — the demo application's activities (the JavaScript side of
// its `call` steps). `uppercase` fails its first `failCount` attempts, so the
// activity-call demo shows retries.
export const activities = {
  async uppercase({ text, failCount = 0 }, { attempt }) {
    if (attempt <= failCount) throw new Error(`Activity failure #${attempt}`);
    return String(text).toUpperCase();
  },
};
