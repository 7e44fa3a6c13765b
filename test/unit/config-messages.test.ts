import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { keysAt, nearest } from '../../src/config/issue-text.js';
import { configSchema } from '../../src/config/model-schema.js';

/** The bundled example config with one edit, written to a temp folder (paths stay valid: they are not checked here). */
function edited(edit: (cfg: { models: Record<string, Record<string, unknown>> }) => void): string {
  const cfg = parse(readFileSync('retrain.config.yaml', 'utf8')) as { models: Record<string, Record<string, unknown>> };
  edit(cfg);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-msg-')), 'retrain.config.yaml');
  writeFileSync(file, stringify(cfg));
  return file;
}
const messageOf = (file: string) => {
  try {
    loadConfig(file, {});
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected a config error');
};

// Issue 16 item 8: what a new user hits in the first hour.
describe('config errors a person can act on', () => {
  it('an invalid model name states the naming rule, not "Invalid key in record"', () => {
    const msg = messageOf(edited((c) => { c.models['Churn Model!'] = c.models.churn!; delete c.models.churn; }));
    assert.match(msg, /models\.Churn Model!: invalid name "Churn Model!": model names use a-z, 0-9, "-" and "_"/);
    assert.doesNotMatch(msg, /Invalid key in record/);
  });

  it('audit.keepQuickSkips: a duration of at least 1h or forever, named with the value when not; 90d by default', () => {
    const at = (v: unknown) => messageOf(edited((c) => Object.assign(c, { audit: { keepQuickSkips: v } })));
    assert.match(at('sometimes'), /audit\.keepQuickSkips: expected a duration such as 30d or 12h, or forever \(got "sometimes"\)/);
    assert.match(at('5x'), /audit\.keepQuickSkips: expected a duration/);
    assert.match(at('10m'), /audit\.keepQuickSkips: at least 1h \(or forever\) \(got "10m"\)/);
    assert.equal(loadConfig(edited((c) => Object.assign(c, { audit: { keepQuickSkips: 'forever' } })), {}).audit.keepQuickSkips, 'forever');
    assert.equal(loadConfig(edited(() => {}), {}).audit.keepQuickSkips, '90d');
  });

  it('a misspelt key suggests the nearest valid one and lists the valid keys', () => {
    const msg = messageOf(edited((c) => { c.models.churn!.promtion = c.models.churn!.promotion; delete c.models.churn!.promotion; }));
    assert.match(msg, /models\.churn: unknown key "promtion" \(did you mean "promotion"\?\); valid keys here: .*promotion/);
    assert.match(msg, /models\.churn\.promotion: required, missing/);
  });

  it('never dumps a whole object into the message', () => {
    const msg = messageOf(edited((c) => { c.models.churn!.nonsense = { a: 'x'.repeat(500), b: 1 }; }));
    assert.doesNotMatch(msg, /x{100}/);
    assert.doesNotMatch(msg, /"description"/);
    assert.ok(msg.length < 2000, msg);
  });

  it('with no config file, says how to create one or where to point', () => {
    const msg = messageOf(path.join(mkdtempSync(path.join(tmpdir(), 'retrain-msg-')), 'retrain.config.yaml'));
    assert.match(msg, /no config file here\. Create one with `npx retrain init`, or point RETRAIN_CONFIG at yours/);
  });

  it('keysAt walks records, optionals and defaults; nearest stays silent for unrelated words', () => {
    assert.ok(keysAt(configSchema, ['models', 'any']).includes('promotion'));
    assert.ok(keysAt(configSchema, ['models', 'any', 'trigger']).includes('cooldown'));
    assert.equal(nearest('quietPeriodd', ['quietPeriod', 'maxWait']), 'quietPeriod');
    assert.equal(nearest('banana', ['quietPeriod', 'maxWait']), undefined);
  });
});
