// schema.test.js — an instance stored by an older engine is migrated by this
// one inside workerd's own SQLite (its authorizer decides which statements a
// Durable Object may run): the v5 rebuild of ab_steps keeps every step.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { created, getStatus, sendEvent, stubOf, uid } from './helpers.js';

const COLS = 'name, ord, type, status, attempts, result, error, started_at, completed_at, duration,'
  + ' wake_at, history, result_bytes, request, io_token, outcome, done_seq';

/** Puts the object's ab_steps back into the v4 shape: name the primary key, an index on ord. */
const toV4 = (sql) => {
  sql.exec('CREATE TABLE ab_steps_v4 (name TEXT PRIMARY KEY, ord INTEGER NOT NULL, type TEXT NOT NULL,'
    + ' status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,'
    + ' started_at INTEGER, completed_at INTEGER, duration INTEGER, wake_at INTEGER, history TEXT,'
    + ' result_bytes INTEGER NOT NULL DEFAULT 0, request TEXT, io_token TEXT, outcome TEXT,'
    + ' done_seq INTEGER NOT NULL DEFAULT 0)');
  sql.exec(`INSERT INTO ab_steps_v4 (${COLS}) SELECT ${COLS} FROM ab_steps`);
  sql.exec('DROP TABLE ab_steps');
  sql.exec('ALTER TABLE ab_steps_v4 RENAME TO ab_steps');
  sql.exec('CREATE INDEX ab_steps_ord ON ab_steps (ord)');
  sql.exec("CREATE INDEX ab_steps_timeline ON ab_steps (started_at, ord) WHERE type IN ('do', 'fetch', 'call')");
  sql.exec("UPDATE ab_meta SET value = 4 WHERE key = 'schema_version'");
};

describe('schema migration', () => {
  it('a v4 history is rebuilt with ord as the rowid, every step kept, and the instance goes on', async () => {
    const id = uid('mig-v4');
    const s = await created('replay-counter', id, { id });
    expect(s.status).toBe('waiting');
    await runInDurableObject(stubOf(id), (_o, state) => toV4(state.storage.sql));
    const after = await getStatus(id);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(s);
    const facts = await runInDurableObject(stubOf(id), (_o, state) => {
      const one = (q) => state.storage.sql.exec(q).raw().toArray()[0][0];
      return {
        version: one("SELECT value FROM ab_meta WHERE key = 'schema_version'"),
        ordIndex: one("SELECT count(*) FROM sqlite_master WHERE name = 'ab_steps_ord'"),
        rowidIsOrd: one('SELECT count(*) FROM ab_steps WHERE rowid = ord'),
        steps: one('SELECT count(*) FROM ab_steps'),
      };
    });
    expect(facts).toEqual({ version: 5, ordIndex: 0, rowidIsOrd: s.steps.length, steps: s.steps.length });
    const done = await sendEvent(id, 'continue', {});
    expect(done.status).toBe(202);
    expect(done.body.status.status).toBe('completed');
  });
});
