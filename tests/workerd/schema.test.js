// schema.test.js — an instance stored by an older engine is migrated by this
// one inside workerd's own SQLite (its authorizer decides which statements a
// Durable Object may run): the rebuilds of ab_steps (v5: ord the rowid; v6:
// no index on name) keep every step.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { created, getStatus, sendEvent, stubOf, uid } from './helpers.js';

const COLS = 'name, ord, type, status, attempts, result, error, started_at, completed_at, duration,'
  + ' wake_at, history, result_bytes, request, io_token, outcome, done_seq';

const STEPS_BODY = ' type TEXT NOT NULL,'
  + ' status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,'
  + ' started_at INTEGER, completed_at INTEGER, duration INTEGER, wake_at INTEGER, history TEXT,'
  + ' result_bytes INTEGER NOT NULL DEFAULT 0, request TEXT, io_token TEXT, outcome TEXT,'
  + ' done_seq INTEGER NOT NULL DEFAULT 0';

/** Puts the object's ab_steps back into an older shape: `keys` its first two
 *  columns, `more` what else that version had, `version` its number. */
const back = (sql, keys, more, version) => {
  sql.exec(`CREATE TABLE ab_steps_old (${keys},${STEPS_BODY})`);
  sql.exec(`INSERT INTO ab_steps_old (${COLS}) SELECT ${COLS} FROM ab_steps`);
  sql.exec('DROP TABLE ab_steps');
  sql.exec('ALTER TABLE ab_steps_old RENAME TO ab_steps');
  for (const q of more) sql.exec(q);
  sql.exec("CREATE INDEX ab_steps_timeline ON ab_steps (started_at, ord) WHERE type IN ('do', 'fetch', 'call')");
  sql.exec(`UPDATE ab_meta SET value = ${version} WHERE key = 'schema_version'`);
};

const OLD = [
  // v4: name the primary key, an index on ord
  ['v4', (sql) => back(sql, 'name TEXT PRIMARY KEY, ord INTEGER NOT NULL', ['CREATE INDEX ab_steps_ord ON ab_steps (ord)'], 4)],
  // v5: ord the rowid, name UNIQUE (an automatic index)
  ['v5', (sql) => back(sql, 'name TEXT NOT NULL UNIQUE, ord INTEGER PRIMARY KEY', [], 5)],
];

describe('schema migration', () => {
  it.each(OLD)('a %s history is rebuilt (ord the rowid, no index on name), every step kept, and the instance goes on', async (v, toOld) => {
    const id = uid(`mig-${v}`);
    const s = await created('replay-counter', id, { id });
    expect(s.status).toBe('waiting');
    await runInDurableObject(stubOf(id), (_o, state) => toOld(state.storage.sql));
    const after = await getStatus(id);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(s);
    const facts = await runInDurableObject(stubOf(id), (_o, state) => {
      const one = (q) => state.storage.sql.exec(q).raw().toArray()[0][0];
      return {
        version: one("SELECT value FROM ab_meta WHERE key = 'schema_version'"),
        ordIndex: one("SELECT count(*) FROM sqlite_master WHERE name = 'ab_steps_ord'"),
        nameIndex: one("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'ab_steps' AND name LIKE 'sqlite_autoindex_%'"),
        rowidIsOrd: one('SELECT count(*) FROM ab_steps WHERE rowid = ord'),
        steps: one('SELECT count(*) FROM ab_steps'),
      };
    });
    expect(facts).toEqual({ version: 6, ordIndex: 0, nameIndex: 0, rowidIsOrd: s.steps.length, steps: s.steps.length });
    const done = await sendEvent(id, 'continue', {});
    expect(done.status).toBe(202);
    expect(done.body.status.status).toBe('completed');
    // the steps stored before ran no further attempt
    const attempts = (steps) => steps.map((x) => [x.name, x.attempts]);
    expect(attempts(done.body.status.steps.slice(0, s.steps.length))).toEqual(attempts(s.steps));
  });
});
