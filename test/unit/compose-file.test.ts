import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DB, DYNAMIC_CONFIG_FILE, DYNAMIC_CONFIG_IN_IMAGE, IMAGES, POSTGRES_MAJOR, schemaSteps, SERVER_ENV, uiEnv } from '../../src/cluster/topology.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[] | string;
  profiles?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: string[];
  entrypoint?: string[];
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
  it('runs the images of the tested topology: the server release `retrain cluster up` builds, its admin tools, the UI, PostgreSQL of the same major', () => {
    assert.equal(s.temporal!.image, IMAGES.temporal);
    assert.equal(s['temporal-schema']!.image, IMAGES.adminTools);
    assert.equal(s['temporal-ui']!.image, IMAGES.ui);
    assert.match(s.postgresql!.image ?? '', new RegExp(`^postgres:${POSTGRES_MAJOR}\\.\\d+$`));
    assert.deepEqual(s.postgresql!.environment, { POSTGRES_USER: DB.user, POSTGRES_PASSWORD: DB.password });
  });
  it('configures the server with the env the native cluster uses, and mounts the same dynamic config', () => {
    const env = s.temporal!.environment ?? {};
    for (const [k, v] of Object.entries(SERVER_ENV)) assert.equal(env[k], v, `temporal.environment.${k}`);
    assert.equal(env.POSTGRES_SEEDS, 'postgresql');
    assert.equal(env.DB_PORT, '5432');
    assert.equal(env.DYNAMIC_CONFIG_FILE_PATH, DYNAMIC_CONFIG_IN_IMAGE);
    const mount = `./${path.relative(PROJECT_ROOT, DYNAMIC_CONFIG_FILE)}:${DYNAMIC_CONFIG_IN_IMAGE}:ro`;
    assert.ok(s.temporal!.volumes?.includes(mount), `temporal mounts ${mount}`);
  });
  it('sets up both schemas with the same temporal-sql-tool steps, before the server starts', () => {
    const script = ([] as string[]).concat(s['temporal-schema']!.command ?? []).join(' ').replace(/\s+/g, ' ');
    for (const step of schemaSteps({ host: 'postgresql', port: 5432 })) {
      assert.ok(script.includes(`temporal-sql-tool ${step.join(' ')}`), `temporal-schema runs: ${step.join(' ')}`);
    }
    assert.deepEqual(s.temporal!.depends_on, { 'temporal-schema': { condition: 'service_completed_successfully' } });
  });
  it('registers the search attributes with `retrain setup` (the command tested on the cluster), before the worker and the gateway start', () => {
    const setup = s['temporal-setup']!;
    assert.deepEqual(setup.command?.slice(0, 3), ['retrain', 'setup', '--create-namespace']);
    assert.deepEqual(setup.environment, { TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'default' });
    for (const name of ['worker', 'gateway']) {
      assert.deepEqual(s[name]!.depends_on, { 'temporal-setup': { condition: 'service_completed_successfully' } }, name);
      assert.equal(s[name]!.environment?.TEMPORAL_NAMESPACE, setup.environment?.TEMPORAL_NAMESPACE);
    }
  });
  it('configures the UI server as the native cluster does', () => {
    assert.deepEqual(s['temporal-ui']!.environment, uiEnv({ temporalAddress: 'temporal:7233', port: 8080, namespace: 'default', publicUrl: 'http://localhost:8080' }));
  });
  it('runs the worker and the gateway from the image built from the npm package, with the project mounted where the image looks for it', () => {
    const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../../Dockerfile'), 'utf8');
    // The same steps as test/integration/package-install.test.ts: pack, then install the tarball into an empty folder.
    assert.match(dockerfile, /RUN npm pack --pack-destination/);
    assert.match(dockerfile, /npm install [^\n]*temporal-retrain-\*\.tgz/);
    assert.match(dockerfile, /^FROM node:24-/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^CMD \["retrain", "worker"\]$/m);
    const config = /RETRAIN_CONFIG=(\S+)/.exec(dockerfile)![1]!;
    for (const name of ['worker', 'gateway']) {
      assert.equal(s[name]!.environment?.RETRAIN_CONFIG, config, name);
      assert.ok((s[name] as { volumes?: string[] }).volumes?.some((v) => v.endsWith(`:${path.dirname(config)}`)), `${name} mounts the project at ${path.dirname(config)}`);
    }
    assert.deepEqual(s.gateway!.command?.slice(0, 2), ['retrain', 'gateway']);
  });
});
