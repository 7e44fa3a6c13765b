import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DYNAMIC_CONFIG_FILE } from '../../src/cluster/topology.js';
import { devServerDynamicConfigFlags } from '../../src/temporal/dev-server.js';

/** `--dynamic-config-value k=v` pairs back into a map. */
const asMap = (flags: string[]) => {
  const out = new Map<string, unknown>();
  for (let i = 0; i < flags.length; i += 2) {
    assert.equal(flags[i], '--dynamic-config-value');
    const [key, ...rest] = flags[i + 1]!.split('=');
    out.set(key!, JSON.parse(rest.join('=')));
  }
  return out;
};

describe('the dev server runs with the cluster dynamic config', () => {
  it('gets every key of src/cluster/dynamicconfig.yaml with its value, the raised queue read rates among them', () => {
    const file = parse(readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, { value: unknown }[]>;
    const flags = asMap(devServerDynamicConfigFlags());
    assert.deepEqual([...flags.keys()].sort(), Object.keys(file).sort());
    for (const [key, [entry]] of Object.entries(file)) assert.deepEqual(flags.get(key), entry!.value, key);
    for (const key of ['history.transferProcessorMaxPollRPS', 'history.timerProcessorMaxPollRPS', 'history.visibilityProcessorMaxPollRPS']) assert.ok((flags.get(key) as number) > 20, key);
  });

  it('takes overrides (the handoff bench measures the defaults) and refuses a key it cannot pass as one flag', () => {
    const flags = asMap(devServerDynamicConfigFlags({ 'history.transferProcessorMaxPollRPS': 20 }));
    assert.equal(flags.get('history.transferProcessorMaxPollRPS'), 20);
    const dir = mkdtempSync(path.join(tmpdir(), 'dc-'));
    const constrained = path.join(dir, 'dc.yaml');
    writeFileSync(constrained, 'history.transferProcessorMaxPollRPS:\n  - value: 100\n  - value: 5\n    constraints: { namespace: a }\n');
    assert.throws(() => devServerDynamicConfigFlags({}, constrained), /history\.transferProcessorMaxPollRPS: the dev server takes one value per key/);
  });
});
