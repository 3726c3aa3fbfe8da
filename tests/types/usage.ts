// Compile-time checks of the generated workflow types (SPEC §10): correct
// usage compiles; every line under @ts-expect-error must be a type error, or
// tsc fails ("Unused '@ts-expect-error' directive").
import { Ablauf, type WorkflowRunnerNamespace } from '../../shim/binding.js';

declare const ns: WorkflowRunnerNamespace;

export async function usage() {
  const ablauf = new Ablauf(ns);

  const wf = await ablauf.create('sse-test', { id: 'ws-1', payload: { itemCount: 10 } });
  const done = await wf.waitForUpdate({ update: 'done', timeout: '10s' });
  const message: string = done.message;
  const progress = await wf.waitForUpdate({ update: 'progress' });
  const percent: number = progress.percent;

  const t = await ablauf.create('test', { payload: { name: 'Ann' } });
  await t.sendEvent({ event: 'approval', payload: { approved: true } });
  const status = await t.getStatus();
  const greeting: string | undefined = status.result?.greeting;

  // @ts-expect-error unknown workflow type
  await ablauf.create('no-such-type', { payload: {} });
  // @ts-expect-error payload of the wrong type
  await ablauf.create('sse-test', { payload: { itemCount: 'ten' } });
  // @ts-expect-error required property missing
  await ablauf.create('echo', { payload: {} });
  // @ts-expect-error event not declared by the workflow
  await t.sendEvent({ event: 'approve', payload: { approved: true } });
  // @ts-expect-error event payload of the wrong type
  await t.sendEvent({ event: 'approval', payload: { approved: 'yes' } });
  // @ts-expect-error update not declared by the workflow
  await wf.waitForUpdate({ update: 'finished' });
  // @ts-expect-error malformed duration
  await wf.waitForUpdate({ update: 'done', timeout: '10 seconds' });
  // @ts-expect-error the done update has no percent
  const wrong: number = done.percent;

  return [message, percent, greeting, wrong];
}
