import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { searchAttributeFlags } from '../../src/temporal/search-attributes.js';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[] | string;
  profiles?: string[];
  depends_on?: string[];
}
// There is no Docker engine on CI machines, so the compose file is checked for structure instead.
const compose = parse(readFileSync(path.resolve(import.meta.dirname, '../../docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const s = compose.services;

describe('docker-compose.yml', () => {
  it('has the team services, with MLflow behind a profile', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker', 'gateway']) assert.ok(s[name], `service ${name}`);
    assert.deepEqual(s.mlflow?.profiles, ['mlflow']);
  });
  it('pins every image to an explicit version', () => {
    for (const [name, svc] of Object.entries(s)) {
      if (svc.build) continue;
      assert.match(svc.image ?? '', /^[\w./-]+:v?\d+\.\d+[\w.-]*$/, `${name} image ${svc.image} is pinned`);
    }
  });
  it('points the worker and the gateway at the Temporal service, and exposes the UI and the gateway', () => {
    for (const name of ['worker', 'gateway']) assert.equal(s[name]!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(s.gateway!.environment?.RETRAIN_GATEWAY_SECRET ?? '', /^\$\{RETRAIN_GATEWAY_SECRET:\?/);
    assert.ok(s['temporal-ui']!.ports?.includes('8080:8080'));
    assert.ok(s.gateway!.ports?.includes('8787:8787'));
    assert.ok(s.temporal!.ports?.includes('7233:7233'));
  });
  it('registers every search attribute the workflows upsert', () => {
    const setup = ([] as string[]).concat(s['temporal-setup']!.command ?? []).join(' ');
    const pairs = searchAttributeFlags().filter((f) => f !== '--search-attribute');
    for (const pair of pairs) {
      const [name, type] = pair.split('=');
      assert.match(setup, new RegExp(`--name ${name} --type ${type}(\\s|$)`), pair);
    }
  });
});
